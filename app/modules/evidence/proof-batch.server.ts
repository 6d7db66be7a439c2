import { combineRange, inclusionPathRanges, nodeKeyId, rangeNodes, type Hash, type NodeKey } from "~/modules/audit/merkle";
import { queryRows } from "~/utils/db.server";

// RFC 6962 audit paths for many events at once, from the stored tree (audit_event.leaf_hash and
// audit_tree_node), with one pair of reads per batch instead of a few reads per event: an evidence pack
// proves every event it holds. The decomposition is merkle.ts's own (inclusionPathRanges, rangeNodes,
// combineRange); nodes high in the tree are shared by most paths and kept between batches.

const key = (level: number, index: number) => nodeKeyId({ level, index });

export class BatchedInclusionProofs {
  private readonly shared = new Map<string, Hash>();

  constructor(private readonly treeSize: number) {}

  /** Audit paths of these leaf indexes (all < treeSize), in the same order. */
  async proofs(leafIndexes: number[]): Promise<Hash[][]> {
    const perLeaf = leafIndexes.map((index) => inclusionPathRanges(index, this.treeSize));
    const wanted = new Map<string, [number, number]>();
    const nodes: NodeKey[] = [];
    for (const ranges of perLeaf) {
      for (const [from, to] of ranges) {
        nodes.length = 0;
        rangeNodes(from, to, nodes);
        for (const { level, index } of nodes) if (!this.shared.has(key(level, index))) wanted.set(key(level, index), [level, index]);
      }
    }
    const found = new Map<string, Hash>(this.shared);
    const leaves = [...wanted.values()].filter(([level]) => level === 0).map(([, index]) => String(index + 1));
    const inner = [...wanted.values()].filter(([level]) => level > 0);
    if (leaves.length > 0) {
      const rows = await queryRows<{ seq: string; leaf_hash: Buffer }>(`SELECT seq, leaf_hash FROM audit_event WHERE seq = ANY($1::bigint[])`, [leaves]);
      for (const row of rows) found.set(key(0, Number(row.seq) - 1), row.leaf_hash);
    }
    if (inner.length > 0) {
      const rows = await queryRows<{ level: number; index: string; hash: Buffer }>(
        `SELECT n.level, n.index, n.hash FROM audit_tree_node n JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, index) ON n.level = w.level AND n.index = w.index`,
        [inner.map(([level]) => level), inner.map(([, index]) => String(index))],
      );
      for (const row of rows) {
        found.set(key(row.level, Number(row.index)), row.hash);
        // Nodes of 256 leaves or more recur in most paths of a range: keep them (a few thousand in a 1M tree).
        if (row.level >= 8) this.shared.set(key(row.level, Number(row.index)), row.hash);
      }
    }
    return perLeaf.map((ranges) => ranges.map(([from, to]) => combineRange(from, to, found)));
  }
}
