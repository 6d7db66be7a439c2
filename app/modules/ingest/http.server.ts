import type { IngestResult } from "./batch.server";

// The JSON answers of the ingestion routes.

export function ingestResponse(result: IngestResult) {
  return Response.json(result.body, { status: result.status, headers: { "Cache-Control": "no-store" } });
}

/** A GET (or other method) on an ingestion endpoint, after the token was checked. */
export function methodNotAllowed(path: string) {
  return Response.json(
    { error: `${path} accepts POST with an NDJSON body (Content-Type: application/x-ndjson); see docs/ingestion.md` },
    { status: 405, headers: { Allow: "POST" } },
  );
}
