// RFC 8785 JSON Canonicalization Scheme: the exact bytes an audit event is hashed as, so anyone can
// recompute a leaf hash from the event's JSON with any conforming implementation.

export type CanonicalValue = null | boolean | number | string | CanonicalValue[] | { [key: string]: CanonicalValue | undefined };

function serialise(value: unknown, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      // RFC 8785 §3.2.2.3: ECMAScript Number-to-String, which JSON.stringify applies; no NaN/Infinity.
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} has no JSON form`);
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) {
        return `[${value.map((item, index) => {
          if (item === undefined) throw new TypeError(`${path}[${index}]: undefined has no JSON form`);
          return serialise(item, `${path}[${index}]`);
        }).join(",")}]`;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
        throw new TypeError(`${path}: only plain objects are canonicalised (convert dates and decimals to strings first)`);
      }
      // RFC 8785 §3.2.3: members sorted by their names' UTF-16 code units (JavaScript's default sort).
      const keys = Object.keys(value as object)
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${serialise((value as Record<string, unknown>)[key], `${path}.${key}`)}`).join(",")}}`;
    }
    default:
      throw new TypeError(`${path}: a ${typeof value} has no JSON form`);
  }
}

export function canonicalJson(value: unknown): string {
  return serialise(value, "$");
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), "utf8");
}
