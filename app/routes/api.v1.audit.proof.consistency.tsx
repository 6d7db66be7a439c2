import type { LoaderFunctionArgs } from "@remix-run/node";
import { consistencyProofView, requireLedgerReader } from "~/modules/audit/proofs.server";

// GET /api/v1/audit/proof/consistency?from=A&to=B
export async function loader({ request }: LoaderFunctionArgs) {
  await requireLedgerReader(request);
  return Response.json(await consistencyProofView(new URL(request.url)));
}
