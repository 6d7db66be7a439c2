import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { requireApiCaller } from "~/modules/access/api-tokens.server";
import { ingestResponse, methodNotAllowed } from "~/modules/ingest/http.server";
import { ingestFraudOutcomes } from "~/modules/ingest/outcomes.server";

// POST /api/v1/fraud-outcomes — NDJSON batch of fraud outcomes from the decision engine (docs/ingestion.md).
// Bearer token with the outcomes:write scope; every call, accepted or refused, is one ledger event.

export async function loader({ request }: LoaderFunctionArgs) {
  await requireApiCaller(request, "outcomes:write");
  return methodNotAllowed("/api/v1/fraud-outcomes");
}

export async function action({ request }: ActionFunctionArgs) {
  const caller = await requireApiCaller(request, "outcomes:write");
  if (request.method !== "POST") return methodNotAllowed("/api/v1/fraud-outcomes");
  return ingestResponse(await ingestFraudOutcomes(caller, request));
}
