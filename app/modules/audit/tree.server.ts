import type { Db, Tx } from "~/utils/db.server";
import { consistencyProof, inclusionProof, nodeKeyId, rootHash, type Hash, type NodeKey, type NodeSource } from "./merkle";

// The stored tree as a NodeSource: level 0 is audit_event.leaf_hash, levels ≥ 1 audit_tree_node.

export function storedTree(client: Db | Tx): NodeSource {
  return async (keys: NodeKey[]) => {
    const found = new Map<string, Hash>();
    const leaves = keys.filter((key) => key.level === 0).map((key) => BigInt(key.index + 1));
    const nodes = keys.filter((key) => key.level > 0);
    if (leaves.length > 0) {
      const rows = await client.auditEvent.findMany({ where: { seq: { in: leaves } }, select: { seq: true, leafHash: true } });
      for (const row of rows) if (row.leafHash) found.set(nodeKeyId({ level: 0, index: Number(row.seq) - 1 }), Buffer.from(row.leafHash));
    }
    if (nodes.length > 0) {
      const rows = await client.auditTreeNode.findMany({
        where: { OR: nodes.map((key) => ({ level: key.level, index: BigInt(key.index) })) },
        select: { level: true, index: true, hash: true },
      });
      for (const row of rows) found.set(nodeKeyId({ level: row.level, index: Number(row.index) }), Buffer.from(row.hash));
    }
    return found;
  };
}

/** The committed ledger size: every event up to it is committed (appends are serialised). */
export async function committedTreeSize(client: Db | Tx) {
  const head = await client.auditLedgerHead.findUniqueOrThrow({ where: { id: 1 } });
  return Number(head.size);
}

export async function treeRoot(client: Db | Tx, treeSize: number) {
  return rootHash(storedTree(client), treeSize);
}

export async function treeInclusionProof(client: Db | Tx, leafIndex: number, treeSize: number) {
  return inclusionProof(storedTree(client), leafIndex, treeSize);
}

export async function treeConsistencyProof(client: Db | Tx, fromSize: number, toSize: number) {
  return consistencyProof(storedTree(client), fromSize, toSize);
}
