import { beforeAll, describe, expect, it } from "vitest";
import { appendAuditEvent, systemAuditContext } from "~/modules/audit/ledger.server";
import { db } from "~/utils/db.server";
import { eventsSince, ledgerSize } from "./helpers/ledger";

// The ledger is evidence: the database itself refuses to rewrite or remove it, whoever asks
// (DESIGN.md §6), and sequence numbers have no gaps an auditor would have to explain.

let firstSeq: bigint;

beforeAll(async () => {
  const { id } = await db.$transaction((tx) =>
    appendAuditEvent(tx, systemAuditContext, { action: "seed.loaded", subjectType: "Test", subjectId: "ledger-append-only", changes: { after: { note: "original" } } }),
  );
  firstSeq = (await db.auditEvent.findUniqueOrThrow({ where: { id } })).seq;
});

async function refusal(sql: string) {
  const error = await db.$executeRawUnsafe(sql).then(
    () => null,
    (caught: unknown) => caught as Error,
  );
  expect(error, `${sql} was allowed`).not.toBeNull();
  return error!.message;
}

describe("the database protects the audit ledger", () => {
  it("refuses to UPDATE an event", async () => {
    expect(await refusal(`UPDATE audit_event SET justification = 'rewritten' WHERE seq = ${firstSeq}`)).toMatch(/append-only: UPDATE on audit_event/);
    const row = await db.auditEvent.findUniqueOrThrow({ where: { seq: firstSeq } });
    expect(row.justification).toBeNull();
  });

  it("refuses to DELETE an event", async () => {
    expect(await refusal(`DELETE FROM audit_event WHERE seq = ${firstSeq}`)).toMatch(/append-only: DELETE on audit_event/);
    expect(await db.auditEvent.count({ where: { seq: firstSeq } })).toBe(1);
  });

  it("refuses to TRUNCATE the ledger", async () => {
    const countBefore = await db.auditEvent.count();
    expect(await refusal("TRUNCATE audit_event")).toMatch(/append-only: TRUNCATE on audit_event/);
    expect(await db.auditEvent.count()).toBe(countBefore);
  });

  it("refuses the same through Prisma's own update and delete", async () => {
    await expect(db.auditEvent.update({ where: { seq: firstSeq }, data: { action: "staff.signed_out" } })).rejects.toThrow();
    await expect(db.auditEvent.deleteMany({})).rejects.toThrow();
    expect((await db.auditEvent.findUniqueOrThrow({ where: { seq: firstSeq } })).action).toBe("seed.loaded");
  });

  it("refuses to move the ledger head backwards or skip ahead", async () => {
    const size = await ledgerSize();
    expect(await refusal(`UPDATE audit_ledger_head SET size = size - 1 WHERE id = 1`)).toMatch(/only advances by one/);
    expect(await refusal(`UPDATE audit_ledger_head SET size = size + 5 WHERE id = 1`)).toMatch(/only advances by one/);
    expect(await ledgerSize()).toBe(size);
  });
});

describe("sequence numbers", () => {
  it("leave no event and no gap behind a rolled-back transaction", async () => {
    const before = await ledgerSize();
    await expect(
      db.$transaction(async (tx) => {
        await appendAuditEvent(tx, systemAuditContext, { action: "seed.loaded", subjectType: "Test", subjectId: "rolled-back" });
        throw new Error("the change failed after its event was appended");
      }),
    ).rejects.toThrow(/the change failed/);
    expect(await ledgerSize()).toBe(before);
    expect(await db.auditEvent.count({ where: { subjectId: "rolled-back" } })).toBe(0);

    const { id } = await db.$transaction((tx) => appendAuditEvent(tx, systemAuditContext, { action: "seed.loaded", subjectType: "Test", subjectId: "after-rollback" }));
    expect(Number((await db.auditEvent.findUniqueOrThrow({ where: { id } })).seq)).toBe(before + 1);
  });

  it("stay gapless and unique when many transactions append at once", async () => {
    const before = await ledgerSize();
    const count = 12;
    await Promise.all(
      Array.from({ length: count }, (_, index) =>
        db.$transaction((tx) => appendAuditEvent(tx, systemAuditContext, { action: "seed.loaded", subjectType: "Test", subjectId: `concurrent-${index}` })),
      ),
    );
    const events = await eventsSince(before);
    expect(events.map((event) => Number(event.seq))).toEqual(Array.from({ length: count }, (_, index) => before + index + 1));
    expect(new Set(events.map((event) => event.subjectId)).size).toBe(count);
    // Every event from the first to the last is present: the ledger has no holes at all.
    const total = await db.auditEvent.count();
    expect(total).toBe(await ledgerSize());
  });
});
