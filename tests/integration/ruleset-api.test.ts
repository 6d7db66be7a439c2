import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "~/modules/access/api-tokens.server";
import { loadArtefactSigner } from "~/modules/privacy/artefact-signing.server";
import { loader as activeLoader } from "~/routes/api.v1.rulesets.$region.active";
import { loader as versionLoader } from "~/routes/api.v1.rulesets.$region.versions.$version";
import { db } from "~/utils/db.server";
import { fixtureIds as ids } from "../fixtures/ids";
import { actorFor } from "./helpers/actors";

// The signed rule-set API for the decision engine (issue 9): the exact bytes, a detached OpenPGP
// signature real gpg accepts (and refuses once a byte changes), ETag / If-None-Match, the token's
// scope and regions, and one ledger event per fetch.

let seToken: string;
let deToken: string;
let wrongScope: string;

beforeAll(async () => {
  const admin = await actorFor("admin");
  await loadArtefactSigner();
  seToken = (await createApiToken(admin, { name: "engine-rules-se", scopes: ["rulesets:read"], regions: ["SE"] })).secret;
  deToken = (await createApiToken(admin, { name: "engine-rules-de", scopes: ["rulesets:read"], regions: ["DE"] })).secret;
  wrongScope = (await createApiToken(admin, { name: "engine-ingest-se", scopes: ["decisions:write"], regions: ["SE"] })).secret;
});

async function get(loader: typeof activeLoader, url: string, params: Record<string, string>, token: string, headers: Record<string, string> = {}) {
  const request = new Request(`http://attest.test${url}`, { headers: { Authorization: `Bearer ${token}`, ...headers } });
  try {
    return (await loader({ request, params, context: {} })) as Response;
  } catch (error) {
    if (error instanceof Response) return error;
    throw error;
  }
}

function gpgVerify(armoredKey: string, body: Buffer, signature: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "attest-ruleset-"));
  fs.chmodSync(dir, 0o700);
  try {
    const gpg = (...args: string[]) => spawnSync("gpg", ["--homedir", dir, "--batch", "--status-fd", "1", ...args], { encoding: "utf8" });
    fs.writeFileSync(path.join(dir, "key.asc"), armoredKey);
    fs.writeFileSync(path.join(dir, "ruleset.json"), body);
    fs.writeFileSync(path.join(dir, "ruleset.json.asc"), signature);
    expect(gpg("--import", path.join(dir, "key.asc")).status).toBe(0);
    return gpg("--verify", path.join(dir, "ruleset.json.asc"), path.join(dir, "ruleset.json"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("signed rule-set API", () => {
  it("serves the version in force with a signature gpg verifies, and a changed byte fails", async () => {
    const before = await db.auditEvent.count({ where: { action: "rule_set_version.fetched" } });
    const response = await get(activeLoader, "/api/v1/rulesets/SE/active", { region: "SE" }, seToken);
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    const document = JSON.parse(body.toString("utf8"));
    expect(document).toMatchObject({ format: "attest.ruleset-version.v1", region: "SE", version: 1 });
    expect(document.parametersSha256).toMatch(/^[0-9a-f]{64}$/);
    const signature = Buffer.from(response.headers.get("X-Attest-Signature")!, "base64").toString("utf8");
    const key = await db.signingKey.findFirstOrThrow({ where: { fingerprint: response.headers.get("X-Attest-Signing-Key")! } });
    const verified = gpgVerify(key.armoredPublicKey, body, signature);
    expect(verified.status, verified.stderr).toBe(0);
    expect(verified.stdout).toContain("GOODSIG");
    const tampered = Buffer.from(body);
    const at = tampered.indexOf("minimumAge") + 12;
    tampered[at] = tampered[at]! ^ 1;
    expect(gpgVerify(key.armoredPublicKey, tampered, signature).status).not.toBe(0);
    expect(await db.auditEvent.count({ where: { action: "rule_set_version.fetched" } })).toBe(before + 1);
  });

  it("pins a version by number, serves its armored signature alone and answers 304 to a matching ETag", async () => {
    const pinned = await get(versionLoader, "/api/v1/rulesets/SE/versions/1", { region: "SE", version: "1" }, seToken);
    expect(pinned.status).toBe(200);
    const etag = pinned.headers.get("ETag")!;
    const body = Buffer.from(await pinned.arrayBuffer());
    const asc = await get(versionLoader, "/api/v1/rulesets/SE/versions/1.asc", { region: "SE", version: "1.asc" }, seToken);
    expect(asc.headers.get("Content-Type")).toMatch(/pgp-signature/);
    const key = await db.signingKey.findFirstOrThrow({ where: { fingerprint: asc.headers.get("X-Attest-Signing-Key")! } });
    expect(gpgVerify(key.armoredPublicKey, body, await asc.text()).status).toBe(0);
    const cached = await get(versionLoader, "/api/v1/rulesets/SE/versions/1", { region: "SE", version: "1" }, seToken, { "If-None-Match": etag });
    expect(cached.status).toBe(304);
    const events = await db.auditEvent.findMany({ where: { action: "rule_set_version.fetched", subjectId: ids.ruleSetVersions.seActive }, orderBy: { seq: "desc" }, take: 1 });
    expect(events[0]!.changes).toMatchObject({ status: 304, version: 1 });
  });

  it("refuses drafts, other regions and tokens without the scope, recording each refusal", async () => {
    expect((await get(versionLoader, "/api/v1/rulesets/SE/versions/2", { region: "SE", version: "2" }, seToken)).status).toBe(404);
    const before = await db.auditEvent.count({ where: { action: "api.call_refused" } });
    const outside = await get(activeLoader, "/api/v1/rulesets/SE/active", { region: "SE" }, deToken);
    expect(outside.status).toBe(403);
    expect((await outside.json()).error).toMatch(/not scoped to region SE/);
    expect(await db.auditEvent.count({ where: { action: "api.call_refused" } })).toBe(before + 1);
    expect((await get(activeLoader, "/api/v1/rulesets/SE/active", { region: "SE" }, wrongScope)).status).toBe(403);
  });
});
