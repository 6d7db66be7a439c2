import pg from "pg";
import { db, disconnectDatabase, databaseUrl } from "../app/utils/db.server";
import { appendAuditEvent } from "../app/modules/audit/ledger.server";
import { eventLeafTemplate } from "../app/modules/audit/event-document";
import { randomUUID } from "node:crypto";
const context = { actorType: "staff" as const, actorId: "7d3c5f0e-1111-4222-8333-944455556666", actorLabel: "bench@attest.test", actorRole: "compliance_officer", requestId: null, ipAddress: "127.0.0.1" };
const N = Number(process.argv[2] ?? 3000);
const variants = (process.argv[3] ?? "A,B,C,D").split(",");
const pool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
function stageArgs(n: number) {
  const fields = { id: randomUUID(), ...context, action: "staff.signed_in", subjectType: "StaffUser", subjectId: context.actorId, regionCode: null, justification: null, changes: { n } };
  const leaf = eventLeafTemplate(fields);
  return [leaf.prefix, leaf.middle, leaf.suffix, fields.id, fields.actorType, fields.actorId, fields.actorLabel, fields.actorRole, fields.action, fields.subjectType, fields.subjectId, null, null, JSON.stringify(fields.changes), null, fields.ipAddress, false];
}
const STAGE = "SELECT attest_stage_audit_event($1,$2,$3,$4::uuid,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14::jsonb,$15,$16,$17)";
async function run(name: string, action: (n: number) => Promise<unknown>) {
  let next = 0;
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  await Promise.all(Array.from({ length: 8 }, async () => { while (next < N) await action(next++); }));
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const used = process.cpuUsage(cpu);
  console.log(`${name}: ${(N / ms * 1000).toFixed(0)}/s, node cpu ${((used.user + used.system) / N).toFixed(0)} µs/tx, load ${(await import("node:os")).loadavg()[0]!.toFixed(1)}`);
}
for (const v of variants) {
  if (v === "A") await run("A interactive prisma", (n) => db.$transaction(async (tx) => { await tx.loginAttempt.create({ data: { email: `b-${n}@x.test`, ipAddress: "127.0.0.1", succeeded: true } }); await appendAuditEvent(tx, context, { action: "staff.signed_in", subjectType: "StaffUser", subjectId: context.actorId, changes: { n } }); }));
  if (v === "B") await run("B batch prisma", (n) => { const a = stageArgs(n); return db.$transaction([db.loginAttempt.create({ data: { email: `b-${n}@x.test`, ipAddress: "127.0.0.1", succeeded: true } }), db.$executeRawUnsafe(STAGE, ...a)]); });
  if (v === "C") await run("C raw pg 4 round trips", async (n) => { const c = await pool.connect(); try { await c.query("BEGIN"); await c.query("INSERT INTO login_attempt (email, ip_address, succeeded) VALUES ($1, $2, true)", [`b-${n}@x.test`, "127.0.0.1"]); await c.query(STAGE, stageArgs(n)); await c.query("COMMIT"); } finally { c.release(); } });
  if (v === "D") await run("D raw pg 1 statement", async (n) => { const a = stageArgs(n); await pool.query(`WITH l AS (INSERT INTO login_attempt (email, ip_address, succeeded) VALUES ($18, '127.0.0.1', true)) ${STAGE}`, [...a, `b-${n}@x.test`]); });
  if (v === "F") await run("F interactive, pending createMany", (n) => db.$transaction(async (tx) => { await tx.loginAttempt.create({ data: { email: `b-${n}@x.test`, ipAddress: "127.0.0.1", succeeded: true } }); const a = stageArgs(n); await tx.auditEventPending.createMany({ data: [{ id: a[3] as string, leafPrefix: a[0] as string, leafMiddle: a[1] as string, leafSuffix: a[2] as string, actorType: "staff", actorId: a[5] as string, actorLabel: a[6] as string, actorRole: a[7] as string, action: "staff.signed_in", subjectType: "StaffUser", subjectId: a[10] as string, changes: { n }, ipAddress: "127.0.0.1" }] }); }));
  if (v === "G") await run("G interactive, executeRawUnsafe", (n) => db.$transaction(async (tx) => { await tx.loginAttempt.create({ data: { email: `b-${n}@x.test`, ipAddress: "127.0.0.1", succeeded: true } }); await tx.$executeRawUnsafe(STAGE, ...stageArgs(n)); }));
  if (v === "H") await run("H interactive, one create", (n) => db.$transaction(async (tx) => { await tx.loginAttempt.create({ data: { email: `b-${n}@x.test`, ipAddress: "127.0.0.1", succeeded: true } }); }));
  if (v === "I") await run("I no tx, one create", (n) => db.loginAttempt.create({ data: { email: `b-${n}@x.test`, ipAddress: "127.0.0.1", succeeded: true } }));
  if (v === "J") await run("J interactive, raw 1 json param (noop)", (n) => db.$transaction(async (tx) => { await tx.loginAttempt.create({ data: { email: `b-${n}@x.test`, ipAddress: "127.0.0.1", succeeded: true } }); await tx.$executeRawUnsafe("SELECT length($1)", JSON.stringify(stageArgs(n))); }));
  if (v === "K") await run("K interactive, raw 17 params (noop)", (n) => db.$transaction(async (tx) => { await tx.loginAttempt.create({ data: { email: `b-${n}@x.test`, ipAddress: "127.0.0.1", succeeded: true } }); await tx.$executeRawUnsafe("SELECT num_nulls($1,$2,$3,$4::uuid,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14::jsonb,$15,$16,$17)", ...stageArgs(n)); }));
  if (v === "E") await run("E interactive prisma, no ledger", (n) => db.$transaction(async (tx) => { await tx.loginAttempt.create({ data: { email: `b-${n}@x.test`, ipAddress: "127.0.0.1", succeeded: true } }); await tx.loginAttempt.create({ data: { email: `c-${n}@x.test`, ipAddress: "127.0.0.1", succeeded: true } }); }));
}
await pool.end();
await disconnectDatabase();
