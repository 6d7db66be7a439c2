import { appendAuditEvent, systemAuditContext } from "~/modules/audit/ledger.server";
import { db, type Tx } from "~/utils/db.server";

// The dashboard rollups (ADR 011) are kept by database triggers in the writing transaction; this is
// the one way to recompute them from the raw tables: after a bulk load that deferred them, after a
// restore, or when a definition changes (`npm run rollups:rebuild`). The SQL function locks out writers
// of the raw tables for its duration, so it may run beside the app (ADR 017).

export interface RollupRebuildResult {
  decisions: number;
  milliseconds: number;
}

/** Recomputes every decision fact and rollup from the raw tables in one transaction, audited. */
export async function rebuildRollups(actorLabel = "rollups:rebuild (command line)"): Promise<RollupRebuildResult> {
  const startedAt = Date.now();
  const decisions = await db.$transaction(
    async (tx) => {
      const [row] = await tx.$queryRaw<{ decisions: bigint }[]>`SELECT rollups_rebuild() AS decisions`;
      const decisions = Number(row?.decisions ?? 0);
      await appendAuditEvent(tx, { ...systemAuditContext, actorLabel }, {
        action: "rollups.rebuilt",
        subjectType: "Dashboard",
        changes: { decisions },
      });
      return decisions;
    },
    { timeout: 30 * 60_000, maxWait: 60_000 },
  );
  return { decisions, milliseconds: Date.now() - startedAt };
}

/**
 * For a writer that inserts many decisions and then works on them in the same transaction (an
 * ingestion batch): the rollup triggers stand aside for this transaction only, until
 * `countDecisionsIntoRollups` counts the batch's final rows in at its end. The rollup cells a batch
 * touches are few and hot (today × region × kind × …); counted at the first insert, their row locks
 * would be held through the batch's reasons, reviews and ledger event, and concurrent batches would
 * queue behind each other from their first statement (seen as `Lock:transactionid` waits). Counted at
 * the end, they are held for the count, the ledger event and the commit only. Same transaction, same
 * figures: the facts are derived from the rows as they will commit.
 */
export async function holdRollupsForBatch(tx: Tx) {
  await tx.$queryRaw`SELECT set_config('attest.rollups_deferred', 'on', true)`;
}

/** Ends `holdRollupsForBatch`: the decisions' facts, derived from their rows now, counted into every rollup. */
export async function countDecisionsIntoRollups(tx: Tx, decisionIds: readonly string[]) {
  await tx.$queryRaw`SELECT set_config('attest.rollups_deferred', 'off', true)`;
  if (decisionIds.length === 0) return;
  await tx.$executeRaw`INSERT INTO decision_fact SELECT * FROM decision_fact_source(${[...decisionIds]}::uuid[])`;
}
