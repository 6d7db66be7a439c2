import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireActor } from "~/modules/access/actor.server";
import { openEvidencePackDownload } from "~/modules/evidence/evidence-packs.server";

// Downloads a finished evidence pack: the same stored bytes every time, recorded in the ledger first.
// A pack that is not the viewer's, not finished or no longer retained answers like a missing one.

export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const pack = await openEvidencePackDownload(actor, params.packId ?? "");
  return new Response(pack.stream, {
    headers: {
      "Content-Type": "application/zip",
      "Content-Length": String(pack.size),
      "Content-Disposition": `attachment; filename="${pack.fileName}"`,
      "X-Content-SHA256": pack.sha256,
      "Cache-Control": "no-store",
    },
  });
}
