import { stringify } from "csv-stringify/sync";
import type { Prisma } from "~/generated/prisma/client";
import { requirePermission, type Actor } from "~/modules/access/actor.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { db } from "~/utils/db.server";
import { filtersOf } from "./decisions.server";
import type { DecisionListQuery } from "./schema";

// CSV export of the explorer's filtered set (issue 4 §3): the same filter and region scope as the
// list, streamed in keyset batches so a million rows never sit in memory, recorded in the ledger
// before the first byte leaves. Decisions of customers who restricted processing (GDPR Art. 18)
// are left out: an export is processing.

const EXPORT_BATCH = 2_000;

const exportSelect = {
  id: true,
  externalId: true,
  decidedAt: true,
  ingestedAt: true,
  regionCode: true,
  kind: true,
  outcome: true,
  score: true,
  amount: true,
  currency: true,
  modelName: true,
  modelVersion: true,
  reviewState: true,
  features: true,
  customer: { select: { reference: true } },
  ruleSetVersion: { select: { version: true } },
  reasons: { orderBy: { position: "asc" as const }, select: { code: true, contribution: true } },
} satisfies Prisma.DecisionSelect;

const header = [
  "decision_id",
  "external_id",
  "decided_at",
  "ingested_at",
  "region",
  "kind",
  "outcome",
  "score",
  "amount",
  "currency",
  "model_name",
  "model_version",
  "rule_set_version",
  "review_state",
  "customer_reference",
  "reason_codes",
  "features",
];

/** Starts an audited CSV export of the decisions `query` selects; 403 without the export permission. */
export async function exportDecisionsCsv(actor: Actor, query: DecisionListQuery) {
  requirePermission(actor, "export", "Decision");
  const canReadReference = actor.ability.can("read", "Customer", "reference");
  const { after: _after, before: _before, cols: _cols, ...filter } = query;
  // Each exported row must be one the viewer may export (not only read); customers who restricted
  // processing are left out, as in the list.
  const where: Prisma.DecisionWhereInput[] = filtersOf(actor, query, "export");
  const { sort, order } = query;
  await db.$transaction((tx) =>
    appendAuditEvent(tx, actor.audit, {
      action: "decision.exported",
      subjectType: "Decision",
      changes: { format: "csv", filter: JSON.parse(JSON.stringify(filter)) as Record<string, unknown>, regions: actor.regionFilter },
    }),
  );

  const encoder = new TextEncoder();
  let cursor: { value: Date | number | Prisma.Decimal; id: string } | null = null;
  let isHeaderWritten = false;
  const [bound, strict] = order === "desc" ? (["lte", "lt"] as const) : (["gte", "gt"] as const);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const beyond: Prisma.DecisionWhereInput[] = cursor
          ? [{ [sort]: { [bound]: cursor.value } }, { OR: [{ [sort]: { [strict]: cursor.value } }, { id: { [strict]: cursor.id } }] }]
          : [];
        const rows = await db.decision.findMany({
          where: { AND: [...where, ...beyond] },
          orderBy: [{ [sort]: order }, { id: order }],
          take: EXPORT_BATCH,
          select: exportSelect,
        });
        const records = rows.map((row) => [
          row.id,
          row.externalId,
          row.decidedAt.toISOString(),
          row.ingestedAt.toISOString(),
          row.regionCode,
          row.kind,
          row.outcome,
          row.score,
          row.amount.toFixed(2),
          row.currency,
          row.modelName,
          row.modelVersion,
          row.ruleSetVersion?.version ?? "",
          row.reviewState,
          canReadReference ? row.customer.reference : "",
          row.reasons.map((reason) => `${reason.code}:${reason.contribution}`).join(" "),
          JSON.stringify(row.features),
        ]);
        const text = stringify(isHeaderWritten ? records : [header, ...records]);
        isHeaderWritten = true;
        if (text) controller.enqueue(encoder.encode(text));
        const last = rows[rows.length - 1];
        if (rows.length < EXPORT_BATCH || !last) controller.close();
        else cursor = { value: last[sort], id: last.id };
      } catch (error) {
        controller.error(error);
      }
    },
  });
}
