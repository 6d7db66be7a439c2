import type { LoaderFunctionArgs } from "@remix-run/node";
import { signingKeyHistory } from "~/modules/audit/proofs.server";

// Public by design: anyone holding a checkpoint or an evidence pack must be able to fetch the keys.
// Armored keys for `gpg --import` by default; ?format=json adds each key's validity period.
export async function loader({ request }: LoaderFunctionArgs) {
  const keys = await signingKeyHistory();
  if (new URL(request.url).searchParams.get("format") === "json") return Response.json({ keys });
  const comments = keys.map((key) => `# ${key.fingerprint} ${key.status}, valid from ${key.validFrom ?? "(not yet)"} until ${key.validUntil ?? "(still valid)"}`);
  return new Response(`${comments.join("\n")}\n\n${keys.map((key) => key.armoredPublicKey.trim()).join("\n\n")}\n`, {
    headers: { "Content-Type": "application/pgp-keys; charset=utf-8", "Cache-Control": "public, max-age=60" },
  });
}
