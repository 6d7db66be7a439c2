import { canonicalJson } from "./canonical-json";

// The statement a checkpoint signs (docs/ledger.md): canonical JSON of size, root, time and key.

export const CHECKPOINT_FORMAT = "attest-checkpoint/v1";

export interface CheckpointStatement {
  format: typeof CHECKPOINT_FORMAT;
  treeSize: number;
  rootHash: string;
  timestamp: string;
  keyFingerprint: string;
}

export function checkpointBody(statement: CheckpointStatement) {
  return canonicalJson(statement);
}

