import { z } from "zod";

// NDJSON batches (docs/ingestion.md): one JSON object per line, read with a size limit and parsed with
// a per-line zod schema. Every problem names its line and field, in the words the engine's
// developers will grep for: `line 17: reasonCodes[2] "XX9" is not in the catalogue`.

export interface LineError {
  line: number;
  /** The field at fault as a path such as `reasonCodes[2]` or `features.age`; null for the whole line. */
  field: string | null;
  message: string;
  /**
   * Why, as a fixed code (zod issue code, `invalid_json`, `outside_token_regions`, …). The ledger keeps
   * line, field and code only: the message may quote what the client sent (issue 13).
   */
  code?: string;
}

export function describeLineError(error: LineError) {
  return `line ${error.line}: ${error.field ? `${error.field} ` : ""}${error.message}`;
}

/** A payload over the size or line limit: answered with 413 before anything is parsed. */
export class PayloadTooLargeError extends Error {}

/** `reasonCodes.2.code` as a reader writes it: `reasonCodes[2].code`. */
export function fieldPath(path: readonly (string | number)[]) {
  return path.reduce<string>((text, part) => (typeof part === "number" ? `${text}[${part}]` : text ? `${text}.${part}` : part), "");
}

/**
 * The request body as text, refusing more than `maxBytes` — from Content-Length when the client sends
 * one, and while streaming otherwise, so an oversized body is never held in memory whole.
 */
export async function readBodyWithin(request: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  const encoding = contentEncodingOf(request);
  if (encoding === "identity" && Number.isFinite(declared) && declared > maxBytes) {
    throw new PayloadTooLargeError(`the body is ${declared.toLocaleString("en")} bytes; a batch may be at most ${maxBytes.toLocaleString("en")} bytes`);
  }
  if (!request.body) return Buffer.alloc(0);
  // gzip is inflated as it streams, and the limit counts inflated bytes (no zip bombs).
  const source = encoding === "gzip" ? request.body.pipeThrough(new DecompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>) : request.body;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = source.getReader();
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      if (encoding === "gzip") throw new InvalidEncodingError("the body is not valid gzip");
      throw error;
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await drainThenCancel(reader, maxBytes * 4);
      throw new PayloadTooLargeError(`the body exceeds ${maxBytes.toLocaleString("en")} bytes; a batch may be at most ${maxBytes.toLocaleString("en")} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads and discards what the client is still sending (up to `budget` bytes), so the 413 reaches a
 * client that streams a chunked body instead of a connection reset mid-upload (issue 13).
 */
async function drainThenCancel(reader: ReadableStreamDefaultReader<Uint8Array>, budget: number) {
  let drained = 0;
  try {
    while (drained < budget) {
      const { done, value } = await reader.read();
      if (done) return;
      drained += value.byteLength;
    }
  } catch {
    return;
  }
  await reader.cancel().catch(() => {});
}

/** A Content-Encoding the API cannot read, or a gzip body that does not inflate. */
export class InvalidEncodingError extends Error {}

export const acceptedContentEncodings = ["identity", "gzip"] as const;

/** The body's Content-Encoding, lower-cased ("identity" when absent). */
export function contentEncodingOf(request: Request) {
  return (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase() || "identity";
}

/** Line numbers (1-based) whose bytes are not valid UTF-8: refused by line, never silently replaced. */
export function invalidUtf8Lines(buffer: Buffer) {
  const invalid: number[] = [];
  const decoder = new TextDecoder("utf-8", { fatal: true });
  try {
    decoder.decode(buffer);
    return invalid;
  } catch {
    // Fall through: find the lines at fault.
  }
  let start = 0;
  let line = 1;
  while (start <= buffer.length) {
    let end = buffer.indexOf(0x0a, start);
    if (end === -1) end = buffer.length;
    try {
      decoder.decode(buffer.subarray(start, end));
    } catch {
      invalid.push(line);
    }
    start = end + 1;
    line++;
  }
  return invalid;
}

/** Paths of strings (keys or values) holding a NUL character, which PostgreSQL text cannot store. */
function nulCharacterPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value === "string") return value.includes("\u0000") ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => nulCharacterPaths(item, [...path, index]));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => (key.includes("\u0000") ? [[...path, "*"]] : nulCharacterPaths(item, [...path, key])));
  }
  return [];
}

/** zod's messages rephrased to follow the field name: `score is required`, `kind "loan" is not one of …`. */
const lineErrorMap: z.ZodErrorMap = (issue, context) => {
  switch (issue.code) {
    case z.ZodIssueCode.invalid_type:
      if (issue.received === "undefined") return { message: "is required" };
      if (issue.received === "null") return { message: "must not be null" };
      return { message: `must be ${issue.expected === "integer" ? "a whole number" : `a ${issue.expected}`} (got ${issue.received})` };
    case z.ZodIssueCode.invalid_enum_value:
      return { message: `${JSON.stringify(issue.received)} is not one of ${issue.options.join(", ")}` };
    case z.ZodIssueCode.unrecognized_keys:
      return { message: `has unknown field(s) ${issue.keys.map((key) => JSON.stringify(key)).join(", ")}` };
    case z.ZodIssueCode.too_small:
      if (issue.type === "number") return { message: `must be ${issue.inclusive ? "at least" : "above"} ${String(issue.minimum)}` };
      if (issue.type === "string") return { message: Number(issue.minimum) === 1 ? "must not be empty" : `must be at least ${String(issue.minimum)} characters` };
      if (issue.type === "array") return { message: `must have at least ${String(issue.minimum)} item(s)` };
      break;
    case z.ZodIssueCode.too_big:
      if (issue.type === "number") return { message: `must be ${issue.inclusive ? "at most" : "below"} ${String(issue.maximum)}` };
      if (issue.type === "string") return { message: `must be at most ${String(issue.maximum)} characters` };
      if (issue.type === "array") return { message: `must have at most ${String(issue.maximum)} item(s)` };
      break;
    default:
      break;
  }
  return { message: context.defaultError };
};

export interface ParsedLine<T> {
  line: number;
  value: T;
}

/**
 * Splits the body into lines (blank lines are skipped but keep their numbers) and parses each with
 * `schema`. Returns every line that parsed and every error, so a caller can report them all at once.
 */
export function parseNdjson<S extends z.ZodTypeAny>(text: string, schema: S, maxLines: number, invalidLines: readonly number[] = []) {
  const notUtf8 = new Set(invalidLines);
  // A byte-order mark some exporters write is not part of the first line's JSON.
  const lines = (text.startsWith("\uFEFF") ? text.slice(1) : text).split("\n");
  const parsed: ParsedLine<z.output<S>>[] = [];
  const errors: LineError[] = [];
  let count = 0;
  for (const [index, raw] of lines.entries()) {
    const lineNumber = index + 1;
    const source = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (source.trim() === "") continue;
    count++;
    if (count > maxLines) {
      throw new PayloadTooLargeError(`the batch has more than ${maxLines.toLocaleString("en")} lines, the most one call may hold; split it`);
    }
    if (notUtf8.has(lineNumber)) {
      errors.push({ line: lineNumber, field: null, message: "is not valid UTF-8", code: "invalid_utf8" });
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(source);
    } catch (error) {
      // V8 quotes the offending text in its message; a line may hold personal data sent by mistake,
      // and rejected-batch errors go into the ledger, so only the position is repeated.
      const position = error instanceof Error ? /position (\d+)/.exec(error.message)?.[1] : undefined;
      errors.push({ line: lineNumber, field: null, message: `is not valid JSON${position ? ` (at character ${Number(position) + 1})` : ""}`, code: "invalid_json" });
      continue;
    }
    if (json === null || typeof json !== "object" || Array.isArray(json)) {
      errors.push({ line: lineNumber, field: null, message: "must be one JSON object", code: "not_an_object" });
      continue;
    }
    const withNul = nulCharacterPaths(json);
    if (withNul.length > 0) {
      for (const path of withNul) {
        errors.push({ line: lineNumber, field: path.length > 0 ? fieldPath(path) : null, message: "contains a NUL character (U+0000), which no field may hold", code: "nul_character" });
      }
      continue;
    }
    const result = schema.safeParse(json, { errorMap: lineErrorMap });
    if (result.success) {
      parsed.push({ line: lineNumber, value: result.data as z.output<S> });
    } else {
      for (const issue of result.error.issues) {
        const code = issue.code === "custom" && typeof issue.params?.code === "string" ? issue.params.code : issue.code;
        errors.push({ line: lineNumber, field: issue.path.length > 0 ? fieldPath(issue.path) : null, message: issue.message, code });
      }
    }
  }
  return { lines: count, parsed, errors };
}
