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
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new PayloadTooLargeError(`the body is ${declared.toLocaleString("en")} bytes; a batch may be at most ${maxBytes.toLocaleString("en")} bytes`);
  }
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(`the body exceeds ${maxBytes.toLocaleString("en")} bytes; a batch may be at most ${maxBytes.toLocaleString("en")} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
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
export function parseNdjson<S extends z.ZodTypeAny>(text: string, schema: S, maxLines: number) {
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
    const result = schema.safeParse(json, { errorMap: lineErrorMap });
    if (result.success) {
      parsed.push({ line: lineNumber, value: result.data as z.output<S> });
    } else {
      for (const issue of result.error.issues) {
        errors.push({ line: lineNumber, field: issue.path.length > 0 ? fieldPath(issue.path) : null, message: issue.message, code: issue.code });
      }
    }
  }
  return { lines: count, parsed, errors };
}
