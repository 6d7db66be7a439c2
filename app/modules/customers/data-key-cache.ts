import { env } from "~/utils/env.server";

// What this process keeps of decrypted personal data for a short time (ADR 020), so a page that shows
// many customers does not unwrap every key and decrypt every value on every read:
//   keys    a subject's unwrapped data key, for exactly the wrapped bytes and key-encryption key it
//           was unwrapped from;
//   values  a decrypted value, for exactly the ciphertext it was decrypted from (each write draws a new
//           random IV, so changed data never matches an old entry).
//
// The caches never decide whether a key still exists. Every read fetches the subject's key row in the
// same statement — the same snapshot — as the data, and asks the caches only when that row still holds a
// live data key. Once an erasure has committed, the row says "destroyed" (data_key NULL) to every reader
// on every instance and the data row is gone, so no entry can be reached any more: no invalidation has
// to arrive first, and a lost message cannot serve a shredded key. A rotation re-wraps the key under the
// new KEK, so the stored bytes change and the key entry stops matching in the same way.
// What the caches cost: what was read stays in this process's memory for at most
// PERSONAL_DATA_CACHE_SECONDS after it was decrypted (ADR 020 on why that is accepted and bounded).
// PERSONAL_DATA_CACHE_SECONDS=0 turns both off.

/** At most this many keys (about 4 MB with the map's overhead) and values held; the oldest go first. */
export const DATA_KEY_CACHE_MAX_ENTRIES = 20_000;
export const VALUE_CACHE_MAX_ENTRIES = 100_000;

interface Entry<T> {
  /** The stored bytes the entry was derived from: it answers for exactly these. */
  source: Buffer;
  kekId: string | null;
  value: T;
  expiresAt: number;
}

let lifetimeMs = env.PERSONAL_DATA_CACHE_SECONDS * 1000;

class BoundedCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries: number) {}

  get(id: string, kekId: string | null, source: Uint8Array, now: number): T | undefined {
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt > now && entry.kekId === kekId && entry.source.length === source.length && entry.source.equals(source)) {
      this.hits++;
      return entry.value;
    }
    this.misses++;
    return undefined;
  }

  set(id: string, kekId: string | null, source: Uint8Array, value: T, now: number) {
    if (lifetimeMs <= 0) return;
    this.entries.delete(id);
    // Entries are kept in the order they were stored (a refreshed one is stored again) and all live
    // equally long, so the expired and the oldest are at the front.
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now && this.entries.size < this.maxEntries) break;
      this.entries.delete(key);
    }
    this.entries.set(id, { source: Buffer.from(source), kekId, value, expiresAt: now + lifetimeMs });
  }

  forget(predicate: (id: string, entry: Entry<T>) => boolean) {
    for (const [id, entry] of this.entries) if (predicate(id, entry)) this.entries.delete(id);
  }

  delete(id: string) {
    this.entries.delete(id);
  }

  clear() {
    this.entries.clear();
  }

  get size() {
    return this.entries.size;
  }
}

const keys = new BoundedCache<Buffer>(DATA_KEY_CACHE_MAX_ENTRIES);
const values = new BoundedCache<string>(VALUE_CACHE_MAX_ENTRIES);

/**
 * The unwrapped key for a subject's stored wrapped key: from the cache when it holds the key for exactly
 * these bytes under this KEK and has not expired, else `unwrap()` and remember it. `wrapped` must come
 * from the key row read by the caller's current statement (never from an earlier read).
 */
export function cachedUnwrap(subjectId: string, kekId: string | null, wrapped: Uint8Array, unwrap: () => Buffer, now = Date.now()): Buffer {
  const cached = keys.get(subjectId, kekId, wrapped, now);
  if (cached) return cached;
  const key = unwrap();
  keys.set(subjectId, kekId, wrapped, key, now);
  return key;
}

/**
 * A decrypted value of a subject (`slot` names which: a column), for exactly this ciphertext, or
 * `decrypt()` and remember it. Only for a subject whose data key the caller's own statement read as
 * live: the cache cannot know about an erasure, the key row can.
 */
export function cachedDecrypt(subjectId: string, slot: string, ciphertext: Uint8Array, decrypt: () => string, now = Date.now()): string {
  const cached = peekDecrypted(subjectId, slot, ciphertext, now);
  return cached !== undefined ? cached : rememberDecrypted(subjectId, slot, ciphertext, decrypt(), now);
}

/** Remembers a value just decrypted from exactly this ciphertext (same conditions as cachedDecrypt); returns it. */
export function rememberDecrypted(subjectId: string, slot: string, ciphertext: Uint8Array, text: string, now = Date.now()): string {
  values.set(`${subjectId}/${slot}`, null, ciphertext, text, now);
  return text;
}

/** Whether a value is held for exactly this ciphertext (no decryption). */
export function peekDecrypted(subjectId: string, slot: string, ciphertext: Uint8Array, now = Date.now()): string | undefined {
  return values.get(`${subjectId}/${slot}`, null, ciphertext, now);
}

/**
 * Forgets subjects' keys and values here at once (their erasure on this instance): not needed for
 * correctness — the destroyed key row already keeps every instance from using them — but they leave
 * memory now rather than at the end of their lifetime. Other instances drop theirs when it ends.
 */
export function forgetDataKeys(subjectIds: Iterable<string>) {
  const ids = new Set(subjectIds);
  if (ids.size === 0) return;
  for (const id of ids) keys.delete(id);
  values.forget((id) => ids.has(id.slice(0, id.indexOf("/"))));
}

/** Forgets every key unwrapped under one key-encryption key (destroyed by a rotation), or everything. */
export function forgetDataKeysUnder(kekId?: string) {
  if (kekId === undefined) {
    keys.clear();
    values.clear();
    return;
  }
  keys.forget((_, entry) => entry.kekId === kekId);
}

/** Sets the lifetime (tests; 0 turns the caches off) and empties both. */
export function setPersonalDataCacheLifetime(ms: number) {
  lifetimeMs = ms;
  forgetDataKeysUnder();
}

/** Entries held and hits since start, for tests and diagnostics. */
export function personalDataCacheStats() {
  return { keys: keys.size, values: values.size, keyHits: keys.hits, keyMisses: keys.misses, valueHits: values.hits, valueMisses: values.misses };
}
