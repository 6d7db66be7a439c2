import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { db } from "~/utils/db.server";
import { requestMeta } from "~/utils/request-meta.server";
import { appendAuditEvent, type AuditContext } from "~/modules/audit/ledger.server";
import { forbidden, type Actor } from "./actor.server";

// API tokens for machines (the decision engine, an auditor's tooling): created by an administrator,
// shown once, stored only as a SHA-256 hash, scoped to regions and to named capabilities.

export const apiScopes = {
  "decisions:write": "Ingest automated decisions",
  "outcomes:write": "Ingest repayment and fraud outcomes",
  "privacy:write": "Submit privacy requests and contests",
  "rulesets:read": "Fetch the active rule set of a region",
  "audit:read": "Read checkpoints, proofs and keys of the audit ledger",
} as const;
export type ApiScope = keyof typeof apiScopes;

export const CreateApiTokenSchema = z.object({
  name: z.string({ required_error: "Name the token after what will use it" }).trim().min(3, "At least 3 characters").max(80),
  scopes: z.array(z.enum(Object.keys(apiScopes) as [ApiScope, ...ApiScope[]])).min(1, "Choose at least one scope"),
  regions: z.array(z.enum(["SE", "DE", "NL", "UK", "US", "AU"])).default([]),
});

export interface ApiCaller {
  tokenId: string;
  name: string;
  scopes: ApiScope[];
  regions: string[];
  audit: AuditContext;
}

function hashToken(token: string) {
  return createHash("sha256").update(token).digest("hex");
}

export function bearerToken(request: Request) {
  const header = request.headers.get("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1] ?? null;
}

function apiError(status: number, message: string) {
  return Response.json({ error: message }, { status, headers: status === 401 ? { "WWW-Authenticate": 'Bearer realm="attest"' } : undefined });
}

/** The token behind `Authorization: Bearer …`, which must hold `scope`; otherwise a 401/403 JSON response. */
export async function requireApiCaller(request: Request, scope: ApiScope): Promise<ApiCaller> {
  const token = bearerToken(request);
  if (!token) throw apiError(401, "Authorization: Bearer <token> is required");
  const row = await db.apiToken.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!row || row.revokedAt) throw apiError(401, "the API token is unknown or revoked");
  if (!row.scopes.includes(scope)) throw apiError(403, `the API token lacks the scope "${scope}"`);
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  const meta = requestMeta(request);
  return {
    tokenId: row.id,
    name: row.name,
    scopes: row.scopes as ApiScope[],
    regions: row.regions,
    audit: { actorType: "api_token", actorId: row.id, actorLabel: row.name, actorRole: null, requestId: meta.requestId, ipAddress: meta.ipAddress },
  };
}

export async function listApiTokens(actor: Actor) {
  if (!actor.ability.can("read", "ApiToken")) throw forbidden("read", "ApiToken");
  return db.apiToken.findMany({
    orderBy: [{ revokedAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }],
    select: { id: true, name: true, prefix: true, regions: true, scopes: true, createdAt: true, lastUsedAt: true, revokedAt: true, createdBy: { select: { displayName: true } } },
  });
}

/** Creates a token and returns its secret — the only time it is ever visible. */
export async function createApiToken(actor: Actor, input: z.infer<typeof CreateApiTokenSchema>) {
  if (!actor.ability.can("create", "ApiToken")) throw forbidden("create", "ApiToken");
  const prefix = randomBytes(4).toString("hex");
  const secret = `att_${prefix}_${randomBytes(24).toString("base64url")}`;
  const token = await db.$transaction(async (tx) => {
    const created = await tx.apiToken.create({
      data: { name: input.name, tokenHash: hashToken(secret), prefix, regions: input.regions, scopes: input.scopes, createdById: actor.user.id },
      select: { id: true },
    });
    await appendAuditEvent(tx, actor.audit, {
      action: "api_token.created",
      subjectType: "ApiToken",
      subjectId: created.id,
      changes: { after: { name: input.name, prefix, scopes: input.scopes, regions: input.regions } },
    });
    return created;
  });
  return { id: token.id, secret };
}

export async function revokeApiToken(actor: Actor, tokenId: string, justification: string) {
  if (!actor.ability.can("revoke", "ApiToken")) throw forbidden("revoke", "ApiToken");
  await db.$transaction(async (tx) => {
    const updated = await tx.apiToken.updateMany({ where: { id: tokenId, revokedAt: null }, data: { revokedAt: new Date() } });
    if (updated.count === 0) return;
    await appendAuditEvent(tx, actor.audit, { action: "api_token.revoked", subjectType: "ApiToken", subjectId: tokenId, justification });
  });
}

// The true reason behind an answer that must look like another (an out-of-region record answered as
// unknown, issue 13): kept beside the Response, never sent, recorded by auditRefusedApiCall.
const refusalReasons = new WeakMap<Response, string>();

export function withRefusalReason(response: Response, reason: string) {
  refusalReasons.set(response, reason);
  return response;
}

/**
 * Records a call the API refused after authenticating its token (400, 403, 404, 409, 422 …) and hands
 * the response back: every call with a valid token is in the ledger, probes outside the token's regions
 * included. Only the endpoint, the status and the fields at fault are kept — never the body or the
 * message, which may carry what the caller sent about a person.
 */
export async function auditRefusedApiCall(caller: ApiCaller, request: Request, response: Response, fields: string[] = []) {
  const url = new URL(request.url);
  const reason = refusalReasons.get(response);
  await db.$transaction((tx) =>
    appendAuditEvent(tx, caller.audit, {
      action: "api.call_refused",
      subjectType: "ApiToken",
      subjectId: caller.tokenId,
      changes: { method: request.method, endpoint: url.pathname, status: response.status, fields, ...(reason ? { reason } : {}) },
    }),
  );
  return response;
}

