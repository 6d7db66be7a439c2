import { z, type ZodTypeAny } from "zod";

// A list's whole state — filters, sort, page or cursor — lives in the URL, so a view can be
// bookmarked, shared and reloaded, and the server alone decides what one page holds. Loaders read it
// with parseListQuery; pages build links with hrefWith. No server-only imports: both sides use this.

export const PAGE_SIZE = 50;

/** Search params as a plain object; empty values are dropped so "no filter" and "?region=" agree. */
export function searchParamsToObject(params: URLSearchParams): Record<string, string> {
  const object: Record<string, string> = {};
  for (const [key, value] of params) {
    const trimmed = value.trim();
    if (trimmed !== "") object[key] = trimmed;
  }
  return object;
}

/** A 400 response naming each search parameter that failed and why. */
export function badQuery(issues: { field: string; message: string }[]): Response {
  const named = issues.map((issue) => `${issue.field}: ${issue.message}`).join("; ");
  return Response.json(
    { kind: "bad_request", fields: issues, message: `The address has an invalid value — ${named}.` },
    { status: 400, statusText: "Invalid filter" },
  );
}

/** Validates a list's search params with its zod schema; a bad value is a 400 that names the field. */
export function parseListQuery<S extends ZodTypeAny>(schema: S, request: Request): z.output<S> {
  const params = new URL(request.url).searchParams;
  const parsed = schema.safeParse(searchParamsToObject(params));
  if (!parsed.success) {
    throw badQuery(
      parsed.error.issues.map((issue) => ({ field: issue.path.join(".") || "query", message: issue.message })),
    );
  }
  return parsed.data;
}

/**
 * The current URL's search with some params changed; null or "" removes a param. Changing a filter or
 * the sort should also reset the page (pass `page: null, after: null, before: null`).
 */
export function hrefWith(current: URLSearchParams | string, changes: Record<string, string | number | null | undefined>) {
  const next = new URLSearchParams(current);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === "") next.delete(key);
    else next.set(key, String(value));
  }
  const search = next.toString();
  return search ? `?${search}` : "?";
}

/** Params that locate a page; dropped whenever filters or sort change. */
export const pagingParams = { page: null, after: null, before: null } as const;

// ── zod building blocks shared by every list's query schema ──────────────────────────────────────

export const sortOrderSchema = z.enum(["asc", "desc"], {
  errorMap: () => ({ message: "must be asc or desc" }),
});
export type SortOrder = z.infer<typeof sortOrderSchema>;

export const pageNumberSchema = z.coerce
  .number({ invalid_type_error: "must be a page number" })
  .int("must be a whole page number")
  .min(1, "pages start at 1")
  .max(100_000, "is too large")
  .default(1);

/** A calendar date (yyyy-mm-dd) from a date input, as the start of that day in UTC. */
export const dateParamSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date like 2026-01-31")
  .transform((value, context) => {
    const date = new Date(`${value}T00:00:00.000Z`);
    if (Number.isNaN(date.getTime())) {
      context.addIssue({ code: z.ZodIssueCode.custom, message: "is not a real date" });
      return z.NEVER;
    }
    return date;
  });

/** A region code; whether it is one of the viewer's regions is checked by the module (regionsToShow). */
export const regionParamSchema = z
  .string()
  .transform((code) => code.toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{2}$/, "must be a two-letter region code such as SE"));

/** One value of a fixed list, with an error naming the allowed values. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { errorMap: () => ({ message: `must be one of ${values.join(", ")}` }) });
}

/** An opaque keyset cursor (base64url JSON); its content is checked by the module that made it. */
export const cursorSchema = z.string().max(512, "is too long").regex(/^[A-Za-z0-9_-]+$/, "is not a page cursor");

export function encodeCursor(value: unknown): string {
  const json = JSON.stringify(value);
  const bytes = new TextEncoder().encode(json);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeCursor(cursor: string): unknown {
  try {
    const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch {
    return undefined;
  }
}

/** Where the current sort of a list stands, for the table's header links. */
export interface SortState {
  key: string;
  order: SortOrder;
}

/** Server-decided page links: keyset lists know only "newer/older", offset lists also the total. */
export interface PageLinks {
  previous: string | null;
  next: string | null;
}
