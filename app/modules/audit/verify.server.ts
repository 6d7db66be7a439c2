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
    // One consistent snapshot for the whole run, however long it takes.
    if (ownClient) await ownClient.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const head = Number((await client.query<{ size: string }>("SELECT size::text FROM audit_ledger_head WHERE id = 1")).rows[0]?.size ?? 0);
    const maxSeq = Number((await client.query<{ max: string | null }>("SELECT max(seq)::text AS max FROM audit_event")).rows[0]?.max ?? 0);
    const totalEvents = Math.max(head, maxSeq);
    const checkpoints = (
      await client.query<{ id: string; tree_size: string; root_hash: Buffer; created_at: Date; body: string; signature: string; fingerprint: string; armored_public_key: string; activated_at: Date | null; retired_at: Date | null }>(
        `SELECT c.id::text, c.tree_size::text, c.root_hash, c.created_at, c.body, c.signature, k.fingerprint, k.armored_public_key, k.activated_at, k.retired_at
           FROM checkpoint c JOIN signing_key k ON k.id = c.signing_key_id ORDER BY c.tree_size, c.id`,
      )
    ).rows;

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
            "SELECT level, index::text, tree_size::text, hash FROM audit_tree_node n WHERE (n.tree_size, n.level) > ($1, $2) ORDER BY n.tree_size, n.level LIMIT $3",
            [size, level, batchSize],
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
    let expectedSeq = 1;
    let previousOccurredAt = "";
    let lastSeq = 0;
    for (;;) {
      const { rows } = await client.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM audit_event WHERE audit_event.seq > $1 ORDER BY audit_event.seq LIMIT $2`, [lastSeq, batchSize]);
      for (const row of rows) {
        const seq = Number(row.seq);
        lastSeq = seq;
        if (seq !== expectedSeq) {
          return report({ kind: "missing", seq: expectedSeq, message: `event ${expectedSeq}${seq > expectedSeq + 1 ? `–${seq - 1}` : ""} is missing: the next stored event is ${seq}` }, totalEvents, coveredSize);
        }
        if (seq > head) {
          return report({ kind: "inserted", seq, message: `event ${seq} lies beyond the ledger head (${head} events were appended): it was inserted outside the ledger` }, totalEvents, coveredSize);
        }
        const leaf = eventLeafHash(toFields(row));
        if (!row.leaf_hash || !leaf.equals(row.leaf_hash)) {
          const original = findOriginalPosition(row, seq);
          if (original !== null) {
            return report({ kind: "reordered", seq, message: `event ${seq} was written as event ${original}: events were reordered` }, totalEvents, coveredSize);
          }
          return report({ kind: "changed", seq, message: `event ${seq} (${row.action}) does not match its leaf hash: it was changed after it was written` }, totalEvents, coveredSize);
        }
        if (row.occurred_at < previousOccurredAt) {
          return report({ kind: "reordered", seq, message: `event ${seq} is dated before event ${seq - 1}: events were reordered or inserted` }, totalEvents, coveredSize);
        }
        previousOccurredAt = row.occurred_at;
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
            return report({ kind: "checkpoint_mismatch", checkpointId: checkpoint.id, treeSize: range.size, seq, message: `signed checkpoint ${checkpoint.id} (tree size ${range.size}) does not match the events: one of events ${coveredSize + 1}–${range.size} or an earlier one was rewritten together with its hashes` }, totalEvents, coveredSize);
          }
          coveredSize = range.size;
          checkedCheckpoints += 1;
          checkpointIndex += 1;
        }
        expectedSeq += 1;
      }
      await options.onProgress?.({ checkedEvents: range.size, totalEvents, checkedCheckpoints });
      if (rows.length < batchSize) break;
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
