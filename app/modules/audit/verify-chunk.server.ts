import { hash } from "node:crypto";
import { Column, EVENT_COLUMN_COUNT, EVENT_COLUMN_LIST, EventLeafWriter, isTaggedColumns, occurredAtMs, readInt16, readInt64, type RawColumns } from "./event-leaf-writer";
import type { EventTagChecker } from "./event-tag";
import type { Subtree } from "./merkle";
import { readRawRows, type RawRowSource } from "./raw-rows.server";
import type { LedgerProblem } from "./verify.server";

// One chunk of the ledger verifier (verify.server.ts): a run of events checked on its own — leaves
// recomputed from the events' columns, tags checked, the chunk's subtree rebuilt and compared with the
// stored nodes. It runs in the verifier's thread or in a worker thread (verify-worker.ts), which loads
// this module and what it needs, not the signature and key checks of verify.server.ts.

/** A stored tree node as read back for comparison. */
export interface StoredNode {
  level: number;
  index: number;
  hash: Uint8Array;
}

// Chunks are aligned perfect subtrees of 2^CHUNK_LEVEL events, so a worker rebuilds its chunk's whole
// subtree and compares its stored nodes (level ≤ CHUNK_LEVEL) itself; the verifier's main thread joins
// chunk roots and checks the nodes above them (a few, read once for the whole ledger).
export const CHUNK_LEVEL = 14;
export const CHUNK_SIZE = 2 ** CHUNK_LEVEL;

/**
 * The search path of every verifier session: built-in functions, types and operators from pg_catalog,
 * the ledger's tables from public (where the app's queries name them), temporary objects last —
 * whatever search path the database or role was given. An administrator who put a schema of their own
 * first could otherwise have the verifier read an intact copy of a table the app reads tampered, or a
 * `sha256` of theirs that hides changed tree nodes from the digest.
 */
export const VERIFIER_SEARCH_PATH = "pg_catalog, public, pg_temp";

export interface ChunkRequest {
  fromSeq: number;
  toSeq: number;
  /** Signed tree sizes fromSeq < size < toSeq whose partial subtrees this chunk must report. */
  checkpointSizes: number[];
}

export interface CheckedChunk {
  fromSeq: number;
  toSeq: number;
  /** Events checked before the first problem. */
  count: number;
  /** The perfect subtrees over the events checked, largest first (one node for a whole chunk). */
  subtrees: Subtree[];
  /** For each requested checkpoint size reached: the chunk's subtrees up to that size. */
  checkpointSubtrees: { treeSize: number; subtrees: Subtree[] }[];
  checkedTreeNodes: number;
  /** How the chunk's stored nodes were compared: with the database's digest of them, or one by one (after something did not hold). */
  nodeCheck: "digest" | "each node";
  firstOccurredAtMs: number;
  lastOccurredAtMs: number;
  problem: LedgerProblem | null;
}

const EVENT_SELECT = (fromSeq: number, toSeq: number) =>
  `SELECT ${EVENT_COLUMN_LIST} FROM audit_event WHERE seq > ${fromSeq} AND seq <= ${toSeq} ORDER BY seq`;
// The chunk's own stored nodes, level ≤ CHUNK_LEVEL, in completion order: a stray one at any such level
// (leaves' 0 or below included) breaks the comparison. Those above are the main thread's.
const NODE_SELECT = (fromSeq: number, toSeq: number) =>
  `SELECT level, index, hash FROM audit_tree_node WHERE tree_size > ${fromSeq} AND tree_size <= ${toSeq} AND level <= ${CHUNK_LEVEL} ORDER BY tree_size, level`;
// The chunk's own stored nodes (level ≤ CHUNK_LEVEL), digested by the database in completion order:
// SHA-256 over each node's level (2 bytes), index (8 bytes, both big-endian) and hash. The checker
// digests the nodes it rebuilds the same way; equal digests mean every stored node is the rebuilt one,
// at its place, and none more — without sending two million rows (COPY output, network, parsing). The
// order comes from the subquery (the index's order; an aggregate's own ORDER BY would sort each chunk
// again): were the database ever to feed the aggregate in another order, the digests would differ and
// the chunk be checked node by node — slower, never weaker.
const NODE_DIGEST_SELECT = (fromSeq: number, toSeq: number) =>
  `SELECT sha256(coalesce(string_agg(int2send(level) || int8send(index) || hash, ''::bytea), ''::bytea)) AS digest FROM (SELECT level, index, hash FROM audit_tree_node WHERE tree_size > ${fromSeq} AND tree_size <= ${toSeq} AND level <= ${CHUNK_LEVEL} ORDER BY tree_size, level) node`;
/** Bytes a node adds to the digest's input: level, index, hash. */
const NODE_RECORD_BYTES = 2 + 8 + 32;

interface StoredNodes {
  levels: Int16Array;
  indexes: Float64Array;
  /** 32 bytes per node, in the same order. */
  hashes: Buffer;
  count: number;
}

// A chunk's stored nodes take 32 bytes each (half a MiB a chunk): their buffers are reused from chunk to
// chunk in each thread, rather than left behind outside the V8 heap for the collector, so the resident
// set does not grow with the ledger. Two chunks may be read at once in one thread, hence a pool.
const storedNodesPool: StoredNodes[] = [];

function emptyStoredNodes(capacity: number): StoredNodes {
  const pooled = storedNodesPool.pop();
  if (pooled && pooled.levels.length >= capacity) {
    pooled.count = 0;
    return pooled;
  }
  return { levels: new Int16Array(capacity), indexes: new Float64Array(capacity), hashes: Buffer.alloc(32 * capacity), count: 0 };
}

function growStoredNodes(nodes: StoredNodes) {
  const larger = emptyStoredNodes(nodes.levels.length * 2);
  larger.levels.set(nodes.levels);
  larger.indexes.set(nodes.indexes);
  nodes.hashes.copy(larger.hashes);
  larger.count = nodes.count;
  return larger;
}

/** The stored nodes completing in (fromSeq, toSeq], in completion order, hashes packed in one buffer. */
async function readStoredNodes(source: RawRowSource, fromSeq: number, toSeq: number): Promise<StoredNodes> {
  let nodes = emptyStoredNodes(Math.max(16, toSeq - fromSeq));
  await readRawRows(source, NODE_SELECT(fromSeq, toSeq), 3, ({ buffers, starts, ends }) => {
    if (nodes.count === nodes.levels.length) nodes = growStoredNodes(nodes);
    const at = nodes.count * 32;
    const isHashSized = ends[2]! - starts[2]! === 32;
    // A node whose hash is not 32 bytes matches nothing: level -1 stands for it.
    nodes.levels[nodes.count] = isHashSized ? readInt16(buffers[0]!, starts[0]!) : -1;
    nodes.indexes[nodes.count] = readInt64(buffers[1]!, starts[1]!);
    if (isHashSized) {
      // Byte by byte: cheaper than Buffer#copy's native call for 32 bytes, two million times.
      const { hashes } = nodes;
      const source = buffers[2]!;
      const start = starts[2]!;
      for (let i = 0; i < 32; i++) hashes[at + i] = source[start + i]!;
    }
    nodes.count += 1;
  });
  return nodes;
}

/** Does the latin1 digest equal bytes [start, end) of `buffer`? */
function isSameHash(digest: string, buffer: Buffer, start: number, end: number) {
  if (start < 0 || end - start !== 32) return false;
  for (let i = 0; i < 32; i++) if (digest.charCodeAt(i) !== buffer[start + i]) return false;
  return true;
}

const childrenInput = Buffer.alloc(65, 0x01);

// The node records of a chunk checked against the database's digest (NODE_DIGEST_SELECT), reused from
// chunk to chunk like the stored nodes' buffers.
const nodeRecordsPool: Buffer[] = [];

/**
 * The chunk's own RFC 6962 subtree, built leaf by leaf like CompactRange but over latin1 digests
 * (see EventLeafWriter.leafHashLatin1): one string per node instead of one ArrayBuffer. Each node it
 * completes must be the next stored node, in completion order: compared at once with `stored`, or
 * written to `records` for the digest the database computed of the stored nodes.
 */
class ChunkTree {
  private readonly levels: number[] = [];
  private readonly hashes: string[] = [];
  size = 0;
  /** Stored nodes matched (or recorded) so far. */
  matchedNodes = 0;

  constructor(
    private readonly fromSeq: number,
    private readonly stored: StoredNodes | null,
    private readonly records: Buffer | null = null,
  ) {}

  /** Adds a leaf; the first completed subtree that differs from its stored node is the problem. */
  push(leaf: string): LedgerProblem | null {
    let level = 0;
    let digest = leaf;
    this.size += 1;
    while (this.levels.length > 0 && this.levels[this.levels.length - 1] === level) {
      this.levels.pop();
      childrenInput.write(this.hashes.pop()!, 1, "latin1");
      childrenInput.write(digest, 33, "latin1");
      digest = hash("sha256", childrenInput, "binary");
      level += 1;
      const index = (this.fromSeq + this.size) / 2 ** level - 1;
      const next = this.matchedNodes;
      const { stored, records } = this;
      if (records) {
        writeNodeRecord(records, next * NODE_RECORD_BYTES, level, index, digest);
      } else if (!(stored && next < stored.count && stored.levels[next] === level && stored.indexes[next] === index && isSameHash(digest, stored.hashes, next * 32, next * 32 + 32))) {
        return nodeMismatch(level, index);
      }
      this.matchedNodes += 1;
    }
    this.levels.push(level);
    this.hashes.push(digest);
    return null;
  }

  subtrees(): Subtree[] {
    // Each hash in its own 32-byte buffer (not a slice of Buffer's shared pool): a worker posts these to
    // the main thread, and structured cloning copies a view's whole underlying memory.
    return this.levels.map((level, i) => {
      const hash = Buffer.alloc(32);
      hash.write(this.hashes[i]!, "latin1");
      return { level, hash };
    });
  }
}

/** A node as NODE_DIGEST_SELECT digests it: int2send(level) ‖ int8send(index) ‖ hash. */
function writeNodeRecord(records: Buffer, at: number, level: number, index: number, digest: string) {
  records[at] = level >> 8;
  records[at + 1] = level & 0xff;
  const high = Math.floor(index / 0x1_0000_0000);
  const low = index - high * 0x1_0000_0000;
  for (let i = 0; i < 4; i++) {
    records[at + 2 + i] = (high >>> (24 - 8 * i)) & 0xff;
    records[at + 6 + i] = (low >>> (24 - 8 * i)) & 0xff;
  }
  for (let i = 0; i < 32; i++) records[at + 10 + i] = digest.charCodeAt(i);
}

const textOf = (columns: RawColumns, column: Column) => (columns.starts[column]! < 0 ? null : columns.buffers[column]!.toString("utf8", columns.starts[column], columns.ends[column]));

export function nodeMismatch(level: number, index: number): LedgerProblem {
  const first = index * 2 ** level + 1;
  return {
    kind: "tree_node_mismatch",
    seq: first,
    message: `the stored tree node over events ${first}–${first + 2 ** level - 1} does not match those events: an event in that range was rewritten together with its leaf hash, or the tree was altered`,
  };
}

/**
 * Checks the events fromSeq < seq ≤ toSeq (fromSeq a multiple of the chunk size) on their own, in
 * sequence order, stopping at the first problem: no gap, none beyond the head, each stored leaf equal
 * to the one recomputed from the event's columns, times never running backwards, and every stored
 * node of the chunk's subtree equal to the one rebuilt from those leaves. Runs in this thread or in
 * a worker (verify-worker.ts) over the same snapshot.
 */
export async function checkEventChunk(source: RawRowSource, request: ChunkRequest, head: number, tags: EventTagChecker | null = null): Promise<CheckedChunk> {
  // First against the database's digest of the chunk's stored nodes. When anything does not hold there
  // — the digest, or an event — the chunk is checked again node by node, which names the first problem
  // in ledger order whether it lies in an event or in a node.
  return (await checkChunk(source, request, head, tags, true)) ?? (await checkChunk(source, request, head, tags, false))!;
}

async function checkChunk(source: RawRowSource, request: ChunkRequest, head: number, tags: EventTagChecker | null, isAgainstDigest: boolean): Promise<CheckedChunk | null> {
  const { fromSeq, toSeq, checkpointSizes } = request;
  let storedDigest: Buffer | null = null;
  let records: Buffer | null = null;
  if (isAgainstDigest) {
    storedDigest = (await source.client.query<{ digest: Buffer }>(NODE_DIGEST_SELECT(fromSeq, toSeq))).rows[0]!.digest;
    // Fewer nodes than events complete in a chunk.
    const needed = NODE_RECORD_BYTES * Math.max(CHUNK_SIZE, toSeq - fromSeq);
    const pooled = nodeRecordsPool.pop();
    records = pooled && pooled.length >= needed ? pooled : Buffer.allocUnsafe(needed);
  }
  // Node by node, the stored nodes are read first, to be compared as the subtree is rebuilt.
  const nodes = isAgainstDigest ? null : await readStoredNodes(source, fromSeq, toSeq);
  const writer = new EventLeafWriter();
  const tree = new ChunkTree(fromSeq, nodes, records);
  const chunk: CheckedChunk = {
    fromSeq,
    toSeq,
    count: 0,
    subtrees: [],
    checkpointSubtrees: [],
    checkedTreeNodes: 0,
    nodeCheck: isAgainstDigest ? "digest" : "each node",
    firstOccurredAtMs: NaN,
    lastOccurredAtMs: NaN,
    problem: null,
  };
  let nextCheckpoint = 0;
  let previousOccurredAtMs = -Infinity;

  const checkEvent = (columns: RawColumns): LedgerProblem | null => {
    const seq = readInt64(columns.buffers[Column.Seq]!, columns.starts[Column.Seq]!);
    const expected = fromSeq + chunk.count + 1;
    if (seq === expected - 1 && seq > fromSeq) {
      return { kind: "duplicated", seq, message: `event ${seq} is stored twice: a copy of it was inserted outside the ledger` };
    }
    if (seq !== expected) {
      return { kind: "missing", seq: expected, message: `event ${expected}${seq > expected + 1 ? `–${seq - 1}` : ""} is missing: the next stored event is ${seq}` };
    }
    if (seq > head) {
      return { kind: "inserted", seq, message: `event ${seq} lies beyond the ledger head (${head} events were appended): it was inserted outside the ledger` };
    }
    const isTagged = isTaggedColumns(columns);
    if (!isTagged && columns.starts[Column.BusinessTime]! >= 0) {
      return { kind: "changed", seq, message: `event ${seq} (${textOf(columns, Column.Action)}) has a business time its v1 leaf does not cover: it was changed after it was written` };
    }
    const leaf = writer.leafHashLatin1(columns, seq);
    if (!isSameHash(leaf, columns.buffers[Column.LeafHash]!, columns.starts[Column.LeafHash]!, columns.ends[Column.LeafHash]!)) {
      const original = findOriginalPosition(writer, columns, seq);
      return original !== null
        ? { kind: "reordered", seq, message: `event ${seq} was written as event ${original}: events were reordered` }
        : { kind: "changed", seq, message: `event ${seq} (${textOf(columns, Column.Action)}) does not match its leaf hash: it was changed after it was written` };
    }
    if (tags && isTagged) {
      const tagProblem = tags.check(
        columns.buffers[Column.TagKeyId]!,
        columns.starts[Column.TagKeyId]!,
        columns.ends[Column.TagKeyId]!,
        columns.buffers[Column.Tag]!,
        columns.starts[Column.Tag]!,
        columns.ends[Column.Tag]!,
        writer.contentSha256,
      );
      if (tagProblem === "unknown_key") {
        const kid = textOf(columns, Column.TagKeyId) ?? "";
        return { kind: "unauthenticated", seq, message: `event ${seq} (${textOf(columns, Column.Action)}) is tagged under key ${kid}, which this verifier does not hold: it was not written by the application, or a tag key is missing from the configuration` };
      }
      if (tagProblem === "mismatch") {
        return { kind: "unauthenticated", seq, message: `event ${seq} (${textOf(columns, Column.Action)}) has an authentication tag that does not match its content: it was not written by the application (inserted or forged through SQL)` };
      }
    }
    const occurredAt = occurredAtMs(columns);
    if (occurredAt < previousOccurredAtMs) {
      return { kind: "reordered", seq, message: `event ${seq} is dated before event ${seq - 1}: events were reordered or inserted` };
    }
    if (chunk.count === 0) chunk.firstOccurredAtMs = occurredAt;
    previousOccurredAtMs = occurredAt;
    const mismatch = tree.push(leaf);
    if (mismatch) return mismatch;
    chunk.count += 1;
    while (nextCheckpoint < checkpointSizes.length && checkpointSizes[nextCheckpoint] === seq) {
      chunk.checkpointSubtrees.push({ treeSize: seq, subtrees: tree.subtrees() });
      nextCheckpoint += 1;
    }
    return null;
  };

  await readRawRows(source, EVENT_SELECT(fromSeq, toSeq), EVENT_COLUMN_COUNT, (columns) => {
    chunk.problem = checkEvent(columns);
    return chunk.problem === null;
  });
  if (!chunk.problem && chunk.count < toSeq - fromSeq) {
    const seq = fromSeq + chunk.count + 1;
    chunk.problem = { kind: "missing", seq, message: `events ${seq}–${toSeq} are missing` };
  }
  if (records) {
    const isMatch = !chunk.problem && hash("sha256", records.subarray(0, tree.matchedNodes * NODE_RECORD_BYTES), "buffer").equals(storedDigest!);
    nodeRecordsPool.push(records);
    if (!isMatch) return null;
  }
  chunk.checkedTreeNodes = tree.matchedNodes;
  chunk.lastOccurredAtMs = previousOccurredAtMs;
  chunk.subtrees = tree.subtrees();
  if (nodes) {
    // A stored node left over once the chunk's subtree is rebuilt is one the tree does not have.
    if (!chunk.problem && tree.matchedNodes < nodes.count) {
      const [level, index] = [nodes.levels[tree.matchedNodes]!, nodes.indexes[tree.matchedNodes]!];
      chunk.problem = { kind: "tree_node_mismatch", treeSize: toSeq, message: `a stored tree node (level ${level}, index ${index}) is not a subtree of the first ${toSeq} events` };
    }
    storedNodesPool.push(nodes);
  }
  return chunk;
}

/** When a row's stored leaf does not match its own position, was it written at a nearby position? */
function findOriginalPosition(writer: EventLeafWriter, columns: RawColumns, seq: number): number | null {
  const [stored, start, end] = [columns.buffers[Column.LeafHash]!, columns.starts[Column.LeafHash]!, columns.ends[Column.LeafHash]!];
  if (start < 0) return null;
  for (let offset = 1; offset <= 64; offset++) {
    for (const candidate of [seq - offset, seq + offset]) {
      if (candidate >= 1 && isSameHash(writer.leafHashAtLatin1(columns, candidate), stored, start, end)) return candidate;
    }
  }
  return null;
}
