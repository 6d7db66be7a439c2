import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  EMPTY_TREE_HASH,
  CompactRange,
  combineRange,
  consistencyProof,
  hashChildren,
  hashLeaf,
  inclusionPathRanges,
  inclusionProof,
  memoryNodeSource,
  nodeKeyId,
  rangeNodes,
  rootHash,
  splitPoint,
  verifyConsistency,
  verifyInclusion,
  type Hash,
  type NodeKey,
} from "./merkle";

// A direct transcription of RFC 6962 §2.1 MTH over the leaf data, independent of the stored-node code.
function referenceRoot(leaves: Hash[]): Hash {
  if (leaves.length === 0) return EMPTY_TREE_HASH;
  if (leaves.length === 1) return leaves[0]!;
  const k = splitPoint(leaves.length);
  return hashChildren(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

function leavesOf(count: number) {
  return Array.from({ length: count }, (_, i) => hashLeaf(Buffer.from(`event ${i}`)));
}

describe("RFC 6962 Merkle tree", () => {
  it("hashes the empty tree as SHA-256 of nothing and one leaf as 0x00-prefixed SHA-256", () => {
    expect(EMPTY_TREE_HASH.toString("hex")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // RFC 6962 test vector: the leaf hash of the empty string.
    expect(hashLeaf(Buffer.alloc(0)).toString("hex")).toBe("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  });

  it("computes the same root from stored subtrees as the textbook recursion, for every size up to 70", async () => {
    for (let size = 0; size <= 70; size++) {
      const leaves = leavesOf(size);
      expect((await rootHash(memoryNodeSource(leaves), size)).equals(referenceRoot(leaves))).toBe(true);
    }
  });

  it("produces inclusion proofs that verify, and fail for another leaf or root", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 200 }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }))), async ([size, index]) => {
        const leaves = leavesOf(size);
        const source = memoryNodeSource(leaves);
        const root = await rootHash(source, size);
        const proof = await inclusionProof(source, index, size);
        expect(verifyInclusion(leaves[index]!, index, size, proof, root)).toBe(true);
        expect(verifyInclusion(hashLeaf(Buffer.from("forged")), index, size, proof, root)).toBe(false);
        if (size > 1) expect(verifyInclusion(leaves[index]!, (index + 1) % size, size, proof, root)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it("splits PATH(m, D[n]) into sibling ranges whose textbook hashes are the audit path (as batched proofs combine them)", async () => {
    for (let size = 1; size <= 40; size++) {
      const leaves = leavesOf(size);
      const source = memoryNodeSource(leaves);
      for (let index = 0; index < size; index++) {
        const ranges = inclusionPathRanges(index, size);
        // Each range is a sibling: disjoint from the leaf, together with it they cover the whole tree.
        expect(ranges.reduce((sum, [from, to]) => sum + (to - from), 1)).toBe(size);
        expect(ranges.every(([from, to]) => index < from || index >= to)).toBe(true);
        const keys: NodeKey[] = [];
        for (const [from, to] of ranges) rangeNodes(from, to, keys);
        const nodes = await source(keys);
        const combined = ranges.map(([from, to]) => combineRange(from, to, nodes));
        const textbook = ranges.map(([from, to]) => referenceRoot(leaves.slice(from, to)));
        const proof = await inclusionProof(source, index, size);
        expect(combined.map((hash) => hash.toString("hex"))).toEqual(textbook.map((hash) => hash.toString("hex")));
        expect(proof.map((hash) => hash.toString("hex"))).toEqual(textbook.map((hash) => hash.toString("hex")));
      }
    }
    expect(() => inclusionPathRanges(5, 5)).toThrow(RangeError);
    expect(nodeKeyId({ level: 3, index: 7 })).toBe("3:7");
  });

  it("produces consistency proofs that verify between any two sizes, and fail for a rewritten history", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 150 }).chain((to) => fc.tuple(fc.integer({ min: 1, max: to }), fc.constant(to))), async ([from, to]) => {
        const leaves = leavesOf(to);
        const source = memoryNodeSource(leaves);
        const proof = await consistencyProof(source, from, to);
        const oldRoot = await rootHash(source, from);
        const newRoot = await rootHash(source, to);
        expect(verifyConsistency(from, to, oldRoot, newRoot, proof)).toBe(true);
        const rewritten = [...leaves];
        rewritten[0] = hashLeaf(Buffer.from("rewritten"));
        const rewrittenRoot = referenceRoot(rewritten);
        if (from < to) expect(verifyConsistency(from, to, oldRoot, rewrittenRoot, proof)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });
});

describe("CompactRange", () => {
  it("has the textbook root at every size and reports each perfect subtree as it completes", async () => {
    const leaves = leavesOf(100);
    const range = new CompactRange();
    const source = memoryNodeSource(leaves);
    for (let size = 1; size <= leaves.length; size++) {
      for (const node of range.push(leaves[size - 1]!)) {
        expect((node.index + 1) * 2 ** node.level).toBe(size);
        const stored = await source([{ level: node.level, index: node.index }]);
        expect(stored.get(`${node.level}:${node.index}`)!.equals(node.hash)).toBe(true);
      }
      expect(range.root().equals(referenceRoot(leaves.slice(0, size)))).toBe(true);
    }
  });
});
