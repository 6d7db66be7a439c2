import { createHmac, hash } from "node:crypto";

// Event authentication tags (docs/ledger.md "Authenticated events"): every event appended in leaf
// format v2 carries HMAC-SHA-256(key, SHA-256(content)) under an application key that is never stored
// in the database. Whoever can write to the database but does not hold the key cannot produce an event
// the verifier accepts; whoever holds neither the key nor the signing key cannot rewrite one either.
// Pure functions: the app, the verifier and its worker threads share them.

export interface EventTagKey {
  /** Derived from the secret, so a key names itself: 16 lowercase hex digits. */
  id: string;
  secret: Buffer;
}

const MIN_SECRET_BYTES = 32;

export function eventTagKeyId(secret: Buffer) {
  return hash("sha256", Buffer.concat([Buffer.from("attest ledger event tag key\n"), secret]), "hex").slice(0, 16);
}

/** Parses keys given as base64 secrets (one per line or comma-separated; `#` starts a comment). */
export function parseEventTagKeys(text: string, source: string): EventTagKey[] {
  const keys: EventTagKey[] = [];
  const entries = text
    .split(/[\n,]/)
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean);
  for (const [index, entry] of entries.entries()) {
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(entry)) throw new Error(`${source}: key ${index + 1} is not base64`);
    const secret = Buffer.from(entry, "base64");
    if (secret.length < MIN_SECRET_BYTES) throw new Error(`${source}: key ${index + 1} has ${secret.length} bytes; an event tag key needs at least ${MIN_SECRET_BYTES}`);
    keys.push({ id: eventTagKeyId(secret), secret });
  }
  return keys;
}

export function computeEventTag(key: EventTagKey, contentSha256: Buffer) {
  return createHmac("sha256", key.secret).update(contentSha256).digest("hex");
}

/**
 * The verifier's tag check for millions of events: HMAC = SHA-256(K⊕opad ‖ SHA-256(K⊕ipad ‖ m)) with
 * both pads prepared once and two one-shot hashes per event (RFC 2104), instead of an Hmac object each.
 */
export class EventTagChecker {
  private readonly pads = new Map<string, { inner: Buffer; outer: Buffer }>();

  constructor(keys: readonly { id: string; secret: Uint8Array }[]) {
    for (const key of keys) {
      const block = Buffer.alloc(64);
      const secret = key.secret.length > 64 ? hash("sha256", key.secret, "buffer") : Buffer.from(key.secret);
      secret.copy(block);
      const inner = Buffer.alloc(64 + 32);
      const outer = Buffer.alloc(64 + 32);
      for (let i = 0; i < 64; i++) {
        inner[i] = block[i]! ^ 0x36;
        outer[i] = block[i]! ^ 0x5c;
      }
      this.pads.set(key.id, { inner, outer });
    }
  }

  get hasKeys() {
    return this.pads.size > 0;
  }

  hasKey(id: string) {
    return this.pads.has(id);
  }

  /** The hex tag of a 32-byte content hash under key `id` (which must be known). */
  tagHex(id: string, contentSha256: Buffer | string) {
    const pad = this.pads.get(id)!;
    if (typeof contentSha256 === "string") pad.inner.write(contentSha256, 64, "latin1");
    else contentSha256.copy(pad.inner, 64);
    hash("sha256", pad.inner, "buffer").copy(pad.outer, 64);
    return hash("sha256", pad.outer, "hex");
  }
}
