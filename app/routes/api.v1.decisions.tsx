import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { requireApiCaller } from "~/modules/access/api-tokens.server";
import { ingestResponse, methodNotAllowed } from "~/modules/ingest/http.server";
import { ingestDecisions } from "~/modules/ingest/decisions.server";

// POST /api/v1/decisions — NDJSON batch of decisions from the decision engine (docs/ingestion.md).
// Bearer token with the decisions:write scope; every call, accepted or refused, is one ledger event.

export async function loader({ request }: LoaderFunctionArgs) {
  await requireApiCaller(request, "decisions:write");
  return methodNotAllowed("/api/v1/decisions");
}

export async function action({ request }: ActionFunctionArgs) {
  const caller = await requireApiCaller(request, "decisions:write");
  if (request.method !== "POST") return methodNotAllowed("/api/v1/decisions");
  return ingestResponse(await ingestDecisions(caller, request));
}
