import type { LoaderFunctionArgs } from "@remix-run/node";
import { latestCheckpointView, requireLedgerReader } from "~/modules/audit/proofs.server";

export async function loader({ request }: LoaderFunctionArgs) {
  await requireLedgerReader(request);
  const checkpoint = await latestCheckpointView();
  if (!checkpoint) return Response.json({ error: "no checkpoint has been signed yet" }, { status: 404 });
  return Response.json(checkpoint);
}
