import { randomBytes } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import {
  DATA_KEY_CACHE_MAX_ENTRIES,
  cachedDecrypt,
  cachedUnwrap,
  forgetDataKeys,
  forgetDataKeysUnder,
  peekDecrypted,
  personalDataCacheStats,
  setPersonalDataCacheLifetime,
} from "./data-key-cache";

const subject = "0b7c6a58-1111-4222-8333-444455556666";
const wrapped = randomBytes(60);
const key = randomBytes(32);

let unwraps = 0;
const unwrap = () => {
  unwraps++;
  return key;
};

beforeEach(() => {
  setPersonalDataCacheLifetime(60_000);
  unwraps = 0;
});

describe("cached unwrapped data keys", () => {
  it("unwraps once for the same wrapped bytes and KEK within the lifetime", () => {
    expect(cachedUnwrap(subject, "kek-a", wrapped, unwrap, 0)).toBe(key);
    expect(cachedUnwrap(subject, "kek-a", Buffer.from(wrapped), unwrap, 59_999)).toBe(key);
    expect(unwraps).toBe(1);
  });

  it("unwraps again for other wrapped bytes, another KEK (a rotation) or after the lifetime", () => {
    cachedUnwrap(subject, "kek-a", wrapped, unwrap, 0);
    cachedUnwrap(subject, "kek-b", wrapped, unwrap, 1);
    const rewrapped = Buffer.from(wrapped);
    rewrapped[20] = rewrapped[20]! ^ 1;
    cachedUnwrap(subject, "kek-b", rewrapped, unwrap, 2);
    cachedUnwrap(subject, "kek-b", rewrapped, unwrap, 60_003);
    expect(unwraps).toBe(4);
  });

  it("forgets a subject's key and values at once, and every key under a destroyed KEK", () => {
    const other = "1b7c6a58-1111-4222-8333-444455556666";
    cachedUnwrap(subject, "kek-a", wrapped, unwrap, 0);
    cachedUnwrap(other, "kek-b", wrapped, unwrap, 0);
    cachedDecrypt(subject, "fullName", wrapped, () => "Ada", 0);
    forgetDataKeys([subject]);
    expect(peekDecrypted(subject, "fullName", wrapped, 1)).toBeUndefined();
    cachedUnwrap(subject, "kek-a", wrapped, unwrap, 1);
    expect(unwraps).toBe(3);
    forgetDataKeysUnder("kek-b");
    cachedUnwrap(other, "kek-b", wrapped, unwrap, 2);
    expect(unwraps).toBe(4);
  });

  it("holds no more than its bound, dropping the oldest first", () => {
    for (let index = 0; index < DATA_KEY_CACHE_MAX_ENTRIES + 10; index++) cachedUnwrap(`subject-${index}`, "kek-a", wrapped, unwrap, index);
    expect(personalDataCacheStats().keys).toBe(DATA_KEY_CACHE_MAX_ENTRIES);
    unwraps = 0;
    cachedUnwrap(`subject-${DATA_KEY_CACHE_MAX_ENTRIES + 9}`, "kek-a", wrapped, unwrap, DATA_KEY_CACHE_MAX_ENTRIES + 10);
    cachedUnwrap("subject-0", "kek-a", wrapped, unwrap, DATA_KEY_CACHE_MAX_ENTRIES + 11);
    expect(unwraps).toBe(1);
  });

  it("keeps nothing when the lifetime is 0", () => {
    setPersonalDataCacheLifetime(0);
    cachedUnwrap(subject, "kek-a", wrapped, unwrap, 0);
    cachedUnwrap(subject, "kek-a", wrapped, unwrap, 0);
    expect(unwraps).toBe(2);
    expect(cachedDecrypt(subject, "email", wrapped, () => "a@b.test", 0)).toBe("a@b.test");
    expect(peekDecrypted(subject, "email", wrapped, 0)).toBeUndefined();
  });
});

describe("cached decrypted values", () => {
  it("answer only for exactly the ciphertext they came from", () => {
    const ciphertext = randomBytes(40);
    expect(cachedDecrypt(subject, "fullName", ciphertext, () => "Ada Lovelace", 0)).toBe("Ada Lovelace");
    expect(peekDecrypted(subject, "fullName", Buffer.from(ciphertext), 1)).toBe("Ada Lovelace");
    expect(peekDecrypted(subject, "email", ciphertext, 1)).toBeUndefined();
    const rewritten = Buffer.from(ciphertext);
    rewritten[5] = rewritten[5]! ^ 1;
    expect(peekDecrypted(subject, "fullName", rewritten, 1)).toBeUndefined();
    expect(peekDecrypted(subject, "fullName", ciphertext.subarray(0, 39), 1)).toBeUndefined();
    expect(peekDecrypted(subject, "fullName", ciphertext, 60_001)).toBeUndefined();
  });
});
