import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireLedgerReader } from "~/modules/audit/proofs.server";
import { latestCheckpoint, signedNoteOf } from "~/modules/audit/checkpoints.server";

// GET /api/v1/audit/checkpoint: the latest checkpoint as a C2SP tlog-checkpoint signed note (origin,
// size, base64 root; the log's Ed25519 signature and every stored witness cosignature), text/plain,
// for transparency-log tooling and `npm run ledger:witness -- poll`. Same readers as the proofs.
export async function loader({ request }: LoaderFunctionArgs) {
  await requireLedgerReader(request);
  const checkpoint = await latestCheckpoint();
  const note = checkpoint ? signedNoteOf(checkpoint) : null;
  if (!note) return new Response("no checkpoint has been signed yet\n", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  return new Response(note, { headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
}
