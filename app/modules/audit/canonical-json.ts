// RFC 8785 JSON Canonicalization Scheme: the exact bytes an audit event is hashed as, so anyone can
// recompute a leaf hash from the event's JSON with any conforming implementation. Written for speed
// (the verifier canonicalises millions of events); a value with no JSON form is reported with its path.

class NotCanonicalisable extends TypeError {}

function serialise(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      // RFC 8785 §3.2.2.3: ECMAScript Number-to-String, which JSON.stringify applies; no NaN/Infinity.
      if (!Number.isFinite(value)) throw new NotCanonicalisable(`${value} has no JSON form`);
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (value[i] === undefined) throw new NotCanonicalisable("undefined has no JSON form");
          out += (i === 0 ? "" : ",") + serialise(value[i]);
        }
        return `${out}]`;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) {
        throw new NotCanonicalisable("only plain objects are canonicalised (convert dates and decimals to strings first)");
      }
      // RFC 8785 §3.2.3: members sorted by their names' UTF-16 code units (JavaScript's default sort).
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = "{";
      let isFirst = true;
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue;
        out += `${isFirst ? "" : ","}${JSON.stringify(key)}:${serialise(item)}`;
        isFirst = false;
      }
      return `${out}}`;
    }
    default:
      throw new NotCanonicalisable(`a ${typeof value} has no JSON form`);
  }
}

/** The JSONPath of the first member that cannot be canonicalised (the slow path, for the error only). */
function findProblem(value: unknown, path: string): string | null {
  try {
    serialise(value);
    return null;
  } catch {
    if (value && typeof value === "object" && (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype)) {
      for (const [key, item] of Object.entries(value)) {
        const inner = findProblem(item, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`);
        if (inner) return inner;
      }
    }
    return path;
  }
}

export function canonicalJson(value: unknown): string {
  try {
    return serialise(value);
  } catch (error) {
    if (error instanceof NotCanonicalisable) throw new TypeError(`${findProblem(value, "$")}: ${error.message}`);
    throw error;
  }
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), "utf8");
}
