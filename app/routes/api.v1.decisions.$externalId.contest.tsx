import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { auditRefusedApiCall, requireApiCaller } from "~/modules/access/api-tokens.server";
import { ContestRefusedError, contestDecisionByApi } from "~/modules/decisions/contest.server";
import { ContestSchema } from "~/modules/decisions/schema";

// POST /api/v1/decisions/{externalId}/contest — a customer's contest of an automated decision (GDPR
// Art. 22(3), CCD2 Art. 18), sent by the lender's customer app. Bearer token with `privacy:write`
// (contests are privacy requests) and the decision's region. Body: {"details": "...", "channel":
// "in_app", "receivedAt"?: ISO 8601}. 201 with the request reference and the priority review.

export async function loader({ request }: LoaderFunctionArgs) {
  await requireApiCaller(request, "privacy:write");
  return Response.json({ error: "use POST with a JSON body to submit a contest" }, { status: 405, headers: { Allow: "POST" } });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const caller = await requireApiCaller(request, "privacy:write");
  if (request.method !== "POST") return Response.json({ error: "use POST" }, { status: 405, headers: { Allow: "POST" } });
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    const refused = Response.json({ error: "the body must be a JSON object such as {\"details\": \"…\", \"channel\": \"in_app\"}" }, { status: 400 });
    return auditRefusedApiCall(caller, request, refused, ["body"]);
  }
  const parsed = ContestSchema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ field: issue.path.join(".") || "body", message: issue.message }));
    const refused = Response.json({ error: issues.map((issue) => `${issue.field}: ${issue.message}`).join("; "), issues }, { status: 400 });
    return auditRefusedApiCall(caller, request, refused, issues.map((issue) => issue.field));
  }
  try {
    const contest = await contestDecisionByApi(caller, params.externalId ?? "", parsed.data);
    return Response.json(
      { reference: contest.reference, privacyRequestId: contest.requestId, reviewId: contest.reviewId, priority: contest.priority, dueAt: contest.dueAt.toISOString() },
      { status: 201 },
    );
  } catch (error) {
    if (error instanceof ContestRefusedError) {
      const refused = Response.json({ error: error.message, ...(error.existingReference ? { existingReference: error.existingReference } : {}) }, { status: error.status });
      return auditRefusedApiCall(caller, request, refused);
    }
    // 404 outside the token's regions: recorded too, so probes leave a trace.
    if (error instanceof Response) return auditRefusedApiCall(caller, request, error);
    throw error;
  }
}
