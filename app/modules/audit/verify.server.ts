import pg from "pg";
import { isPGliteConnection } from "~/utils/pglite-server.server";
import { checkpointBodySha256, checkpointStatementNoteText, parseCheckpointBody } from "./checkpoint-statement";
import { CompactRange, rootOfSubtrees } from "./merkle";
import { ed25519KeyMaterial, readArmoredPublicKey, verifyDetached } from "./openpgp";
import { SIGNATURE_TYPE_ED25519, verifierKey, verifyNote } from "./signed-note";
import type { RawRowSource } from "./raw-rows.server";
import { CHUNK_LEVEL, CHUNK_SIZE, checkEventChunk, nodeMismatch, VERIFIER_SEARCH_PATH, type CheckedChunk, type ChunkRequest, type StoredNode } from "./verify-chunk.server";
import { VerifierWorkers } from "./verify-workers.server";
import { EventTagChecker } from "./event-tag";
import { evaluateKeyTrust, isWithinTrustedValidity, type TrustedKey } from "./key-trust";
import { verifyTrustedCheckpoint, type TrustedCheckpoint, type TrustedCheckpointInput } from "./trusted-checkpoint";

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
  | "invalid_checkpoint"
  // Issue 12: trust from outside the database.
  | "duplicated"
  | "unauthenticated"
  | "untrusted_key"
  | "unverifiable_checkpoint"
  | "truncated"
  | "pending_too_old"
  | "untrusted_checkpoint";

export interface LedgerProblem {
  kind: LedgerProblemKind;
  seq?: number;
  checkpointId?: string;
  /** The checkpoint's number, where the problem is a checkpoint. */
  checkpointNumber?: number;
  treeSize?: number;
  /** The signing key, where the problem is a key. */
  keyFingerprint?: string;
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
  /** How the signing keys were trusted: the pins' source, the trusted chain and staged keys. */
  trust: {
    pinSource: string;
    pinned: string[];
    trustedKeys: { fingerprint: string; introducedBy: string | null; validFrom: string | null; validUntil: string | null }[];
    stagedKeys: string[];
  };
  /** Whether every event's authentication tag was checked (the verifier holds the tag keys). */
  tagsChecked: boolean;
  /** The trusted checkpoints (kept outside the database) the tree was proven to extend. */
  trustedCheckpoints: { source: string; treeSize: number; keyFingerprint: string }[];
  /** Age of the oldest event no signed checkpoint covers yet (ms), or null. */
  oldestPendingMs: number | null;
}

export interface VerifyOptions {
  databaseUrl?: string;
  /**
   * An open client to read through instead (inside a transaction); left open, not committed. Its search
   * path is pinned for that transaction (SET LOCAL, VERIFIER_SEARCH_PATH).
   */
  client?: pg.ClientBase;
  /** Worker threads that recompute leaves in parallel (command line); 1 = all in this thread. */
  parallelism?: number;
  /**
   * Worker threads started earlier (they load their modules meanwhile), used instead of starting
   * `parallelism` of them (and closed at once if the run reads in this thread: a given client, or no
   * snapshot). Closed when the run ends.
   */
  workers?: VerifierWorkers;
  /**
   * Read everything in one REPEATABLE READ snapshot (default). A single-session database (PGlite, which
   * the verifier recognises itself) cannot serve other connections while a transaction is open, so there
   * it reads without one, in this thread: events and nodes are append-only, and only those up to the
   * size read first are checked.
   */
  useSnapshot?: boolean;
  onProgress?: (progress: { checkedEvents: number; totalEvents: number; checkedCheckpoints: number }) => void | Promise<void>;
  /**
   * Pinned signing-key fingerprints (trust anchors from outside the database). Unset: this process's
   * configuration (ATTEST_TRUSTED_KEYS / _FILE, else the keys it holds).
   */
  pinnedFingerprints?: string[];
  pinSource?: string;
  /** Event tag keys; [] checks no tags (an auditor without the key). Unset: this process's keys. */
  tagKeys?: { id: string; secret: Uint8Array }[];
  /** Events no checkpoint covers may be at most this old (ms); null: no bound. Unset: configuration. */
  maxPendingMs?: number | null;
  /** Checkpoints kept outside the database the current tree must extend. Unset: the sink's newest. */
  trustedCheckpoints?: TrustedCheckpointInput[];
  /** The clock for the pending bound (tests). */
  now?: Date;
}


/** Chunks checked in order: in this thread, or fanned out to worker threads reading the same snapshot. */
function chunkChecker(source: RawRowSource, options: VerifyOptions, snapshot: string | null, head: number, tagKeys: { id: string; secret: Uint8Array }[]) {
  const parallelism = options.client || !snapshot ? 1 : Math.max(1, options.workers?.count ?? options.parallelism ?? 1);
  if (parallelism === 1) {
    void options.workers?.close();
    const tags = tagKeys.length > 0 ? new EventTagChecker(tagKeys) : null;
    return { isParallel: false, check: (request: ChunkRequest) => checkEventChunk(source, request, head, tags), close: async () => {} };
  }
  const workers = options.workers ?? new VerifierWorkers(parallelism);
  workers.begin({ databaseUrl: options.databaseUrl, snapshot: snapshot!, head, isCopySupported: source.isCopySupported, tagKeys });
  return { isParallel: true, check: (request: ChunkRequest) => workers.check(request), close: () => workers.close() };
}

/** Hashes arrive from a worker as plain Uint8Arrays (structured clone); compare and hash them as Buffers. */
const asHash = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

type CheckpointRow = {
  id: string;
  number: string;
  tree_size: string;
  root_hash: Buffer;
  created_at: Date;
  body: string;
  signature: string;
  note: string | null;
  note_signature: string | null;
  signing_key_id: string;
  fingerprint: string | null;
  armored_public_key: string | null;
  activated_at: Date | null;
  retired_at: Date | null;
};

type KeyRow = {
  id: string;
  fingerprint: string;
  armored_public_key: string;
  activated_at: Date | null;
  retired_at: Date | null;
  transition_body: string | null;
  transition_signature: string | null;
  checkpoints: string;
};

export async function verifyLedger(options: VerifyOptions): Promise<LedgerReport> {
  const started = Date.now();
  // What is trusted comes from outside the database: the caller's options, else this process's configuration.
  const needsConfiguration = options.pinnedFingerprints === undefined || options.tagKeys === undefined || options.maxPendingMs === undefined || options.trustedCheckpoints === undefined;
  const configuration = needsConfiguration ? await (await import("./verify-trust.server")).verifierConfiguration() : null;
  const pinned = options.pinnedFingerprints ?? configuration!.pinnedFingerprints;
  const pinSource = options.pinSource ?? (options.pinnedFingerprints ? "given by the caller" : configuration!.pinSource);
  const tagKeys = options.tagKeys ?? configuration!.tagKeys;
  const maxPendingMs = options.maxPendingMs === undefined ? configuration!.maxPendingMs : options.maxPendingMs;
  const trustedInputs = options.trustedCheckpoints ?? configuration!.trustedCheckpoints;
  const now = options.now ?? new Date();

  const ownClient = options.client ? null : new pg.Client({ connectionString: options.databaseUrl });
  await ownClient?.connect();
  const client = options.client ?? ownClient!;
  const range = new CompactRange();
  let checkedCheckpoints = 0;
  let checkedTreeNodes = 0;
  let trustedKeys = new Map<string, TrustedKey>();
  let stagedKeys: string[] = [];
  let oldestPendingMs: number | null = null;
  let checker: ReturnType<typeof chunkChecker> | null = null;
  const provenTrusted: LedgerReport["trustedCheckpoints"] = [];
  const report = (problem: LedgerProblem | null, treeSize: number, coveredSize: number, checkedEvents = range.size): LedgerReport => ({
    isValid: problem === null,
    treeSize,
    checkedEvents,
    checkedCheckpoints,
    checkedTreeNodes,
    uncoveredEvents: Math.max(0, treeSize - coveredSize),
    problem,
    elapsedMs: Date.now() - started,
    trust: {
      pinSource,
      pinned,
      trustedKeys: [...trustedKeys.values()].map((key) => ({ fingerprint: key.fingerprint, introducedBy: key.introducedBy, validFrom: key.validFrom?.toISOString() ?? null, validUntil: key.validUntil?.toISOString() ?? null })),
      stagedKeys,
    },
    tagsChecked: tagKeys.length > 0,
    trustedCheckpoints: provenTrusted,
    oldestPendingMs,
  });

  try {
    // The verifier's names resolve in pg_catalog and public whatever search path the database was given.
    await client.query(`SET ${ownClient ? "" : "LOCAL "}search_path = ${VERIFIER_SEARCH_PATH}`);
    // PGlite serves one session: no transaction is held open on it (so no snapshot, and no worker
    // threads), and its socket server does not speak the COPY sub-protocol; every PostgreSQL does.
    const isPGlite = await isPGliteConnection(client);
    // One consistent snapshot for the whole run, however long it takes, shared with any worker threads.
    let snapshot: string | null = null;
    if (ownClient && options.useSnapshot !== false && !isPGlite) {
      await ownClient.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      snapshot = (await ownClient.query<{ snapshot: string }>("SELECT pg_export_snapshot() AS snapshot")).rows[0]!.snapshot;
    }
    // Checkpoints first: each signed a size the head had reached, so none is beyond the head read below.
    // LEFT JOIN: a checkpoint whose key row is gone is unverifiable, never skipped.
    const checkpoints = (
      await client.query<CheckpointRow>(
        `SELECT c.id::text, c.number::text, c.tree_size::text, c.root_hash, c.created_at, c.body, c.signature, c.note, c.note_signature, c.signing_key_id::text,
                k.fingerprint, k.armored_public_key, k.activated_at, k.retired_at
           FROM checkpoint c LEFT JOIN signing_key k ON k.id = c.signing_key_id ORDER BY c.number, c.tree_size, c.id`,
      )
    ).rows;
    const keyRows = (
      await client.query<KeyRow>(
        `SELECT k.id::text, k.fingerprint, k.armored_public_key, k.activated_at, k.retired_at, k.transition_body, k.transition_signature,
                (SELECT count(*) FROM checkpoint c WHERE c.signing_key_id = k.id)::text AS checkpoints
           FROM signing_key k ORDER BY k.activated_at NULLS LAST, k.created_at, k.fingerprint`,
      )
    ).rows;
    // The highest stored event first, then the head: every legitimately appended event is ≤ the head
    // read after it, even without a snapshot, so an event beyond the head was inserted around it.
    const maxSeq = Number((await client.query<{ max: string | null }>("SELECT max(seq)::text AS max FROM audit_event")).rows[0]?.max ?? 0);
    const head = Number((await client.query<{ size: string }>("SELECT size::text FROM audit_ledger_head WHERE id = 1")).rows[0]?.size ?? 0);
    const totalEvents = Math.max(head, maxSeq);
    // The worker threads begin now (connecting, joining the snapshot) and are sent their first chunks
    // below, while this thread checks the keys and the checkpoint chain.
    const source: RawRowSource = { client, isCopySupported: !isPGlite };
    checker = chunkChecker(source, totalEvents > 0 ? options : { ...options, parallelism: 1 }, snapshot, head, tagKeys);

    // The signed tree sizes (and, below, those of trusted checkpoints): each chunk reports its partial
    // subtrees at the sizes that fall inside it.
    let rootSizes = [...new Set(checkpoints.map((checkpoint) => Number(checkpoint.tree_size)))];
    // Chunks are requested ahead (workers keep busy) and consumed strictly in sequence order, so the
    // first problem reported is the first in the ledger. Worker threads are sent their first chunks
    // before this thread reads the keys and checks the checkpoint chain (nothing of theirs is looked at
    // before the chain holds) — at once, unless checkpoints kept outside the database add sizes whose
    // roots the chunks must report, once those are verified; a check in this thread starts after the
    // chain. Sixteen chunks a worker: the chain's 200 signatures take this thread about as long as a
    // worker's eight chunks when the cores are shared (≈1 s), and a worker with nothing queued would
    // wait. A chunk waiting to be consumed is a few hashes; a worker reads one chunk at a time.
    const requests: Promise<CheckedChunk>[] = [];
    const lookahead = checker.isParallel ? 16 * (options.workers?.count ?? options.parallelism ?? 1) : 2;
    const request = (index: number) => {
      const fromSeq = index * CHUNK_SIZE;
      if (fromSeq >= totalEvents) return;
      const toSeq = Math.min(totalEvents, fromSeq + CHUNK_SIZE);
      const checkpointSizes = rootSizes.filter((size) => size > fromSeq && size < toSeq).sort((a, b) => a - b);
      requests[index] = checker!.check({ fromSeq, toSeq, checkpointSizes });
      // Awaited in order, or never once an earlier problem is reported: not an unhandled rejection then.
      requests[index].catch(() => {});
    };
    const requestFirstChunks = () => {
      for (let index = 0; index < lookahead; index++) request(index);
    };
    if (checker.isParallel && trustedInputs.length === 0) requestFirstChunks();

    // The stored nodes above the chunks' subtrees (one in 2^CHUNK_LEVEL), read once in completion order
    // and compared here as the chunk roots are joined; each worker compares its chunk's own.
    const upperNodes = (
      await client.query<{ level: number; index: string; tree_size: string; hash: Buffer }>(
        // Ordered by the columns, not by the text the select list makes of them.
        `SELECT level, index::text, tree_size::text, hash FROM audit_tree_node WHERE level > ${CHUNK_LEVEL} ORDER BY audit_tree_node.tree_size, audit_tree_node.level`,
      )
    ).rows.map((row): StoredNode & { treeSize: number } => ({ level: row.level, index: Number(row.index), treeSize: Number(row.tree_size), hash: row.hash }));
    let nextUpper = 0;

    // The keys: trusted only through the pins and the signed transitions, whatever the rows say.
    if (pinned.length === 0 && (keyRows.length > 0 || checkpoints.length > 0)) {
      return report({ kind: "untrusted_key", message: "no signing key is trusted: pin the ledger's first key's fingerprint in ATTEST_TRUSTED_KEYS (or ATTEST_TRUSTED_KEYS_FILE); the database's own key rows prove nothing" }, totalEvents, 0);
    }
    const trust = await evaluateKeyTrust(
      keyRows.map((row) => ({
        fingerprint: row.fingerprint,
        armoredPublicKey: row.armored_public_key,
        activatedAt: row.activated_at,
        retiredAt: row.retired_at,
        transitionBody: row.transition_body,
        transitionSignature: row.transition_signature,
        checkpointCount: Number(row.checkpoints),
      })),
      pinned,
    );
    trustedKeys = trust.trusted;
    stagedKeys = trust.staged;
    if (trust.problem) {
      return report({ kind: "untrusted_key", keyFingerprint: trust.problem.fingerprint, message: trust.problem.message }, totalEvents, 0);
    }

    // Checkpoints kept outside the database, verified with the trusted keys: their sizes are roots the
    // chunks must report. A problem with one is reported after the chain's, as the chain is checked first.
    const trustedCheckpoints: TrustedCheckpoint[] = [];
    let trustedCheckpointError: string | null = null;
    for (const input of trustedInputs) {
      const verified = await verifyTrustedCheckpoint(input, trustedKeys);
      if ("error" in verified) {
        trustedCheckpointError = verified.error;
        break;
      }
      trustedCheckpoints.push(verified);
    }
    const trustedBySize = [...trustedCheckpoints].sort((a, b) => a.treeSize - b.treeSize);

    // With checkpoints kept outside the database, their sizes join the roots the chunks report, and the
    // workers get their first chunks now.
    rootSizes = [...new Set([...rootSizes, ...trustedBySize.map((trusted) => trusted.treeSize)])];
    if (checker.isParallel && trustedInputs.length > 0 && trustedCheckpointError === null) requestFirstChunks();

    // Every checkpoint's signature, statement, chain link and key validity first: cheap, and independent of events.
    let previousTime = 0;
    let previous: CheckpointRow | null = null;
    let origin: string | null = null;
    const noteKeys = new Map<string, ReturnType<typeof verifierKey>>();
    // Each trusted key read once (reading an armored key costs more than checking a signature with it).
    const readKeys = new Map<string, Promise<Awaited<ReturnType<typeof readArmoredPublicKey>> | null>>();
    const readKey = (key: TrustedKey) => {
      if (!readKeys.has(key.fingerprint)) readKeys.set(key.fingerprint, readArmoredPublicKey(key.armoredPublicKey).catch(() => null));
      return readKeys.get(key.fingerprint)!;
    };
    for (const [position, checkpoint] of checkpoints.entries()) {
      const where = { checkpointId: checkpoint.id, checkpointNumber: Number(checkpoint.number), treeSize: Number(checkpoint.tree_size) };
      const name = `checkpoint ${checkpoint.number} (tree size ${checkpoint.tree_size})`;
      if (previous && previous.number === checkpoint.number) {
        return report({ kind: "duplicated", ...where, message: `${name} is stored twice: a copy was inserted outside the ledger` }, totalEvents, 0);
      }
      if (Number(checkpoint.number) !== position + 1) {
        return report({ kind: "missing", ...where, checkpointNumber: position + 1, message: `checkpoint ${position + 1} is missing: the next stored checkpoint is number ${checkpoint.number}` }, totalEvents, 0);
      }
      if (checkpoint.fingerprint === null || checkpoint.armored_public_key === null) {
        return report({ kind: "unverifiable_checkpoint", ...where, message: `${name}: its signing key (row ${checkpoint.signing_key_id}) is not in the database, so it cannot be verified: the key row was deleted` }, totalEvents, 0);
      }
      const key = trustedKeys.get(checkpoint.fingerprint);
      if (!key) {
        return report({ kind: "untrusted_key", ...where, keyFingerprint: checkpoint.fingerprint, message: `${name}: signed by key ${checkpoint.fingerprint}, which no pinned fingerprint or key transition introduces` }, totalEvents, 0);
      }
      const publicKey = await readKey(key);
      if (!publicKey || !(await verifyDetached(publicKey, checkpoint.body, checkpoint.signature))) {
        return report({ kind: "bad_signature", ...where, message: `${name}: the signature does not verify with key ${checkpoint.fingerprint}` }, totalEvents, 0);
      }
      const parsed = parseCheckpointBody(checkpoint.body);
      if ("error" in parsed) return report({ kind: "invalid_checkpoint", ...where, message: `${name}: ${parsed.error}` }, totalEvents, 0);
      const { statement } = parsed;
      const isStatementConsistent =
        statement.treeSize === Number(checkpoint.tree_size) &&
        statement.rootHash === checkpoint.root_hash.toString("hex") &&
        statement.keyFingerprint === checkpoint.fingerprint &&
        statement.timestamp === checkpoint.created_at.toISOString() &&
        (statement.format === "attest-checkpoint/v1" || statement.number === Number(checkpoint.number));
      if (!isStatementConsistent) {
        return report({ kind: "invalid_checkpoint", ...where, message: `${name}: its stored number, size, root, time or key differ from what was signed` }, totalEvents, 0);
      }
      if (statement.format === "attest-checkpoint/v2") {
        const isLinked = previous
          ? statement.previousNumber === Number(previous.number) && statement.previousBodySha256 === checkpointBodySha256(previous.body)
          : statement.previousNumber === null && statement.number === 1;
        if (!isLinked) {
          return report({ kind: "invalid_checkpoint", ...where, message: `${name}: it does not link to the checkpoint before it (${previous ? `number ${previous.number}` : "none"}): a checkpoint was removed, inserted or reordered` }, totalEvents, 0);
        }
        if (origin !== null && statement.origin !== origin) {
          return report({ kind: "invalid_checkpoint", ...where, message: `${name}: its origin ${statement.origin} is not the ledger's (${origin})` }, totalEvents, 0);
        }
        origin = statement.origin;
        const noteKeyId = `${statement.origin} ${key.fingerprint}`;
        if (!noteKeys.has(noteKeyId)) noteKeys.set(noteKeyId, verifierKey(statement.origin, SIGNATURE_TYPE_ED25519, ed25519KeyMaterial(publicKey).publicKey));
        const isNoteValid =
          checkpoint.note === checkpointStatementNoteText(statement) && checkpoint.note_signature !== null && verifyNote(`${checkpoint.note}\n${checkpoint.note_signature}`, noteKeys.get(noteKeyId)!);
        if (!isNoteValid) {
          return report({ kind: "bad_signature", ...where, message: `${name}: its signed note does not verify with key ${checkpoint.fingerprint} or does not state the same tree head` }, totalEvents, 0);
        }
      } else if (origin !== null) {
        return report({ kind: "invalid_checkpoint", ...where, message: `${name}: a v1 checkpoint follows a v2 one` }, totalEvents, 0);
      }
      const signedAt = checkpoint.created_at;
      // Validity by the signed key transitions (the database's own dates are checked against them above).
      if (!isWithinTrustedValidity(key, signedAt)) {
        return report({ kind: "invalid_checkpoint", ...where, keyFingerprint: key.fingerprint, message: `${name}: signed by key ${checkpoint.fingerprint} at ${signedAt.toISOString()}, outside the validity its key transitions give it (${key.validFrom?.toISOString() ?? "start"} – ${key.validUntil?.toISOString() ?? "now"})` }, totalEvents, 0);
      }
      const isKeyValid = checkpoint.activated_at !== null && checkpoint.activated_at.getTime() <= signedAt.getTime() && (checkpoint.retired_at === null || signedAt.getTime() <= checkpoint.retired_at.getTime());
      if (!isKeyValid) {
        return report({ kind: "invalid_checkpoint", ...where, message: `${name}: signed by key ${checkpoint.fingerprint} outside its validity period` }, totalEvents, 0);
      }
      if (signedAt.getTime() < previousTime || (previous && Number(previous.tree_size) >= Number(checkpoint.tree_size))) {
        return report({ kind: "invalid_checkpoint", ...where, message: `${name}: checkpoints do not grow in number, size and time together` }, totalEvents, 0);
      }
      previousTime = signedAt.getTime();
      previous = checkpoint;
    }
    if (trustedCheckpointError !== null) return report({ kind: "untrusted_checkpoint", message: `the trusted checkpoint ${trustedCheckpointError}` }, totalEvents, 0);
    for (const trusted of trustedCheckpoints) {
      if (trusted.treeSize > totalEvents) {
        return report(
          { kind: "truncated", seq: totalEvents + 1, treeSize: trusted.treeSize, message: `the trusted checkpoint ${trusted.source} signs ${trusted.treeSize} events but the ledger holds ${totalEvents}: events ${totalEvents + 1}–${trusted.treeSize} were cut off` },
          totalEvents,
          0,
        );
      }
    }

    // An empty ledger whose key was activated: activating a key appends an event, so events were removed.
    const activated = keyRows.find((row) => row.activated_at !== null && trustedKeys.has(row.fingerprint));
    if (totalEvents === 0 && activated) {
      return report({ kind: "truncated", seq: 1, message: `the ledger holds no events, but key ${activated.fingerprint} was activated at ${activated.activated_at!.toISOString()}, which appended one: the ledger was emptied` }, 0, 0);
    }
    const lastCheckpoint = checkpoints.at(-1);
    if (lastCheckpoint && Number(lastCheckpoint.tree_size) > totalEvents) {
      return report(
        { kind: "truncated", seq: totalEvents + 1, checkpointId: lastCheckpoint.id, checkpointNumber: Number(lastCheckpoint.number), treeSize: Number(lastCheckpoint.tree_size), message: `checkpoint ${lastCheckpoint.number} signs ${lastCheckpoint.tree_size} events but only ${totalEvents} are stored: events ${totalEvents + 1}–${lastCheckpoint.tree_size} were deleted` },
        totalEvents,
        0,
      );
    }

    let checkpointIndex = 0;
    let coveredSize = 0;
    let previousOccurredAtMs = -Infinity;
    let trustedIndex = 0;
    {
      // A signed checkpoint must be the root of the events at its size: checked in sequence order.
      const checkCheckpointsAt = (treeSize: number, root: () => Buffer): LedgerProblem | null => {
        while (trustedIndex < trustedBySize.length && trustedBySize[trustedIndex]!.treeSize === treeSize) {
          const trusted = trustedBySize[trustedIndex]!;
          if (!root().equals(trusted.rootHash)) {
            return { kind: "checkpoint_mismatch", treeSize, seq: treeSize, message: `the trusted checkpoint ${trusted.source} (tree size ${treeSize}) does not match the events: the ledger up to event ${treeSize} was rewritten since it was signed` };
          }
          provenTrusted.push({ source: trusted.source, treeSize, keyFingerprint: trusted.keyFingerprint });
          trustedIndex += 1;
        }
        while (checkpointIndex < checkpoints.length && Number(checkpoints[checkpointIndex]!.tree_size) === treeSize) {
          const checkpoint = checkpoints[checkpointIndex]!;
          if (!root().equals(checkpoint.root_hash)) {
            return { kind: "checkpoint_mismatch", checkpointId: checkpoint.id, checkpointNumber: Number(checkpoint.number), treeSize, seq: treeSize, message: `signed checkpoint ${checkpoint.number} (tree size ${treeSize}) does not match the events: one of events ${coveredSize + 1}–${treeSize} or an earlier one was rewritten together with its hashes` };
          }
          coveredSize = treeSize;
          checkedCheckpoints += 1;
          checkpointIndex += 1;
        }
        return null;
      };
      const zeroProblem = checkCheckpointsAt(0, () => range.root());
      if (zeroProblem) return report(zeroProblem, totalEvents, coveredSize);
      if (!checker.isParallel) requestFirstChunks();
      for (let index = 0; index * CHUNK_SIZE < totalEvents; index++) {
        const chunk = await requests[index]!;
        delete requests[index];
        request(index + lookahead);
        if (chunk.count > 0 && chunk.firstOccurredAtMs < previousOccurredAtMs) {
          const seq = chunk.fromSeq + 1;
          return report({ kind: "reordered", seq, message: `event ${seq} is dated before event ${seq - 1}: events were reordered or inserted` }, totalEvents, coveredSize);
        }
        if (chunk.count > 0) previousOccurredAtMs = chunk.lastOccurredAtMs;
        const chunkStart = range.subtrees();
        for (const partial of chunk.checkpointSubtrees) {
          const subtrees = [...chunkStart, ...partial.subtrees.map((node) => ({ level: node.level, hash: asHash(node.hash) }))];
          const problem = checkCheckpointsAt(partial.treeSize, () => rootOfSubtrees(subtrees));
          if (problem) return report(problem, totalEvents, coveredSize, partial.treeSize);
        }
        if (chunk.problem) return report(chunk.problem, totalEvents, coveredSize, range.size + chunk.count);
        checkedTreeNodes += chunk.checkedTreeNodes;
        // Nodes above the chunks complete only at a chunk's end, each the next one stored: one left over
        // at or before a tree size the chunks have reached is not the tree's (before this chunk's start,
        // only one stored at tree size 0 or below can be).
        const strayUpTo = (treeSize: number): LedgerProblem | null => {
          const node = upperNodes[nextUpper];
          if (!node || node.treeSize > treeSize) return null;
          return { kind: "tree_node_mismatch", treeSize: chunk.toSeq, message: `a stored tree node (level ${node.level}, index ${node.index}) is not a subtree of the first ${chunk.toSeq} events` };
        };
        const early = strayUpTo(chunk.fromSeq);
        if (early) return report(early, totalEvents, coveredSize);
        for (const subtree of chunk.subtrees) {
          for (const completed of range.pushSubtree(subtree.level, asHash(subtree.hash))) {
            const stored = upperNodes[nextUpper];
            checkedTreeNodes += 1;
            if (!stored || stored.treeSize !== chunk.toSeq || stored.level !== completed.level || stored.index !== completed.index || !asHash(stored.hash).equals(completed.hash)) {
              return report(nodeMismatch(completed.level, completed.index), totalEvents, coveredSize);
            }
            nextUpper += 1;
          }
        }
        const extra = strayUpTo(chunk.toSeq);
        if (extra) return report(extra, totalEvents, coveredSize);
        const problem = checkCheckpointsAt(range.size, () => range.root());
        if (problem) return report(problem, totalEvents, coveredSize);
        await options.onProgress?.({ checkedEvents: range.size, totalEvents, checkedCheckpoints });
      }
    }

    if (range.size < head) {
      return report({ kind: "missing", seq: range.size + 1, message: `events ${range.size + 1}–${head} are missing: the ledger head says ${head} were appended` }, totalEvents, coveredSize);
    }
    const beyond = checkpoints[checkpointIndex];
    if (beyond) {
      return report({ kind: "missing", checkpointId: beyond.id, checkpointNumber: Number(beyond.number), treeSize: Number(beyond.tree_size), message: `checkpoint ${beyond.number} signs ${beyond.tree_size} events but only ${range.size} are stored: events were deleted` }, totalEvents, coveredSize);
    }
    {
      // No stored node may complete at tree size 0 or below (no chunk reads those); in one snapshot, none
      // beyond the events read either — without one, nodes of events appended meanwhile may follow them.
      const { rows: [extra] } = await client.query<{ level: number; index: string; tree_size: string }>(
        `SELECT level, index::text, tree_size::text FROM audit_tree_node WHERE tree_size < 1${snapshot ? " OR tree_size > $1" : ""} ORDER BY audit_tree_node.tree_size, audit_tree_node.level LIMIT 1`,
        snapshot ? [range.size] : [],
      );
      if (extra) {
        return report({ kind: "tree_node_mismatch", treeSize: Number(extra.tree_size), message: `a stored tree node (level ${extra.level}, index ${extra.index}) covers events that do not exist` }, totalEvents, coveredSize);
      }
    }
    // Events no checkpoint covers yet: pending, and never for longer than the bound.
    if (coveredSize < range.size) {
      const { rows: [oldest] } = await client.query<{ occurred_at: Date }>("SELECT occurred_at FROM audit_event WHERE seq = $1", [coveredSize + 1]);
      if (oldest) {
        oldestPendingMs = Math.max(0, now.getTime() - oldest.occurred_at.getTime());
        if (maxPendingMs !== null && oldestPendingMs > maxPendingMs) {
          return report(
            { kind: "pending_too_old", seq: coveredSize + 1, message: `events ${coveredSize + 1}–${range.size} are covered by no signed checkpoint, the oldest for ${Math.round(oldestPendingMs / 1000)} s (the bound is ${Math.round(maxPendingMs / 1000)} s): checkpoints stopped, or these events were added outside the application` },
            range.size,
            coveredSize,
          );
        }
      }
    }
    return report(null, range.size, coveredSize);
  } finally {
    // Workers given but never begun (the run stopped before reading events) are closed too.
    await (checker ?? options.workers)?.close();
    if (ownClient) {
      await ownClient.query("ROLLBACK").catch(() => {});
      // A single-session database (PGlite) shares its session with the app: the search path is set back.
      await ownClient.query("RESET search_path").catch(() => {});
      await ownClient.end();
    }
  }
}
