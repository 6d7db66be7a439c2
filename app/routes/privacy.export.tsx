import type { LoaderFunctionArgs } from "@remix-run/node";
import { parseListQuery } from "~/components/data-table/url-state";
import { requireActor } from "~/modules/access/actor.server";
import { exportPrivacyRequests } from "~/modules/privacy/privacy-requests.server";
import { PrivacyRequestListQuerySchema } from "~/modules/privacy/schema";

// GET /privacy/export?<the list's filters> — the filtered privacy requests as CSV, with reviewer and
// review time; the export is an audit event.
export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const query = parseListQuery(PrivacyRequestListQuerySchema, request);
  const stream = await exportPrivacyRequests(actor, query);
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return new Response(stream, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="attest-privacy-requests-${stamp}.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
