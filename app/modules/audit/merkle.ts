import { createHash, hash } from "node:crypto";

// RFC 6962 §2.1 (as restated in RFC 9162 §2.1) Merkle tree hashing, audit paths and consistency
// proofs. Leaves are hashed with a 0x00 prefix and interior nodes with 0x01, so a leaf can never be
// passed off as a node. Pure functions over a source of perfect-subtree hashes, so proofs are served
// from the stored tree rather than recomputed from every leaf.

export type Hash = Buffer;

export const EMPTY_TREE_HASH: Hash = createHash("sha256").digest();

// One-shot hashing of a single prefixed buffer: the verifier hashes millions of these.
export function hashLeaf(data: Uint8Array): Hash {
  const input = Buffer.allocUnsafe(data.length + 1);
  input[0] = 0x00;
  input.set(data, 1);
  return hash("sha256", input, "buffer");
}

// One input buffer reused by every interior hash (hashing is synchronous): the verifier hashes millions.
const childrenInput = Buffer.alloc(65, 0x01);

export function hashChildren(left: Hash, right: Hash): Hash {
  childrenInput.set(left, 1);
  childrenInput.set(right, 33);
  return hash("sha256", childrenInput, "buffer");
}

/** Largest power of two strictly smaller than n (n ≥ 2): where RFC 6962 splits a tree of n leaves. */
export function splitPoint(n: number) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * A perfect subtree: 2^level leaves starting at leaf index·2^level. Every range the RFC 6962
 * recursion visits decomposes into these, and once complete they never change, so they are stored.
 */
export interface NodeKey {
  level: number;
  index: number;
}

export type NodeSource = (keys: NodeKey[]) => Promise<Map<string, Hash>>;

export function nodeKeyId(key: NodeKey) {
  return `${key.level}:${key.index}`;
}

function isPowerOfTwo(n: number) {
  return n > 0 && (n & (n - 1)) === 0;
}

/** The perfect subtrees whose hashes determine MTH(D[start:end]), in the order the recursion needs them. */
export function rangeNodes(start: number, end: number, out: NodeKey[]) {
  const size = end - start;
  if (isPowerOfTwo(size) && start % size === 0) {
    out.push({ level: Math.log2(size), index: start / size });
    return;
  }
  const k = splitPoint(size);
  rangeNodes(start, start + k, out);
  rangeNodes(start + k, end, out);
}

/** MTH(D[start:end]) from the hashes of its perfect subtrees (keyed by nodeKeyId), as rangeNodes lists them. */
export function combineRange(start: number, end: number, nodes: ReadonlyMap<string, Hash>): Hash {
  const size = end - start;
  if (isPowerOfTwo(size) && start % size === 0) {
    const hash = nodes.get(nodeKeyId({ level: Math.log2(size), index: start / size }));
    if (!hash) throw new Error(`the stored tree has no node for leaves [${start}, ${end})`);
    return hash;
  }
  const k = splitPoint(size);
  return hashChildren(combineRange(start, start + k, nodes), combineRange(start + k, end, nodes));
}

/** MTH(D[start:end]) from stored perfect subtrees. */
export async function rangeHash(source: NodeSource, start: number, end: number): Promise<Hash> {
  if (end <= start) return EMPTY_TREE_HASH;
  const keys: NodeKey[] = [];
  rangeNodes(start, end, keys);
  return combineRange(start, end, await source(keys));
}

export async function rootHash(source: NodeSource, treeSize: number) {
  return rangeHash(source, 0, treeSize);
}

/**
 * RFC 6962 §2.1.1 PATH(m, D[n]) as leaf ranges: the sibling range [from, to) at each level of the
 * recursion, leaf side first. The audit path is MTH of each range, in this order.
 */
export function inclusionPathRanges(leafIndex: number, treeSize: number): [number, number][] {
  if (leafIndex < 0 || leafIndex >= treeSize) throw new RangeError(`leaf ${leafIndex} is not in a tree of ${treeSize}`);
  const ranges: [number, number][] = [];
  let start = 0;
  let end = treeSize;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (leafIndex < start + k) {
      ranges.push([start + k, end]);
      end = start + k;
    } else {
      ranges.push([start, start + k]);
      start += k;
    }
  }
  return ranges.reverse();
}

/** RFC 6962 §2.1.1 PATH(m, D[n]): the audit path of leaf m in a tree of n leaves, leaf-side first. */
export async function inclusionProof(source: NodeSource, leafIndex: number, treeSize: number): Promise<Hash[]> {
  return Promise.all(inclusionPathRanges(leafIndex, treeSize).map(([from, to]) => rangeHash(source, from, to)));
}

/** RFC 6962 §2.1.2 PROOF(m, D[n]): proves the tree of m leaves is a prefix of the tree of n leaves. */
export async function consistencyProof(source: NodeSource, fromSize: number, toSize: number): Promise<Hash[]> {
  if (fromSize < 0 || fromSize > toSize) throw new RangeError(`cannot prove ${fromSize} → ${toSize}`);
  if (fromSize === 0 || fromSize === toSize) return [];
  const ranges: [number, number][] = [];
  // SUBPROOF(m, D[start:end], b), iteratively.
  let m = fromSize;
  let start = 0;
  let end = toSize;
  let isWholeOldTree = true;
  for (;;) {
    const n = end - start;
    if (m === n) {
      if (!isWholeOldTree) ranges.push([start, end]);
      break;
    }
    const k = splitPoint(n);
    if (m <= k) {
      ranges.push([start + k, end]);
      end = start + k;
    } else {
      ranges.push([start, start + k]);
      start += k;
      m -= k;
      isWholeOldTree = false;
    }
  }
  const hashes = await Promise.all(ranges.map(([from, to]) => rangeHash(source, from, to)));
  return hashes.reverse();
}

/** RFC 9162 §2.1.3.2: does `proof` lead from the leaf hash to `root` for leaf `leafIndex` of `treeSize`? */
export function verifyInclusion(leafHash: Hash, leafIndex: number, treeSize: number, proof: Hash[], root: Hash) {
  if (leafIndex >= treeSize) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2: is the tree (firstSize, firstRoot) a prefix of (secondSize, secondRoot)? */
export function verifyConsistency(firstSize: number, secondSize: number, firstRoot: Hash, secondRoot: Hash, proof: Hash[]) {
  if (firstSize > secondSize) return false;
  if (firstSize === secondSize) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (firstSize === 0) return proof.length === 0;
  const path = isPowerOfTwo(firstSize) ? [firstRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = firstSize - 1;
  let sn = secondSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return fr.equals(firstRoot) && sr.equals(secondRoot) && sn === 0;
}

/** A perfect subtree held by a CompactRange: 2^level leaves. */
export interface Subtree {
  level: number;
  hash: Hash;
}

/** The root of the tree whose perfect subtrees, largest (leftmost) first, are `nodes`. */
export function rootOfSubtrees(nodes: readonly Subtree[]): Hash {
  if (nodes.length === 0) return EMPTY_TREE_HASH;
  let hash = nodes[nodes.length - 1]!.hash;
  for (let i = nodes.length - 2; i >= 0; i--) hash = hashChildren(nodes[i]!.hash, hash);
  return hash;
}

/** The RFC 6962 tree built leaf by leaf with O(log n) memory: a stack of perfect subtrees. */
export class CompactRange {
  private readonly stack: Subtree[] = [];
  size = 0;

  /** Adds a leaf; returns the perfect subtrees of level ≥ 1 it completes, lowest first. */
  push(leaf: Hash) {
    return this.pushSubtree(0, leaf);
  }

  /**
   * Adds a whole perfect subtree of 2^level leaves (its hash computed elsewhere, e.g. by a verifier
   * worker); the size must be a multiple of 2^level. Returns the subtrees above it that it completes.
   */
  pushSubtree(level: number, subtreeHash: Hash) {
    const width = 2 ** level;
    if (this.size % width !== 0) throw new RangeError(`a subtree of ${width} leaves cannot start at leaf ${this.size}`);
    const completed: { level: number; index: number; hash: Hash }[] = [];
    let node = { level, hash: subtreeHash };
    this.size += width;
    while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.level === node.level) {
      const left = this.stack.pop()!;
      node = { level: node.level + 1, hash: hashChildren(left.hash, node.hash) };
      completed.push({ level: node.level, index: this.size / 2 ** node.level - 1, hash: node.hash });
    }
    this.stack.push(node);
    return completed;
  }

  /** The perfect subtrees that make up the tree so far, largest first. */
  subtrees(): Subtree[] {
    return this.stack.slice();
  }

  root(): Hash {
    return rootOfSubtrees(this.stack);
  }
}

/** A NodeSource over leaf hashes held in memory (tests, and the verifier's streaming rebuild). */
export function memoryNodeSource(leafHashes: Hash[]): NodeSource {
  const levels: Hash[][] = [leafHashes];
  while (levels[levels.length - 1]!.length > 1) {
    const below = levels[levels.length - 1]!;
    const above: Hash[] = [];
    for (let i = 0; i + 1 < below.length; i += 2) above.push(hashChildren(below[i]!, below[i + 1]!));
    levels.push(above);
  }
  return async (keys) => {
    const found = new Map<string, Hash>();
    for (const key of keys) {
      const hash = levels[key.level]?.[key.index];
      if (hash) found.set(nodeKeyId(key), hash);
    }
    return found;
  };
}
