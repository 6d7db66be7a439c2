import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { requireActor } from "~/modules/access/actor.server";
import { createApiToken, revokeApiToken } from "~/modules/access/api-tokens.server";
import { exportAuditEvents } from "~/modules/audit/audit-events.server";
import { ensureActiveSigningKey } from "~/modules/audit/checkpoints.server";
import { decideRotation, requestRotation } from "~/modules/audit/signing-key-rotation.server";
import { registerSigningKeys, writeGeneratedKey } from "~/modules/audit/signing-keys.server";
import { startLedgerVerification } from "~/modules/audit/verification.server";
import { db } from "~/utils/db.server";
import { actorFor, requestWithSession, signInAs, thrownResponse } from "./helpers/actors";
import { changesOf, eventsSince, ledgerSize, serialized } from "./helpers/ledger";

// The ledger's own governance is on the record (DESIGN.md §6): API tokens, signing-key rotation
// (four-eyes), ledger exports and verifications each append their event with the change they make.

vi.hoisted(() => {
  // Keys this file stages are written here, never into the repository's data/ directory.
  process.env.ATTEST_SIGNING_KEYS_DIR = `${process.env.TMPDIR ?? "/tmp"}/attest-keys-governance-${process.pid}-${Date.now()}`;
});

async function secondAdmin() {
  return requireActor(await requestWithSession(await signInAs("admin2@attest.test")));
}

describe("ledger governance", () => {
  it("records creating and revoking an API token, never its secret", async () => {
    const admin = await actorFor("admin");
    const before = await ledgerSize();
    const token = await createApiToken(admin, { name: "governance-test", scopes: ["audit:read"], regions: [] });
    await revokeApiToken(admin, token.id, "no longer used by the tooling");
    const events = await eventsSince(before);
    expect(events.map((event) => event.action)).toEqual(["api_token.created", "api_token.revoked"]);
    expect(events.every((event) => event.subjectId === token.id && event.actorId === admin.user.id)).toBe(true);
    expect(events[1]!.justification).toBe("no longer used by the tooling");
    expect(serialized(events)).not.toContain(token.secret);
    expect(await db.apiToken.findUniqueOrThrow({ where: { id: token.id } })).toMatchObject({ revokedAt: expect.any(Date) });
  });

  it("refuses a rotation approved by the administrator who asked for it, and records request and rejection", async () => {
    const admin = await actorFor("admin");
    const active = await ensureActiveSigningKey();
    // The key file is named after its fingerprint; other files may have staged keys of their own.
    const stagedFile = await writeGeneratedKey();
    await registerSigningKeys();
    const staged = await db.signingKey.findUniqueOrThrow({ where: { fingerprint: path.basename(stagedFile, ".asc") } });
    const before = await ledgerSize();
    const rotation = await requestRotation(admin, { intent: "request", toFingerprint: staged.fingerprint, justification: "Scheduled rotation of the checkpoint key" });

    const selfApproval = await thrownResponse(() => decideRotation(admin, { intent: "approve", rotationId: rotation.id, justification: "approving my own" }));
    expect(selfApproval.status).toBe(403);
    expect(((await selfApproval.json()) as { missingPermission: string }).missingPermission).toContain("a second administrator");
    expect((await db.signingKeyRotation.findUniqueOrThrow({ where: { id: rotation.id } })).state).toBe("pending");

    const other = await secondAdmin();
    expect(await decideRotation(other, { intent: "reject", rotationId: rotation.id, justification: "Not during the quarter-end audit" })).toEqual({ isApproved: false });
    // (The second administrator's sign-in lies in between; only the rotation's own events count here.)
    const events = (await eventsSince(before)).filter((event) => event.action.startsWith("signing_key."));
    expect(events.map((event) => [event.action, event.actorId])).toEqual([
      ["signing_key.rotation_requested", admin.user.id],
      ["signing_key.rotation_rejected", other.user.id],
    ]);
    expect(changesOf(events[0]!)).toMatchObject({ from: active.fingerprint, to: staged.fingerprint });
    // The active key is untouched by a rejected rotation.
    expect((await db.signingKey.findUniqueOrThrow({ where: { id: active.id } })).retiredAt).toBeNull();
  });

  it("records an export of the ledger before streaming it, with its filter", async () => {
    const auditor = await actorFor("auditor");
    const before = await ledgerSize();
    const stream = await exportAuditEvents(auditor, { action: "staff.signed_in" }, "jsonl");
    const [event] = await eventsSince(before);
    expect(event).toMatchObject({ action: "ledger.exported", actorId: auditor.user.id, subjectType: "Ledger" });
    expect(changesOf(event!)).toMatchObject({ format: "jsonl", filter: { action: "staff.signed_in" } });
    const lines = (await new Response(stream).text()).trim().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    // A v2 line carries the leaf envelope and the content it hashes; the action is in the content.
    const exported = lines.map((line) => JSON.parse(line) as { leaf: { v: number; action?: string }; content: { action: string } | null });
    expect(exported.every((line) => (line.content?.action ?? line.leaf.action) === "staff.signed_in")).toBe(true);
    expect(exported.some((line) => line.leaf.v === 2)).toBe(true);
  });

  it("records a verification started from the app, with its result", async () => {
    const compliance = await actorFor("compliance");
    const before = await ledgerSize();
    const { id } = await startLedgerVerification(compliance);
    const deadline = Date.now() + 60_000;
    let run = await db.ledgerVerification.findUniqueOrThrow({ where: { id } });
    while (run.state === "running" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      run = await db.ledgerVerification.findUniqueOrThrow({ where: { id } });
    }
    expect(run.state).toBe("passed");
    const recorded = (await eventsSince(before)).find((event) => event.action === "ledger.verified");
    expect(recorded).toMatchObject({ actorId: compliance.user.id, subjectId: id });
    expect(changesOf(recorded!)).toMatchObject({ result: "passed" });
  });
});
