import { z } from "zod";
import { db } from "~/utils/db.server";
import { getOptionalSession, requireActor, requirePermission } from "~/modules/access/actor.server";
import { bearerToken, requireApiCaller } from "~/modules/access/api-tokens.server";
import { checkpointAtSize, latestCheckpoint, ledgerOrigin, signedNoteOf, type SignedCheckpoint } from "./checkpoints.server";
import { publicKeyChain } from "./signing-keys.server";
import { witnessStatus } from "./checkpoint-publisher.server";
import { committedTreeSize, treeConsistencyProof, treeInclusionProof, treeRoot } from "./tree.server";

// What an outside verifier needs from the ledger (DESIGN.md §6): the latest signed checkpoint,
// inclusion and consistency proofs from the stored tree, and the public keys with their history.
// Proofs are for auditors and compliance officers (permission "verify Ledger") or API tokens with
// the "audit:read" scope; the keys are public.

function badRequest(message: string) {
  return Response.json({ error: message }, { status: 400 });
}

/** A session allowed to verify the ledger, or a token with audit:read; throws 401/403 otherwise. */
export async function requireLedgerReader(request: Request) {
  if (bearerToken(request)) return requireApiCaller(request, "audit:read");
  const session = await getOptionalSession(request);
  if (!session?.isMfaComplete) {
    throw Response.json({ error: "sign in as an auditor or compliance officer, or send an API token with the audit:read scope" }, { status: 401 });
  }
  const actor = await requireActor(request);
  requirePermission(actor, "verify", "Ledger");
  return actor;
}

const hex = (value: Uint8Array) => Buffer.from(value).toString("hex");

export function checkpointView(checkpoint: SignedCheckpoint) {
  return {
    id: checkpoint.id,
    number: checkpoint.number,
    format: checkpoint.format,
    origin: checkpoint.origin,
    treeSize: checkpoint.treeSize,
    rootHash: checkpoint.rootHash,
    timestamp: checkpoint.timestamp,
    keyFingerprint: checkpoint.keyFingerprint,
    previousNumber: checkpoint.previousNumber,
    previousBodySha256: checkpoint.previousBodySha256,
    // `body` is exactly what was signed: save it without a trailing newline and run
    // `gpg --verify signature.asc body` with the keys from /api/v1/audit/keys.
    body: checkpoint.body,
    signature: checkpoint.signature,
    // The same tree head as a C2SP signed note (with any witness cosignatures): GET /api/v1/audit/checkpoint.
    signedNote: signedNoteOf(checkpoint),
    // Witness cosignatures stored beside it and whether they reach ATTEST_WITNESS_QUORUM.
    cosignatures: checkpoint.cosignatures,
    witnesses: witnessStatus(checkpoint),
  };
}

export async function latestCheckpointView() {
  const checkpoint = await latestCheckpoint();
  return checkpoint ? checkpointView(checkpoint) : null;
}

const positiveInteger = (name: string) =>
  z.coerce.number({ invalid_type_error: `${name} must be a whole number` }).int(`${name} must be a whole number`).min(1, `${name} must be at least 1`);

const InclusionQuery = z.object({ seq: positiveInteger("seq"), treeSize: positiveInteger("treeSize").optional() });
const ConsistencyQuery = z.object({ from: positiveInteger("from"), to: positiveInteger("to") });

function parseQuery<T extends z.ZodTypeAny>(schema: T, url: URL): z.infer<T> {
  const result = schema.safeParse(Object.fromEntries(url.searchParams));
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw badRequest(issue.path.length > 0 && issue.message.startsWith("Required") ? `${issue.path.join(".")} is required` : issue.message);
  }
  return result.data;
}

async function checkpointAt(treeSize: number) {
  const checkpoint = await checkpointAtSize(treeSize);
  return checkpoint ? checkpointView(checkpoint) : null;
}

/** RFC 6962 audit path for event `seq` (leaf index seq − 1) in the tree of `treeSize` events. */
export async function inclusionProofView(url: URL) {
  const query = parseQuery(InclusionQuery, url);
  const committed = await committedTreeSize(db);
  const latest = await latestCheckpoint();
  const treeSize = query.treeSize ?? latest?.treeSize ?? committed;
  if (treeSize > committed) throw badRequest(`treeSize ${treeSize} is larger than the ledger (${committed} events)`);
  if (query.seq > treeSize) throw badRequest(`seq ${query.seq} is not in a tree of ${treeSize} events`);
  const event = await db.auditEvent.findUnique({ where: { seq: BigInt(query.seq) }, select: { leafHash: true } });
  if (!event?.leafHash) throw Response.json({ error: `event ${query.seq} was not found` }, { status: 404 });
  const [proof, root, checkpoint] = await Promise.all([
    treeInclusionProof(db, query.seq - 1, treeSize),
    treeRoot(db, treeSize),
    checkpointAt(treeSize),
  ]);
  return {
    seq: query.seq,
    leafIndex: query.seq - 1,
    treeSize,
    leafHash: hex(event.leafHash),
    auditPath: proof.map(hex),
    rootHash: hex(root),
    checkpoint,
  };
}

/** RFC 6962 consistency proof that the tree of `from` events is a prefix of the tree of `to` events. */
export async function consistencyProofView(url: URL) {
  const query = parseQuery(ConsistencyQuery, url);
  if (query.from > query.to) throw badRequest(`from (${query.from}) must not be larger than to (${query.to})`);
  const committed = await committedTreeSize(db);
  if (query.to > committed) throw badRequest(`to ${query.to} is larger than the ledger (${committed} events)`);
  const [proof, fromRoot, toRoot, fromCheckpoint, toCheckpoint] = await Promise.all([
    treeConsistencyProof(db, query.from, query.to),
    treeRoot(db, query.from),
    treeRoot(db, query.to),
    checkpointAt(query.from),
    checkpointAt(query.to),
  ]);
  return {
    from: query.from,
    to: query.to,
    fromRootHash: hex(fromRoot),
    toRootHash: hex(toRoot),
    proof: proof.map(hex),
    fromCheckpoint,
    toCheckpoint,
  };
}

/** The public keys, oldest first, with the transition statements that chain them (docs/ledger.md). */
export async function signingKeyHistory() {
  return publicKeyChain(await ledgerOrigin());
}
