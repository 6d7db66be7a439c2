import type { LoaderFunctionArgs } from "@remix-run/node";
import { inclusionProofView, requireLedgerReader } from "~/modules/audit/proofs.server";

// GET /api/v1/audit/proof/inclusion?seq=N&treeSize=M (treeSize defaults to the latest checkpoint).
export async function loader({ request }: LoaderFunctionArgs) {
  await requireLedgerReader(request);
  return Response.json(await inclusionProofView(new URL(request.url)));
}
