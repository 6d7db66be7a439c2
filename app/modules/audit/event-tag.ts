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
    return Buffer.from(this.tagLatin1(this.pads.get(id)!, contentSha256), "latin1").toString("hex");
  }

  /**
   * Checks a stored tag against the content hash without allocating per event: the key id and the hex
   * tag are compared as the bytes they are stored as (bytes [start, end) of their buffers). Returns
   * "unknown_key" when no key of that id is held, "mismatch" when the tag is not the content's.
   */
  check(keyId: Buffer, keyIdStart: number, keyIdEnd: number, tag: Buffer, tagStart: number, tagEnd: number, contentSha256: string): "unknown_key" | "mismatch" | null {
    const pad = this.padFor(keyId, keyIdStart, keyIdEnd);
    if (!pad) return "unknown_key";
    if (tagEnd - tagStart !== 64) return "mismatch";
    const mac = this.tagLatin1(pad, contentSha256);
    for (let i = 0; i < 32; i++) {
      const byte = mac.charCodeAt(i);
      if (tag[tagStart + 2 * i] !== HEX_DIGITS[byte >> 4] || tag[tagStart + 2 * i + 1] !== HEX_DIGITS[byte & 15]) return "mismatch";
    }
    return null;
  }

  // The last key looked up, as its id's bytes: events come in long runs under one key.
  private lastKeyId = Buffer.alloc(0);
  private lastPad: { inner: Buffer; outer: Buffer } | null = null;

  private padFor(keyId: Buffer, start: number, end: number) {
    if (start < 0) return null;
    if (this.lastPad && this.isLastKeyId(keyId, start, end)) return this.lastPad;
    const pad = this.pads.get(keyId.toString("utf8", start, end));
    if (!pad) return null;
    this.lastKeyId = Buffer.from(keyId.subarray(start, end));
    this.lastPad = pad;
    return pad;
  }

  /** Byte by byte: a key id is 16 bytes, and Buffer#compare's native call costs more than the loop. */
  private isLastKeyId(keyId: Buffer, start: number, end: number) {
    const last = this.lastKeyId;
    if (end - start !== last.length) return false;
    for (let i = 0; i < last.length; i++) if (keyId[start + i] !== last[i]) return false;
    return true;
  }

  // One-shot digests as latin1 strings: a Buffer result costs several times more (an ArrayBuffer each).
  private tagLatin1(pad: { inner: Buffer; outer: Buffer }, contentSha256: Buffer | string) {
    if (typeof contentSha256 === "string") pad.inner.write(contentSha256, 64, "latin1");
    else contentSha256.copy(pad.inner, 64);
    pad.outer.write(hash("sha256", pad.inner, "binary"), 64, "latin1");
    return hash("sha256", pad.outer, "binary");
  }
}

const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");
