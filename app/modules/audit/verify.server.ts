import { Worker } from "node:worker_threads";
import pg from "pg";
import { canonicalJson } from "./canonical-json";
import { CHECKPOINT_FORMAT, type CheckpointStatement } from "./checkpoint-statement";
import { eventLeafHash, type AuditEventFields } from "./event-document";
import { CompactRange } from "./merkle";
import { verifyDetached } from "./openpgp";

// The ledger verifier (DESIGN.md §6), shared by `npm run ledger:verify` and the auditors' page. It
// streams every event in sequence order with constant memory, recomputes each leaf from the event's
// fields, rebuilds the RFC 6962 tree, compares every stored subtree and every signed checkpoint, checks
// each checkpoint's OpenPGP signature and key validity, and names the first thing that does not match.

export type LedgerProblemKind =
  | "changed"
  | "missing"
  | "reordered"
  | "inserted"
  | "tree_node_mismatch"
  | "checkpoint_mismatch"
  | "bad_signature"
  | "invalid_checkpoint";

export interface LedgerProblem {
  kind: LedgerProblemKind;
  seq?: number;
  checkpointId?: string;
  treeSize?: number;
  message: string;
}

export interface LedgerReport {
  isValid: boolean;
  treeSize: number;
  checkedEvents: number;
  checkedCheckpoints: number;
  checkedTreeNodes: number;
  uncoveredEvents: number;
  problem: LedgerProblem | null;
  elapsedMs: number;
}

export interface VerifyOptions {
  databaseUrl?: string;
  /** An open client to read through instead (e.g. inside a transaction); left open, not committed. */
  client?: pg.ClientBase;
  /** Worker threads that recompute leaves in parallel (command line); 1 = all in this thread. */
  parallelism?: number;
  /**
   * Read everything in one REPEATABLE READ snapshot (default). A single-session database (PGlite)
   * cannot serve other connections while a transaction is open, so there the verifier reads without
   * one: events and nodes are append-only, and only those up to the size read first are checked.
   */
  useSnapshot?: boolean;
  batchSize?: number;
  onProgress?: (progress: { checkedEvents: number; totalEvents: number; checkedCheckpoints: number }) => void | Promise<void>;
}

interface EventRow {
  seq: string;
  id: string;
  occurred_at: string;
  actor_type: string;
  actor_id: string | null;
  actor_label: string | null;
  actor_role: string | null;
  action: string;
  subject_type: string;
  subject_id: string | null;
  region_code: string | null;
  justification: string | null;
  changes: unknown;
  request_id: string | null;
  ip_address: string | null;
  leaf_hash: Buffer | null;
}

function toFields(row: EventRow, seq = Number(row.seq)): AuditEventFields {
  return {
    seq,
    id: row.id,
    occurredAt: row.occurred_at,
    actorType: row.actor_type,
    actorId: row.actor_id,
    actorLabel: row.actor_label,
    actorRole: row.actor_role,
    action: row.action,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    regionCode: row.region_code,
    justification: row.justification,
    changes: row.changes,
    requestId: row.request_id,
    ipAddress: row.ip_address,
  };
}

// Times as ISO-8601 text straight from PostgreSQL: no Date parsing for millions of rows.
const EVENT_COLUMNS =
  "seq::text AS seq, id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS occurred_at, actor_type, actor_id, actor_label, actor_role, action, subject_type, subject_id, region_code, justification, changes, request_id, ip_address, leaf_hash";

/** When a row's stored leaf does not match its own position, was it written at a nearby position? */
function findOriginalPosition(row: EventRow, seq: number): number | null {
  if (!row.leaf_hash) return null;
  for (let offset = 1; offset <= 64; offset++) {
    for (const candidate of [seq - offset, seq + offset]) {
      if (candidate >= 1 && eventLeafHash(toFields(row, candidate)).equals(row.leaf_hash)) return candidate;
    }
  }
  return null;
}

export interface CheckedChunk {
  fromSeq: number;
  toSeq: number;
  count: number;
  /** The recomputed leaf hashes, 32 bytes each, in sequence order (up to the first problem). */
  leaves: Uint8Array;
  firstOccurredAt: string;
  lastOccurredAt: string;
  problem: LedgerProblem | null;
}

/**
 * Checks the events fromSeq < seq ≤ toSeq on their own: no gap, none beyond the head, each stored leaf
 * equal to the one recomputed from the event's fields, times never running backwards. Runs in this
 * thread or in a worker (verify-worker.ts) over the same snapshot.
 */
export async function checkEventChunk(client: pg.ClientBase, fromSeq: number, toSeq: number, head: number): Promise<CheckedChunk> {
  const { rows } = await client.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM audit_event WHERE audit_event.seq > $1 AND audit_event.seq <= $2 ORDER BY audit_event.seq`, [fromSeq, toSeq]);
  const leaves = new Uint8Array(rows.length * 32);
  let count = 0;
  let previousOccurredAt = "";
  let problem: LedgerProblem | null = null;
  for (const row of rows) {
    const seq = Number(row.seq);
    const expected = fromSeq + count + 1;
    if (seq !== expected) {
      problem = { kind: "missing", seq: expected, message: `event ${expected}${seq > expected + 1 ? `–${seq - 1}` : ""} is missing: the next stored event is ${seq}` };
      break;
    }
    if (seq > head) {
      problem = { kind: "inserted", seq, message: `event ${seq} lies beyond the ledger head (${head} events were appended): it was inserted outside the ledger` };
      break;
    }
    const leaf = eventLeafHash(toFields(row));
    if (!row.leaf_hash || !leaf.equals(row.leaf_hash)) {
      const original = findOriginalPosition(row, seq);
      problem =
        original !== null
          ? { kind: "reordered", seq, message: `event ${seq} was written as event ${original}: events were reordered` }
          : { kind: "changed", seq, message: `event ${seq} (${row.action}) does not match its leaf hash: it was changed after it was written` };
      break;
    }
    if (row.occurred_at < previousOccurredAt) {
      problem = { kind: "reordered", seq, message: `event ${seq} is dated before event ${seq - 1}: events were reordered or inserted` };
      break;
    }
    previousOccurredAt = row.occurred_at;
    leaves.set(leaf, count * 32);
    count += 1;
  }
  return {
    fromSeq,
    toSeq,
    count,
    leaves: leaves.subarray(0, count * 32),
    firstOccurredAt: rows[0]?.occurred_at ?? "",
    lastOccurredAt: previousOccurredAt,
    problem,
  };
}

/** Chunks checked in order: in this thread, or fanned out to worker threads reading the same snapshot. */
function chunkChecker(client: pg.ClientBase, options: VerifyOptions, snapshot: string | null, head: number) {
  const parallelism = options.client || !snapshot ? 1 : Math.max(1, options.parallelism ?? 1);
  if (parallelism === 1) {
    return { check: (fromSeq: number, toSeq: number) => checkEventChunk(client, fromSeq, toSeq, head), close: async () => {} };
  }
  const workers = Array.from(
    { length: parallelism },
    () => new Worker(new URL("./verify-worker.mjs", import.meta.url), { workerData: { databaseUrl: options.databaseUrl, snapshot, head } }),
  );
  let nextWorker = 0;
  let nextRequest = 0;
  const pending = new Map<number, { resolve: (chunk: CheckedChunk) => void; reject: (error: Error) => void }>();
  for (const worker of workers) {
    worker.on("message", (message: { id: number; chunk?: CheckedChunk; error?: string }) => {
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) waiting?.reject(new Error(message.error));
      else waiting?.resolve(message.chunk!);
    });
    worker.on("error", (error) => {
      for (const waiting of pending.values()) waiting.reject(error);
      pending.clear();
    });
  }
  return {
    check: (fromSeq: number, toSeq: number) =>
      new Promise<CheckedChunk>((resolve, reject) => {
        const id = nextRequest++;
        pending.set(id, { resolve, reject });
        workers[nextWorker++ % workers.length]!.postMessage({ id, fromSeq, toSeq });
      }),
    close: async () => {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

const CHUNK_SIZE = 20_000;

export async function verifyLedger(options: VerifyOptions): Promise<LedgerReport> {
  const started = Date.now();
  const batchSize = options.batchSize ?? 20_000;
  const ownClient = options.client ? null : new pg.Client({ connectionString: options.databaseUrl });
  await ownClient?.connect();
  const client = options.client ?? ownClient!;
  const range = new CompactRange();
  let checkedCheckpoints = 0;
  let checkedTreeNodes = 0;
  const report = (problem: LedgerProblem | null, treeSize: number, coveredSize: number): LedgerReport => ({
    isValid: problem === null,
    treeSize,
    checkedEvents: range.size,
    checkedCheckpoints,
    checkedTreeNodes,
    uncoveredEvents: Math.max(0, treeSize - coveredSize),
    problem,
    elapsedMs: Date.now() - started,
  });

  try {
    // One consistent snapshot for the whole run, however long it takes, shared with any worker threads.
    let snapshot: string | null = null;
    if (ownClient && options.useSnapshot !== false) {
      await ownClient.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      snapshot = (await ownClient.query<{ snapshot: string }>("SELECT pg_export_snapshot() AS snapshot")).rows[0]!.snapshot;
    }
    // Checkpoints first: each signed a size the head had reached, so none is beyond the head read below.
    const checkpoints = (
      await client.query<{ id: string; tree_size: string; root_hash: Buffer; created_at: Date; body: string; signature: string; fingerprint: string; armored_public_key: string; activated_at: Date | null; retired_at: Date | null }>(
        `SELECT c.id::text, c.tree_size::text, c.root_hash, c.created_at, c.body, c.signature, k.fingerprint, k.armored_public_key, k.activated_at, k.retired_at
           FROM checkpoint c JOIN signing_key k ON k.id = c.signing_key_id ORDER BY c.tree_size, c.id`,
      )
    ).rows;
    // The highest stored event first, then the head: every legitimately appended event is ≤ the head
    // read after it, even without a snapshot, so an event beyond the head was inserted around it.
    const maxSeq = Number((await client.query<{ max: string | null }>("SELECT max(seq)::text AS max FROM audit_event")).rows[0]?.max ?? 0);
    const head = Number((await client.query<{ size: string }>("SELECT size::text FROM audit_ledger_head WHERE id = 1")).rows[0]?.size ?? 0);
    const totalEvents = Math.max(head, maxSeq);

    // Every checkpoint's signature, statement and key validity first: cheap, and independent of events.
    let previousTime = 0;
    for (const checkpoint of checkpoints) {
      const where = { checkpointId: checkpoint.id, treeSize: Number(checkpoint.tree_size) };
      if (!(await verifyDetached(checkpoint.armored_public_key, checkpoint.body, checkpoint.signature))) {
        return report({ kind: "bad_signature", ...where, message: `checkpoint ${checkpoint.id} (tree size ${checkpoint.tree_size}): the signature does not verify with key ${checkpoint.fingerprint}` }, totalEvents, 0);
      }
      let statement: CheckpointStatement;
      try {
        statement = JSON.parse(checkpoint.body) as CheckpointStatement;
      } catch {
        return report({ kind: "invalid_checkpoint", ...where, message: `checkpoint ${checkpoint.id}: the signed statement is not JSON` }, totalEvents, 0);
      }
      const isStatementConsistent =
        statement.format === CHECKPOINT_FORMAT &&
        canonicalJson(statement) === checkpoint.body &&
        statement.treeSize === Number(checkpoint.tree_size) &&
        statement.rootHash === checkpoint.root_hash.toString("hex") &&
        statement.keyFingerprint === checkpoint.fingerprint &&
        statement.timestamp === checkpoint.created_at.toISOString();
      if (!isStatementConsistent) {
        return report({ kind: "invalid_checkpoint", ...where, message: `checkpoint ${checkpoint.id}: its stored size, root, time or key differ from what was signed` }, totalEvents, 0);
      }
      const signedAt = checkpoint.created_at.getTime();
      const isKeyValid = checkpoint.activated_at !== null && checkpoint.activated_at.getTime() <= signedAt && (checkpoint.retired_at === null || signedAt <= checkpoint.retired_at.getTime());
      if (!isKeyValid) {
        return report({ kind: "invalid_checkpoint", ...where, message: `checkpoint ${checkpoint.id}: signed by key ${checkpoint.fingerprint} outside its validity period` }, totalEvents, 0);
      }
      if (signedAt < previousTime) {
        return report({ kind: "invalid_checkpoint", ...where, message: `checkpoint ${checkpoint.id}: a larger tree was signed before a smaller one` }, totalEvents, 0);
      }
      previousTime = signedAt;
    }

    // Stored subtrees arrive in completion order: (tree size at which they complete, level).
    const nodeCursor = { rows: [] as { level: number; index: string; tree_size: string; hash: Buffer }[], position: 0, after: [0, 0] as [number, number], isDone: false };
    const nextNode = async () => {
      if (nodeCursor.position >= nodeCursor.rows.length && !nodeCursor.isDone) {
        const [size, level] = nodeCursor.after;
        nodeCursor.rows = (
          await client.query<{ level: number; index: string; tree_size: string; hash: Buffer }>(
            "SELECT level, index::text, tree_size::text, hash FROM audit_tree_node n WHERE (n.tree_size, n.level) > ($1, $2) AND n.tree_size <= $4 ORDER BY n.tree_size, n.level LIMIT $3",
            [size, level, batchSize, snapshot ? Number.MAX_SAFE_INTEGER : totalEvents],
          )
        ).rows;
        nodeCursor.position = 0;
        nodeCursor.isDone = nodeCursor.rows.length < batchSize;
        const last = nodeCursor.rows[nodeCursor.rows.length - 1];
        if (last) nodeCursor.after = [Number(last.tree_size), last.level];
      }
      return nodeCursor.rows[nodeCursor.position++] ?? null;
    };

    let checkpointIndex = 0;
    let coveredSize = 0;
    let previousOccurredAt = "";
    const checker = chunkChecker(client, options, snapshot, head);
    try {
      // Chunks are requested ahead (workers keep busy) and consumed strictly in sequence order, so the
      // first problem reported is the first in the ledger.
      const requests: Promise<CheckedChunk>[] = [];
      const lookahead = Math.max(2, 2 * (options.parallelism ?? 1));
      const request = (index: number) => {
        const fromSeq = index * CHUNK_SIZE;
        if (fromSeq >= totalEvents) return;
        requests[index] = checker.check(fromSeq, Math.min(totalEvents, fromSeq + CHUNK_SIZE));
      };
      for (let index = 0; index < lookahead; index++) request(index);
      for (let index = 0; index * CHUNK_SIZE < totalEvents; index++) {
        const chunk = await requests[index]!;
        request(index + lookahead);
        if (chunk.count > 0 && chunk.firstOccurredAt < previousOccurredAt) {
          const seq = chunk.fromSeq + 1;
          return report({ kind: "reordered", seq, message: `event ${seq} is dated before event ${seq - 1}: events were reordered or inserted` }, totalEvents, coveredSize);
        }
        if (chunk.count > 0) previousOccurredAt = chunk.lastOccurredAt;
        for (let offset = 0; offset < chunk.count; offset++) {
          const leaf = Buffer.from(chunk.leaves.buffer, chunk.leaves.byteOffset + offset * 32, 32);
          for (const completed of range.push(leaf)) {
            const stored = await nextNode();
            checkedTreeNodes += 1;
            if (!stored || stored.level !== completed.level || Number(stored.index) !== completed.index || !stored.hash.equals(completed.hash)) {
              const first = completed.index * 2 ** completed.level + 1;
              return report({ kind: "tree_node_mismatch", seq: first, message: `the stored tree node over events ${first}–${first + 2 ** completed.level - 1} does not match those events: an event in that range was rewritten together with its leaf hash, or the tree was altered` }, totalEvents, coveredSize);
            }
          }
          while (checkpointIndex < checkpoints.length && Number(checkpoints[checkpointIndex]!.tree_size) === range.size) {
            const checkpoint = checkpoints[checkpointIndex]!;
            if (!range.root().equals(checkpoint.root_hash)) {
              return report({ kind: "checkpoint_mismatch", checkpointId: checkpoint.id, treeSize: range.size, seq: range.size, message: `signed checkpoint ${checkpoint.id} (tree size ${range.size}) does not match the events: one of events ${coveredSize + 1}–${range.size} or an earlier one was rewritten together with its hashes` }, totalEvents, coveredSize);
            }
            coveredSize = range.size;
            checkedCheckpoints += 1;
            checkpointIndex += 1;
          }
        }
        if (chunk.problem) return report(chunk.problem, totalEvents, coveredSize);
        if (chunk.count < chunk.toSeq - chunk.fromSeq) {
          const seq = chunk.fromSeq + chunk.count + 1;
          return report({ kind: "missing", seq, message: `events ${seq}–${chunk.toSeq} are missing` }, totalEvents, coveredSize);
        }
        await options.onProgress?.({ checkedEvents: range.size, totalEvents, checkedCheckpoints });
      }
    } finally {
      await checker.close();
    }

    if (range.size < head) {
      return report({ kind: "missing", seq: range.size + 1, message: `events ${range.size + 1}–${head} are missing: the ledger head says ${head} were appended` }, totalEvents, coveredSize);
    }
    const beyond = checkpoints[checkpointIndex];
    if (beyond) {
      return report({ kind: "missing", checkpointId: beyond.id, treeSize: Number(beyond.tree_size), message: `checkpoint ${beyond.id} signs ${beyond.tree_size} events but only ${range.size} are stored: events were deleted` }, totalEvents, coveredSize);
    }
    const extra = await nextNode();
    if (extra) {
      return report({ kind: "tree_node_mismatch", treeSize: Number(extra.tree_size), message: `a stored tree node (level ${extra.level}, index ${extra.index}) covers events that do not exist` }, totalEvents, coveredSize);
    }
    return report(null, range.size, coveredSize);
  } finally {
    if (ownClient) {
      await ownClient.query("ROLLBACK").catch(() => {});
      await ownClient.end();
    }
  }
}
