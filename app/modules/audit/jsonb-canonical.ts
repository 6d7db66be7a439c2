// RFC 8785 canonical JSON straight from PostgreSQL's jsonb text output, byte to byte, for the verifier
// (millions of events, no JSON.parse, no objects). jsonb already writes strings exactly as
// JSON.stringify does (the same escapes, UTF-8 passed through) and drops duplicate keys, so what is
// left is removing its spaces and re-sorting object members: jsonb orders keys by length, RFC 8785 by
// UTF-16 code units. Anything this byte-level path cannot prove canonical — a number that is not a
// small integer (jsonb prints numerics, ECMAScript formats doubles), a key with escapes or non-ASCII
// characters — returns -1, and the caller canonicalises that value with canonicalJson instead.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
// Integers of up to 15 digits are exact doubles, which ECMAScript prints digit for digit.
const MAX_FAST_DIGITS = 15;

interface Cursor {
  src: Buffer;
  pos: number;
  end: number;
  out: Buffer;
  at: number;
}

function skipSpace(cursor: Cursor) {
  while (cursor.pos < cursor.end) {
    const byte = cursor.src[cursor.pos]!;
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return;
    cursor.pos += 1;
  }
}

/** Copies a string token as it is (its escapes are already JSON.stringify's); false if `isKey` and not plain ASCII. */
function copyString(cursor: Cursor, isKey: boolean) {
  const { src, out } = cursor;
  out[cursor.at++] = src[cursor.pos++]!;
  while (cursor.pos < cursor.end) {
    const byte = src[cursor.pos++]!;
    if (isKey && (byte === BACKSLASH || byte >= 0x80)) return false;
    out[cursor.at++] = byte;
    if (byte === QUOTE) return true;
    if (byte === BACKSLASH) out[cursor.at++] = src[cursor.pos++]!;
  }
  return false;
}

function copyInteger(cursor: Cursor) {
  const { src, out } = cursor;
  const start = cursor.pos;
  if (src[cursor.pos] === 0x2d) cursor.pos += 1;
  const firstDigit = cursor.pos;
  while (cursor.pos < cursor.end && src[cursor.pos]! >= 0x30 && src[cursor.pos]! <= 0x39) cursor.pos += 1;
  const digits = cursor.pos - firstDigit;
  const next = src[cursor.pos];
  if (digits === 0 || digits > MAX_FAST_DIGITS || next === 0x2e || next === 0x65 || next === 0x45) return false;
  // "-0" parses to negative zero, which canonical JSON writes as 0; a leading zero is not JSON.
  if (digits > 1 && src[firstDigit] === 0x30) return false;
  if (digits === 1 && src[firstDigit] === 0x30 && firstDigit !== start) return false;
  for (let i = start; i < cursor.pos; i++) out[cursor.at++] = src[i]!;
  return true;
}

function copyLiteral(cursor: Cursor, literal: string) {
  for (let i = 0; i < literal.length; i++) {
    if (cursor.src[cursor.pos + i] !== literal.charCodeAt(i)) return false;
  }
  for (let i = 0; i < literal.length; i++) cursor.out[cursor.at++] = literal.charCodeAt(i);
  cursor.pos += literal.length;
  return true;
}

/**
 * Compares two keys (string tokens, quotes included) by their characters, a shorter prefix first: < 0,
 * 0 or > 0. Byte by byte here: keys are a few bytes, and Buffer#compare's native call costs more.
 */
function compareKeys(src: Buffer, aStart: number, aEnd: number, bStart: number, bEnd: number) {
  const aLength = aEnd - aStart - 2;
  const bLength = bEnd - bStart - 2;
  const length = Math.min(aLength, bLength);
  for (let i = 1; i <= length; i++) {
    const difference = src[aStart + i]! - src[bStart + i]!;
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}

/**
 * Copies an object whose keys jsonb happened to store in canonical order — the common case — without
 * allocating anything; false if a key is out of order (or not plain ASCII), and the caller re-sorts.
 */
function copyObject(cursor: Cursor): boolean {
  const { src, out } = cursor;
  const objectPos = cursor.pos;
  const objectAt = cursor.at;
  out[cursor.at++] = 0x7b;
  cursor.pos += 1;
  skipSpace(cursor);
  if (src[cursor.pos] === 0x7d) {
    cursor.pos += 1;
    out[cursor.at++] = 0x7d;
    return true;
  }
  let previousStart = -1;
  let previousEnd = -1;
  for (;;) {
    skipSpace(cursor);
    if (src[cursor.pos] !== QUOTE) return false;
    if (previousStart >= 0) out[cursor.at++] = 0x2c;
    const keyStart = cursor.pos;
    if (!copyString(cursor, true)) return false;
    const keyEnd = cursor.pos;
    if (previousStart >= 0 && compareKeys(src, previousStart, previousEnd, keyStart, keyEnd) >= 0) {
      cursor.pos = objectPos;
      cursor.at = objectAt;
      return copyObjectSorting(cursor);
    }
    previousStart = keyStart;
    previousEnd = keyEnd;
    skipSpace(cursor);
    if (src[cursor.pos++] !== 0x3a) return false;
    out[cursor.at++] = 0x3a;
    skipSpace(cursor);
    if (!copyValue(cursor)) return false;
    skipSpace(cursor);
    const separator = src[cursor.pos++];
    if (separator === 0x7d) break;
    if (separator !== 0x2c) return false;
  }
  out[cursor.at++] = 0x7d;
  return true;
}

/** Copies an object, then rewrites its members in key order: ASCII byte order is UTF-16 order (RFC 8785 §3.2.3). */
function copyObjectSorting(cursor: Cursor): boolean {
  const { src, out } = cursor;
  out[cursor.at++] = 0x7b;
  cursor.pos += 1;
  const bodyStart = cursor.at;
  // Each member's key (in src) and its written bytes (in out, without the separating comma).
  const members: { keyStart: number; keyEnd: number; outStart: number; outEnd: number }[] = [];
  for (;;) {
    skipSpace(cursor);
    if (src[cursor.pos] !== QUOTE) return false;
    if (members.length > 0) out[cursor.at++] = 0x2c;
    const outStart = cursor.at;
    const keyStart = cursor.pos;
    if (!copyString(cursor, true)) return false;
    const keyEnd = cursor.pos;
    skipSpace(cursor);
    if (src[cursor.pos++] !== 0x3a) return false;
    out[cursor.at++] = 0x3a;
    skipSpace(cursor);
    if (!copyValue(cursor)) return false;
    members.push({ keyStart, keyEnd, outStart, outEnd: cursor.at });
    skipSpace(cursor);
    const separator = src[cursor.pos++];
    if (separator === 0x7d) break;
    if (separator !== 0x2c) return false;
  }
  const written = Buffer.from(out.subarray(bodyStart, cursor.at));
  members.sort((a, b) => compareKeys(src, a.keyStart, a.keyEnd, b.keyStart, b.keyEnd));
  cursor.at = bodyStart;
  members.forEach((member, index) => {
    if (index > 0) out[cursor.at++] = 0x2c;
    cursor.at += written.copy(out, cursor.at, member.outStart - bodyStart, member.outEnd - bodyStart);
  });
  out[cursor.at++] = 0x7d;
  return true;
}

function copyArray(cursor: Cursor): boolean {
  const { src, out } = cursor;
  out[cursor.at++] = 0x5b;
  cursor.pos += 1;
  skipSpace(cursor);
  if (src[cursor.pos] === 0x5d) {
    cursor.pos += 1;
    out[cursor.at++] = 0x5d;
    return true;
  }
  for (;;) {
    skipSpace(cursor);
    if (!copyValue(cursor)) return false;
    skipSpace(cursor);
    const separator = src[cursor.pos++];
    if (separator === 0x5d) break;
    if (separator !== 0x2c) return false;
    out[cursor.at++] = 0x2c;
  }
  out[cursor.at++] = 0x5d;
  return true;
}

function copyValue(cursor: Cursor): boolean {
  switch (cursor.src[cursor.pos]) {
    case 0x7b:
      return copyObject(cursor);
    case 0x5b:
      return copyArray(cursor);
    case QUOTE:
      return copyString(cursor, false);
    case 0x74:
      return copyLiteral(cursor, "true");
    case 0x66:
      return copyLiteral(cursor, "false");
    case 0x6e:
      return copyLiteral(cursor, "null");
    default:
      return copyInteger(cursor);
  }
}

/**
 * Writes the canonical form of the jsonb text src[start, end) into out at `at` (room for end − start
 * bytes needed: canonical JSON only drops spaces). Returns where it ended, or -1 if the general
 * canonicaliser must handle this value.
 */
export function writeCanonicalJsonb(src: Buffer, start: number, end: number, out: Buffer, at: number): number {
  const cursor: Cursor = { src, pos: start, end, out, at };
  skipSpace(cursor);
  if (!copyValue(cursor)) return -1;
  skipSpace(cursor);
  return cursor.pos === end ? cursor.at : -1;
}
