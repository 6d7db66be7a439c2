import { appendAuditEvent, systemAuditContext } from "~/modules/audit/ledger.server";
import { db } from "~/utils/db.server";

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
