import { canonicalJson } from "./canonical-json";
import { readArmoredPublicKey, verifyDetached } from "./openpgp";

// Which checkpoint signing keys a verifier trusts (docs/ledger.md "Trusted keys"). Nothing the database
// says about keys is trusted by itself: a key is trusted when its fingerprint is pinned outside the
// database (ATTEST_TRUSTED_KEYS / ATTEST_TRUSTED_KEYS_FILE, or a client's own configuration), or when a
// key-transition statement signed by an already trusted key introduces it. A key's validity period
// comes from the transitions too: a key is valid until the statement it signed to hand over took
// effect, whatever `signing_key.retired_at` says. Pure (no database): the verifier, the witness and
// outside clients of /api/v1/audit/keys share it.

export const KEY_TRANSITION_FORMAT = "attest-key-transition/v1";

export interface KeyTransitionStatement {
  format: typeof KEY_TRANSITION_FORMAT;
  origin: string;
  /** The outgoing key, which signs the statement. */
  fromFingerprint: string;
  /** The incoming key. */
  toFingerprint: string;
  /** ISO-8601 UTC with milliseconds: the outgoing key's last valid instant and the new key's first. */
  effectiveAt: string;
}

export function keyTransitionBody(statement: KeyTransitionStatement) {
  return canonicalJson(statement);
}

export function parseKeyTransitionBody(body: string): { statement: KeyTransitionStatement } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { error: "the transition statement is not JSON" };
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return { error: "the transition statement is not a JSON object" };
  const statement = value as Record<string, unknown>;
  if (canonicalJson(statement) !== body) return { error: "the transition statement is not in canonical form" };
  const isValid =
    statement.format === KEY_TRANSITION_FORMAT &&
    Object.keys(statement).length === 5 &&
    typeof statement.origin === "string" &&
    typeof statement.fromFingerprint === "string" &&
    typeof statement.toFingerprint === "string" &&
    typeof statement.effectiveAt === "string" &&
    !Number.isNaN(Date.parse(statement.effectiveAt));
  return isValid ? { statement: statement as unknown as KeyTransitionStatement } : { error: `the transition statement's members are not format (${KEY_TRANSITION_FORMAT}), origin, from, to and effectiveAt` };
}

/** Fingerprints as written anywhere (spaces, lowercase, `0x`): 40 uppercase hex digits. */
export function normalizeFingerprint(text: string) {
  return text.replace(/^0x/i, "").replace(/\s+/g, "").toUpperCase();
}

/** Pinned fingerprints from a comma/space/newline-separated list (`#` starts a comment). */
export function parseTrustedFingerprints(text: string, source: string): string[] {
  const out: string[] = [];
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
    for (const entry of line.replace(/#.*/, "").split(",")) {
      const fingerprint = normalizeFingerprint(entry);
      if (!fingerprint) continue;
      if (!/^[0-9A-F]{40}$|^[0-9A-F]{64}$/.test(fingerprint)) throw new Error(`${source}: line ${index + 1}: "${entry.trim()}" is not an OpenPGP fingerprint (40 hex digits)`);
      out.push(fingerprint);
    }
  }
  return out;
}

/** A key as the database (or /api/v1/audit/keys) presents it. */
export interface KeyRecord {
  fingerprint: string;
  armoredPublicKey: string;
  activatedAt: Date | null;
  retiredAt: Date | null;
  transitionBody: string | null;
  transitionSignature: string | null;
  /** Checkpoints this row is said to have signed (0 when unknown). */
  checkpointCount?: number;
}

export interface TrustedKey {
  fingerprint: string;
  armoredPublicKey: string;
  /** How it is trusted: pinned, or introduced by the named key. */
  introducedBy: string | null;
  /** First instant it may sign (null: from the ledger's start, a pinned key). */
  validFrom: Date | null;
  /** Last instant it may sign (null: still valid). */
  validUntil: Date | null;
}

export interface KeyTrustProblem {
  fingerprint: string;
  message: string;
}

export interface KeyTrust {
  trusted: Map<string, TrustedKey>;
  /** The first key record no trusted chain accounts for, or that contradicts the chain. */
  problem: KeyTrustProblem | null;
  /** Staged keys (never activated, signing nothing) that no transition introduced yet. */
  staged: string[];
}

/**
 * Walks the key chain from the pinned fingerprints. Problems (first found, in key order): a row whose
 * armored key is not the key its fingerprint names; an active or used key that no pinned fingerprint or
 * verified transition introduces (an inserted key); a transition statement that does not verify; a row
 * whose recorded validity contradicts the signed transitions (e.g. a retired key re-activated).
 */
export async function evaluateKeyTrust(records: readonly KeyRecord[], pinned: readonly string[]): Promise<KeyTrust> {
  const trusted = new Map<string, TrustedKey>();
  const pins = new Set(pinned.map(normalizeFingerprint));
  let problem: KeyTrustProblem | null = null;
  const fail = (fingerprint: string, message: string) => {
    problem ??= { fingerprint, message };
  };

  // Every row must hold the key its fingerprint names (else the fingerprint pins nothing).
  for (const record of records) {
    try {
      const key = await readArmoredPublicKey(record.armoredPublicKey);
      if (key.getFingerprint().toUpperCase() !== record.fingerprint) fail(record.fingerprint, `signing key row ${record.fingerprint} holds a different public key (${key.getFingerprint().toUpperCase()}): it was overwritten`);
    } catch {
      fail(record.fingerprint, `signing key row ${record.fingerprint} does not hold a readable OpenPGP public key`);
    }
  }
  for (const record of records) {
    if (pins.has(record.fingerprint)) trusted.set(record.fingerprint, { fingerprint: record.fingerprint, armoredPublicKey: record.armoredPublicKey, introducedBy: null, validFrom: null, validUntil: null });
  }
  // Transitions, repeatedly, from what is trusted so far (a chain of rotations).
  const verifiedTransitions = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const record of records) {
      if (!record.transitionBody || !record.transitionSignature || verifiedTransitions.has(record.fingerprint)) continue;
      const parsed = parseKeyTransitionBody(record.transitionBody);
      if ("error" in parsed) {
        fail(record.fingerprint, `the transition that introduces key ${record.fingerprint} is malformed: ${parsed.error}`);
        verifiedTransitions.add(record.fingerprint);
        continue;
      }
      const { statement } = parsed;
      const outgoing = trusted.get(statement.fromFingerprint);
      if (!outgoing) continue;
      verifiedTransitions.add(record.fingerprint);
      if (statement.toFingerprint !== record.fingerprint) {
        fail(record.fingerprint, `the transition stored with key ${record.fingerprint} introduces ${statement.toFingerprint}, not this key`);
        continue;
      }
      if (!(await verifyDetached(outgoing.armoredPublicKey, record.transitionBody, record.transitionSignature))) {
        fail(record.fingerprint, `the transition from ${statement.fromFingerprint} to ${record.fingerprint} does not verify with the outgoing key: key ${record.fingerprint} is not trusted`);
        continue;
      }
      const effectiveAt = new Date(statement.effectiveAt);
      if (outgoing.validUntil === null || effectiveAt < outgoing.validUntil) outgoing.validUntil = effectiveAt;
      // A key both pinned and introduced keeps its pin (valid from the start).
      if (!trusted.has(record.fingerprint)) {
        trusted.set(record.fingerprint, { fingerprint: record.fingerprint, armoredPublicKey: record.armoredPublicKey, introducedBy: statement.fromFingerprint, validFrom: effectiveAt, validUntil: null });
      }
      changed = true;
    }
  }
  const staged: string[] = [];
  for (const record of records) {
    const key = trusted.get(record.fingerprint);
    if (!key) {
      const isUnused = record.activatedAt === null && record.retiredAt === null && !record.transitionBody && (record.checkpointCount ?? 0) === 0;
      if (isUnused) staged.push(record.fingerprint);
      else fail(record.fingerprint, `signing key ${record.fingerprint} is ${record.activatedAt ? "marked active" : "recorded"} in the database but no pinned fingerprint or signed key transition introduces it: a key was inserted outside the rotation procedure`);
      continue;
    }
    // The database's validity must not extend what the signed transitions allow.
    if (key.validUntil && (record.retiredAt === null || record.retiredAt.getTime() > key.validUntil.getTime())) {
      fail(record.fingerprint, `signing key ${record.fingerprint} handed over to its successor at ${key.validUntil.toISOString()} but the database shows it ${record.retiredAt ? `retired only at ${record.retiredAt.toISOString()}` : "still active"}: a retired key was re-activated`);
    }
    if (key.validFrom && record.activatedAt && record.activatedAt.getTime() < key.validFrom.getTime()) {
      fail(record.fingerprint, `signing key ${record.fingerprint} was introduced at ${key.validFrom.toISOString()} but the database shows it active from ${record.activatedAt.toISOString()}`);
    }
  }
  return { trusted, problem, staged };
}

/** May `key` sign at `at` by the trusted chain? */
export function isWithinTrustedValidity(key: TrustedKey, at: Date) {
  return (key.validFrom === null || key.validFrom.getTime() <= at.getTime()) && (key.validUntil === null || at.getTime() <= key.validUntil.getTime());
}
