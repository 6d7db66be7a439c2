import type { LoaderFunctionArgs } from "@remix-run/node";
import { notFound, requireActor } from "~/modules/access/actor.server";
import { NoticeRefusedError, generateDecisionNotice } from "~/modules/decisions/notices.server";
import { renderNoticeHtml, renderNoticePdf } from "~/modules/decisions/notice-render.server";
import { DecisionIdSchema, NoticeQuerySchema } from "~/modules/decisions/schema";

// GET /decisions/:id/notice?kind=adverse_action|review_outcome&format=html|pdf — a customer notice,
// generated afresh (recorded in DecisionNotice and audited) as a printable page or a PDF.
export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const id = DecisionIdSchema.safeParse(params);
  if (!id.success) throw notFound("That decision");
  const url = new URL(request.url);
  const query = NoticeQuerySchema.safeParse(Object.fromEntries(url.searchParams));
  if (!query.success) {
    const issues = query.error.issues.map((issue) => ({ field: issue.path.join(".") || "query", message: issue.message }));
    return Response.json({ error: issues.map((issue) => `${issue.field}: ${issue.message}`).join("; "), issues }, { status: 400 });
  }
  const { kind, format } = query.data;
  try {
    const { notice, contentSha256 } = await generateDecisionNotice(actor, id.data.decisionId, kind);
    const fileName = `notice-${notice.facts[0]?.value ?? id.data.decisionId}-${kind}`.replace(/[^A-Za-z0-9._-]/g, "_");
    const headers = { "Cache-Control": "no-store", "X-Content-SHA256": contentSha256 };
    if (format === "pdf") {
      const pdf = await renderNoticePdf(notice);
      return new Response(new Uint8Array(pdf), {
        headers: { ...headers, "Content-Type": "application/pdf", "Content-Disposition": `attachment; filename="${fileName}.pdf"` },
      });
    }
    const html = renderNoticeHtml(notice, { pdfHref: `/decisions/${id.data.decisionId}/notice?kind=${kind}&format=pdf` });
    return new Response(html, { headers: { ...headers, "Content-Type": "text/html; charset=utf-8" } });
  } catch (error) {
    if (error instanceof NoticeRefusedError) return Response.json({ error: error.message }, { status: 409 });
    throw error;
  }
}
