import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { parseListQuery } from "~/components/data-table/url-state";
import { requireActor } from "~/modules/access/actor.server";
import { exportAuditEvents } from "~/modules/audit/audit-events.server";
import { AuditEventListQuerySchema } from "~/modules/audit/schema";

// GET /audit/export?format=csv|jsonl&<the ledger browser's filters> — a streamed, audited export.
const FormatSchema = z.enum(["csv", "jsonl"]);

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const url = new URL(request.url);
  const format = FormatSchema.safeParse(url.searchParams.get("format") ?? "csv");
  if (!format.success) return Response.json({ error: "format must be csv or jsonl" }, { status: 400 });
  url.searchParams.delete("format");
  const query = parseListQuery(AuditEventListQuerySchema, new Request(url));
  const stream = await exportAuditEvents(actor, query, format.data);
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return new Response(stream, {
    headers: {
      "Content-Type": format.data === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "Content-Disposition": `attachment; filename="attest-ledger-${stamp}.${format.data}"`,
      "Cache-Control": "no-store",
    },
  });
}
