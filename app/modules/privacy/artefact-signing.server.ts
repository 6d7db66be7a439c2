import { createHash } from "node:crypto";
import * as openpgp from "openpgp";
import { ensureActiveSigningKey } from "~/modules/audit/checkpoints.server";
import { loadedSigningKeys } from "~/modules/audit/signing-keys.server";

// Privacy artefacts (access exports, erasure certificates) are signed with the ledger's active
// checkpoint key, so one published key (GET /api/v1/audit/keys) verifies checkpoints, evidence packs
// and artefacts alike, with `gpg --verify`.

export interface ArtefactSigner {
  fingerprint: string;
  armoredPublicKey: string;
  /** An armored OpenPGP detached signature over exactly these bytes. */
  sign(bytes: Uint8Array): Promise<string>;
}

/** Loads the active key. Call it before opening a transaction: the first start may activate a key. */
export async function loadArtefactSigner(): Promise<ArtefactSigner> {
  const row = await ensureActiveSigningKey();
  const key = (await loadedSigningKeys()).get(row.fingerprint);
  if (!key) throw new Error(`the active signing key ${row.fingerprint} is not available to this instance`);
  return {
    fingerprint: key.fingerprint,
    armoredPublicKey: key.armoredPublicKey,
    async sign(bytes) {
      const message = await openpgp.createMessage({ binary: bytes });
      return (await openpgp.sign({ message, signingKeys: key.privateKey, detached: true, format: "armored" })) as string;
    },
  };
}

export function sha256Hex(bytes: Uint8Array | string) {
  return createHash("sha256").update(bytes).digest("hex");
}
