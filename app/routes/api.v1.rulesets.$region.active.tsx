import type { LoaderFunctionArgs } from "@remix-run/node";
import { servePublishedVersion } from "~/modules/rulesets/publication.server";

// The rule-set version in force in a region now, signed (docs/rulesets.md). Token scope rulesets:read,
// limited to the token's regions; every fetch is audited.
export async function loader({ request, params }: LoaderFunctionArgs) {
  return servePublishedVersion(request, params.region, "active");
}
