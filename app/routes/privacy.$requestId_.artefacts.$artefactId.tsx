import type { LoaderFunctionArgs } from "@remix-run/node";
import { notFound, requireActor } from "~/modules/access/actor.server";
import { downloadPrivacyArtefact } from "~/modules/privacy/access-export.server";
import { ArtefactParamsSchema, ArtefactPartSchema } from "~/modules/privacy/erasure-schema";

// GET /privacy/:requestId/artefacts/:artefactId[?part=signature] — an access export or erasure
// certificate (or its detached OpenPGP signature), each download recorded in the audit ledger.
export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const parsed = ArtefactParamsSchema.safeParse(params);
  if (!parsed.success) throw notFound("That file");
  const part = ArtefactPartSchema.safeParse(new URL(request.url).searchParams.get("part") ?? undefined);
  if (!part.success) return Response.json({ error: "part must be file or signature" }, { status: 400 });
  const file = await downloadPrivacyArtefact(actor, parsed.data.requestId, parsed.data.artefactId, part.data);
  return new Response(file.body, {
    headers: {
      "Content-Type": file.contentType,
      "Content-Disposition": `attachment; filename="${file.fileName.replace(/[^\w.-]/g, "_")}"`,
      "Content-Length": String(file.body.length),
      "Cache-Control": "no-store",
    },
  });
}
