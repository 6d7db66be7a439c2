import type { LoaderFunctionArgs } from "@remix-run/node";
import { servePublishedVersion } from "~/modules/rulesets/publication.server";

// One approved rule-set version of a region, signed, for an engine that pins a version
// (docs/rulesets.md); "<n>.asc" serves the armored signature alone. Scope rulesets:read, token's regions.
export async function loader({ request, params }: LoaderFunctionArgs) {
  return servePublishedVersion(request, params.region, params.version ?? "");
}
