import { auditRefusedApiCall, requireApiCaller, type ApiCaller } from "~/modules/access/api-tokens.server";
import { canonicalJson } from "~/modules/audit/canonical-json";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { loadArtefactSigner, sha256Hex } from "~/modules/privacy/artefact-signing.server";
import { db } from "~/utils/db.server";
import { parametersHash, scheduledStates } from "./versions.server";

// The signed publication of rule-set versions to the decision engine (issue 9, docs/rulesets.md):
// the body is the exact bytes of a canonical JSON document (region, version, effective-from,
// parameters and their SHA-256); the detached OpenPGP signature by the ledger's active key over those
// bytes comes base64-encoded in a header and armored at the same URL with ".asc". The ETag is the
// body's SHA-256. Every fetch, including a 304, is one ledger event.

export const PUBLICATION_FORMAT = "attest.ruleset-version.v1";

function apiError(status: number, message: string) {
  return Response.json({ error: message }, { status });
}

/** The version in force in a region at `at`: the approved version with the latest effective time not after it. */
export async function versionInForce(regionCode: string, at: Date) {
  return db.ruleSetVersion.findFirst({
    where: { regionCode, state: { in: scheduledStates }, effectiveFrom: { lte: at }, approvedAt: { not: null } },
    orderBy: { effectiveFrom: "desc" },
    select: { id: true, regionCode: true, version: true, effectiveFrom: true, parameters: true, state: true },
  });
}

export function publicationDocument(version: { regionCode: string; version: number; effectiveFrom: Date | null; parameters: unknown }) {
  return canonicalJson({
    format: PUBLICATION_FORMAT,
    region: version.regionCode,
    version: version.version,
    effectiveFrom: version.effectiveFrom?.toISOString() ?? null,
    parameters: version.parameters,
    parametersSha256: parametersHash(version.parameters),
  });
}

/** Serves one version (`which` = "active" or a version number, optionally with ".asc" for the signature). */
export async function servePublishedVersion(request: Request, regionParam: string | undefined, which: string) {
  const caller = await requireApiCaller(request, "rulesets:read");
  const region = (regionParam ?? "").toUpperCase();
  if (!caller.regions.includes(region)) {
    return auditRefusedApiCall(caller, request, apiError(403, `the API token is not scoped to region ${region || "(none)"} (its regions: ${caller.regions.join(", ") || "none"})`), ["region"]);
  }
  const isSignatureOnly = which.endsWith(".asc");
  const selector = isSignatureOnly ? which.slice(0, -4) : which;
  let version;
  if (selector === "active") {
    version = await versionInForce(region, new Date());
  } else if (/^[1-9]\d{0,8}$/.test(selector)) {
    version = await db.ruleSetVersion.findFirst({
      where: { regionCode: region, version: Number(selector), state: { in: scheduledStates }, approvedAt: { not: null } },
      select: { id: true, regionCode: true, version: true, effectiveFrom: true, parameters: true, state: true },
    });
  } else {
    return auditRefusedApiCall(caller, request, apiError(400, `version must be a number or "active", not "${selector}"`), ["version"]);
  }
  if (!version) {
    return auditRefusedApiCall(caller, request, apiError(404, selector === "active" ? `no rule-set version is in force in ${region}` : `${region} has no approved version ${selector}`), ["version"]);
  }
  const body = publicationDocument(version);
  const etag = `"${sha256Hex(body)}"`;
  const isNotModified = !isSignatureOnly && (request.headers.get("if-none-match") ?? "").split(",").map((tag) => tag.trim().replace(/^W\//, "")).includes(etag);
  const signer = await loadArtefactSigner();
  const signature = isNotModified ? null : await signer.sign(Buffer.from(body, "utf8"));
  await recordFetch(caller, request, version, { status: isNotModified ? 304 : 200, selector, isSignatureOnly, etag, keyFingerprint: signer.fingerprint });
  const headers = {
    ETag: etag,
    "Cache-Control": "no-cache",
    "X-Attest-Rule-Set-Version": String(version.version),
    "X-Attest-Signing-Key": signer.fingerprint,
    Link: `</api/v1/rulesets/${region}/versions/${version.version}.asc>; rel="signature", </api/v1/audit/keys>; rel="publickey"`,
  };
  if (isNotModified) return new Response(null, { status: 304, headers });
  if (isSignatureOnly) return new Response(signature, { headers: { ...headers, "Content-Type": "application/pgp-signature; charset=utf-8" } });
  return new Response(body, {
    headers: { ...headers, "Content-Type": "application/json; charset=utf-8", "X-Attest-Signature": Buffer.from(signature!, "utf8").toString("base64") },
  });
}

async function recordFetch(caller: ApiCaller, request: Request, version: { id: string; regionCode: string; version: number }, details: Record<string, unknown>) {
  await db.$transaction((tx) =>
    appendAuditEvent(tx, caller.audit, {
      action: "rule_set_version.fetched",
      subjectType: "RuleSetVersion",
      subjectId: version.id,
      regionCode: version.regionCode,
      changes: { version: version.version, endpoint: new URL(request.url).pathname, ...details },
    }),
  );
}
