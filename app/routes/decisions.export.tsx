import type { LoaderFunctionArgs } from "@remix-run/node";
import { parseListQuery } from "~/components/data-table/url-state";
import { requireActor, requirePermission } from "~/modules/access/actor.server";
import { exportDecisionsCsv } from "~/modules/decisions/decision-export.server";
import { DecisionListQuerySchema } from "~/modules/decisions/schema";

// GET /decisions/export?<the explorer's filters> — the filtered decisions as a streamed, audited CSV.
export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  requirePermission(actor, "export", "Decision");
  const query = parseListQuery(DecisionListQuerySchema, request);
  const stream = await exportDecisionsCsv(actor, query);
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return new Response(stream, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="attest-decisions-${stamp}.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
