import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  blindIndex,
  decryptField,
  deriveBlindIndexKey,
  encryptField,
  FieldDecryptionError,
  isEncryptedField,
  newDataKey,
  normaliseForIndex,
  unwrapKey,
  wrapKey,
} from "./field-crypto";

const alice = "3f0c1a2b-1111-4222-8333-444455556666";
const bob = "7a7a7a7a-1111-4222-8333-444455556666";

describe("a personal value encrypted under the subject's data key (ADR 009)", () => {
  it("decrypts to what was written, for any text", () => {
    const key = newDataKey();
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), (text) => decryptField(key, alice, encryptField(key, alice, text)) === text));
  });

  it("never repeats: the same value twice gives two ciphertexts (random IV)", () => {
    const key = newDataKey();
    expect(encryptField(key, alice, "Anna Svensson").equals(encryptField(key, alice, "Anna Svensson"))).toBe(false);
  });

  it("holds none of the plain text, and starts with a header plain UTF-8 text can never start with", () => {
    const stored = encryptField(newDataKey(), alice, "anna.svensson@example.se");
    expect(stored.toString("latin1")).not.toContain("anna");
    expect(isEncryptedField(stored)).toBe(true);
    expect(isEncryptedField(Buffer.from("anna.svensson@example.se", "utf8"))).toBe(false);
    fc.assert(fc.property(fc.string({ unit: "grapheme", minLength: 1 }), (text) => !isEncryptedField(Buffer.concat([Buffer.from(text, "utf8"), Buffer.alloc(40)]))));
  });

  it("refuses another subject's id as associated data, another key, and any altered byte", () => {
    const key = newDataKey();
    const stored = encryptField(key, alice, "Storgatan 1");
    expect(() => decryptField(key, bob, stored)).toThrow(FieldDecryptionError);
    expect(() => decryptField(newDataKey(), alice, stored)).toThrow(FieldDecryptionError);
    for (const index of [2, 20, stored.length - 1]) {
      const altered = Buffer.from(stored);
      altered[index] = altered[index]! ^ 1;
      expect(() => decryptField(key, alice, altered)).toThrow(FieldDecryptionError);
    }
  });
});

describe("a data key wrapped by the key-encryption key", () => {
  it("unwraps only under the same KEK, subject and purpose", () => {
    const kek = randomBytes(32);
    const key = newDataKey();
    const wrapped = wrapKey(kek, alice, "data", key);
    expect(unwrapKey(kek, alice, "data", wrapped)).toEqual(key);
    expect(() => unwrapKey(randomBytes(32), alice, "data", wrapped)).toThrow(FieldDecryptionError);
    expect(() => unwrapKey(kek, bob, "data", wrapped)).toThrow(FieldDecryptionError);
    expect(() => unwrapKey(kek, alice, "ledger", wrapped)).toThrow(FieldDecryptionError);
  });
});

describe("blind indexes", () => {
  const indexKey = deriveBlindIndexKey(randomBytes(32));

  it("match the same e-mail in any case and the same phone in any punctuation", () => {
    expect(blindIndex(indexKey, "email", " Anna.Svensson@Example.SE ")).toEqual(blindIndex(indexKey, "email", "anna.svensson@example.se"));
    expect(blindIndex(indexKey, "phone", "+46 (8) 555-0100")).toEqual(blindIndex(indexKey, "phone", "+4685550100"));
    expect(blindIndex(indexKey, "email", "a@b.se")).not.toEqual(blindIndex(indexKey, "email", "a@c.se"));
  });

  it("differ between an e-mail and a phone, and under another key-encryption key (a rotation re-indexes)", () => {
    expect(blindIndex(indexKey, "email", "4685550100@x.se")).not.toEqual(blindIndex(indexKey, "phone", "4685550100"));
    expect(blindIndex(deriveBlindIndexKey(randomBytes(32)), "email", "a@b.se")).not.toEqual(blindIndex(indexKey, "email", "a@b.se"));
  });

  it("are 16 bytes and skip what is not an address or a number", () => {
    expect(blindIndex(indexKey, "email", "a@b.se")).toHaveLength(16);
    expect(blindIndex(indexKey, "email", "not an address")).toBeNull();
    expect(normaliseForIndex("phone", "12")).toBeNull();
    expect(blindIndex(indexKey, "phone", null)).toBeNull();
  });
});
