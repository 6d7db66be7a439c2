import { describe, expect, it } from "vitest";
import { createApiToken, revokeApiToken } from "~/modules/access/api-tokens.server";
import { appendAuditEvent, systemAuditContext } from "~/modules/audit/ledger.server";
import { createCheckpoint, ensureActiveSigningKey } from "~/modules/audit/checkpoints.server";
import { loader as inclusionLoader } from "~/routes/api.v1.audit.proof.inclusion";
import { loader as latestLoader } from "~/routes/api.v1.audit.checkpoints.latest";
import { loader as keysLoader } from "~/routes/api.v1.audit.keys";
import { db } from "~/utils/db.server";
import { personas } from "../fixtures/staff";
import { actorFor, requestWithSession, signInAs } from "./helpers/actors";

// Who may read the ledger's proofs (issue: auditor or compliance session, or an API token with the
// audit scope) and what everyone else gets: the public keys, and clear 401/403 answers.


const args = (request: Request) => ({ request, params: {}, context: {} });

async function bearer(path: string, token: string) {
  return new Request(`http://attest.test${path}`, { headers: { Authorization: `Bearer ${token}` } });
}

async function responseOf(run: () => Promise<Response>) {
  try {
    return await run();
  } catch (error) {
    if (error instanceof Response) return error;
    throw error;
  }
}

describe("ledger API access", () => {
  it("serves proofs to a token with audit:read, and refuses tokens without it, revoked tokens and no credentials", async () => {
    await ensureActiveSigningKey();
    await db.$transaction((tx) => appendAuditEvent(tx, systemAuditContext, { action: "seed.loaded", subjectType: "LedgerApiTest" }));
    await createCheckpoint();
    const admin = await actorFor("admin");
    const reader = await createApiToken(admin, { name: "auditor-tooling", scopes: ["audit:read"], regions: [] });
    const writer = await createApiToken(admin, { name: "decision-engine", scopes: ["decisions:write"], regions: ["SE"] });

    const ok = await responseOf(async () => inclusionLoader(args(await bearer("/api/v1/audit/proof/inclusion?seq=1", reader.secret))) as Promise<Response>);
    expect(ok.status).toBe(200);
    const proof = (await ok.json()) as { seq: number; auditPath: string[]; rootHash: string };
    expect(proof.seq).toBe(1);
    expect(proof.rootHash).toMatch(/^[0-9a-f]{64}$/);

    const wrongScope = await responseOf(async () => latestLoader(args(await bearer("/api/v1/audit/checkpoints/latest", writer.secret))) as Promise<Response>);
    expect(wrongScope.status).toBe(403);
    expect(await wrongScope.json()).toEqual({ error: 'the API token lacks the scope "audit:read"' });

    await revokeApiToken(admin, reader.id, "rotated out of the tooling");
    const revoked = await responseOf(async () => latestLoader(args(await bearer("/api/v1/audit/checkpoints/latest", reader.secret))) as Promise<Response>);
    expect(revoked.status).toBe(401);

    const anonymous = await responseOf(async () => latestLoader(args(new Request("http://attest.test/api/v1/audit/checkpoints/latest"))) as Promise<Response>);
    expect(anonymous.status).toBe(401);
  });

  it("serves proofs to an auditor's session but not to a regional manager's", async () => {
    const auditorSession = await signInAs(personas.auditor.email);
    const fine = await responseOf(async () => latestLoader(args(await requestWithSession(auditorSession, "/api/v1/audit/checkpoints/latest"))) as Promise<Response>);
    expect(fine.status).toBe(200);
    const opsSession = await signInAs(personas.opsSe.email);
    const refused = await responseOf(async () => latestLoader(args(await requestWithSession(opsSession, "/api/v1/audit/checkpoints/latest"))) as Promise<Response>);
    expect(refused.status).toBe(403);
  });

  it("publishes the public keys to anyone, armored for gpg and as JSON with validity periods", async () => {
    const armored = (await keysLoader(args(new Request("http://attest.test/api/v1/audit/keys")))) as Response;
    expect(armored.headers.get("content-type")).toContain("application/pgp-keys");
    expect(await armored.text()).toContain("-----BEGIN PGP PUBLIC KEY BLOCK-----");
    const json = (await keysLoader(args(new Request("http://attest.test/api/v1/audit/keys?format=json")))) as Response;
    const { keys } = (await json.json()) as { keys: { status: string; validFrom: string | null }[] };
    expect(keys.some((key) => key.status === "active" && key.validFrom)).toBe(true);
  });
});
