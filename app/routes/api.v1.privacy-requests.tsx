import type { ActionFunctionArgs } from "@remix-run/node";
import { auditRefusedApiCall, requireApiCaller } from "~/modules/access/api-tokens.server";
import { PrivacyRequestRefusedError, receivePrivacyRequestFromApi } from "~/modules/privacy/privacy-requests.server";
import { PrivacyIntakeApiSchema } from "~/modules/privacy/schema";

// POST /api/v1/privacy-requests — a customer-facing channel submits a privacy request.
// Bearer token with the privacy:write scope, limited to the token's regions. JSON body:
//   { type, regionCode, customerReference? | requesterEmail?, requesterName?, details?, channel?, receivedAt? }
// 201 { id, reference, state, identityState, dueAt }: an acknowledgement only. Whether the request matched a
// customer or duplicates another is for the DPO in the app, never for the caller (issue 13: no oracle).
// 400/422 name the field at fault.

export async function loader({ request }: { request: Request }) {
  await requireApiCaller(request, "privacy:write");
  return Response.json({ error: "use POST with a JSON body to submit a privacy request" }, { status: 405, headers: { Allow: "POST" } });
}

export async function action({ request }: ActionFunctionArgs) {
  if (request.method !== "POST") return loader({ request });
  const caller = await requireApiCaller(request, "privacy:write");
  const body = await request.json().catch(() => undefined);
  if (body === undefined) return auditRefusedApiCall(caller, request, Response.json({ error: "the body must be a JSON object" }, { status: 400 }), ["body"]);
  const parsed = PrivacyIntakeApiSchema.safeParse(body);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => ({ field: issue.path.join(".") || "body", message: issue.message }));
    const refused = Response.json({ error: fields.map((issue) => `${issue.field}: ${issue.message}`).join("; "), fields }, { status: 400 });
    return auditRefusedApiCall(caller, request, refused, fields.map((issue) => issue.field));
  }
  const { receivedAt, ...input } = parsed.data;
  try {
    const created = await receivePrivacyRequestFromApi(caller, { ...input, receivedAt: receivedAt ? new Date(receivedAt) : undefined });
    return Response.json(
      {
        id: created.id,
        reference: created.reference,
        state: created.state,
        identityState: created.identityState,
        dueAt: created.dueAt.toISOString(),
      },
      { status: 201 },
    );
  } catch (error) {
    if (error instanceof PrivacyRequestRefusedError) {
      const field = error.field ?? "body";
      const refused = Response.json({ error: `${field}: ${error.message}`, fields: [{ field, message: error.message }] }, { status: error.status });
      return auditRefusedApiCall(caller, request, refused, [field]);
    }
    // 403/404 from the region checks: recorded too, so probes outside the token's regions leave a trace.
    if (error instanceof Response) return auditRefusedApiCall(caller, request, error);
    throw error;
  }
}
