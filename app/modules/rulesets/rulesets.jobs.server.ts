import { z } from "zod";
import type { Prisma } from "~/generated/prisma/client";
import { notFound, requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import { appendAuditEvent, systemAuditContext } from "~/modules/audit/ledger.server";
import { registerJobHandler } from "~/modules/jobs/registry.server";
import { db } from "~/utils/db.server";
import { countSlice, mergeCells, sampleChanged, slicesOf, summariseBacktest } from "./backtest.server";
import { RuleSetParametersSchema } from "./schema";
import { parametersHash } from "./versions.server";

// The backtest as a background job (ADR 008, issue 9): replays a period of stored decisions under a
// version's parameters slice by slice (progress, cancellation), then stores the result with the hash
// of the parameters it ran on, in the transaction that marks the job succeeded.

export const BACKTEST_JOB_KIND = "ruleset.backtest";
const SLICES = 12;

export const BacktestInputSchema = z.object({
  versionId: z.string().uuid(),
  from: z.string().datetime(),
  to: z.string().datetime(),
  regions: z.array(z.string().length(2)).min(1),
});
export type BacktestInput = z.infer<typeof BacktestInputSchema>;

async function versionSubject(versionId: string) {
  const version = await db.ruleSetVersion.findUnique({ where: { id: versionId }, select: { id: true, regionCode: true, state: true } });
  if (!version) throw notFound("That backtest");
  return version;
}

export const backtestJob = registerJobHandler({
  kind: BACKTEST_JOB_KIND,
  input: BacktestInputSchema,
  timeoutMinutes: 30,
  async authorize(actor: Actor, job, action) {
    const version = await versionSubject(job.input.versionId);
    requireRecordPermission(actor, "read", "RuleSetVersion", version);
    if (action === "cancel") requireRecordPermission(actor, "backtest", "RuleSetVersion", version);
  },
  async run(job, context) {
    const version = await db.ruleSetVersion.findUniqueOrThrow({ where: { id: job.input.versionId }, select: { id: true, regionCode: true, version: true, parameters: true } });
    const parameters = RuleSetParametersSchema.parse(version.parameters);
    const hash = parametersHash(version.parameters);
    const from = new Date(job.input.from);
    const to = new Date(job.input.to);
    const slices = slicesOf(from, to, SLICES);
    const cells = [];
    for (const [index, slice] of slices.entries()) {
      context.throwIfCancelled();
      cells.push(...(await countSlice(db, parameters, job.input.regions, slice.from, slice.to)));
      context.reportProgress(index + 1, slices.length + 1, `replayed ${index + 1} of ${slices.length} slices of the period`);
    }
    context.throwIfCancelled();
    const sample = await sampleChanged(db, parameters, job.input.regions, from, to);
    const result = summariseBacktest({ cells: mergeCells(cells), parametersHash: hash, from, to, regions: job.input.regions, sample, ranAt: new Date() });
    await context.complete(
      async (tx) => {
        await tx.ruleSetVersion.update({
          where: { id: version.id },
          data: { backtest: result as unknown as Prisma.InputJsonValue, backtestParametersHash: hash, backtestedAt: new Date() },
        });
        await appendAuditEvent(tx, systemAuditContext, {
          action: "rule_set_version.backtest_stored",
          subjectType: "RuleSetVersion",
          subjectId: version.id,
          regionCode: version.regionCode,
          changes: {
            version: version.version,
            jobId: job.id,
            parametersHash: hash,
            period: result.period,
            regions: result.regions,
            decisions: result.decisions,
            changed: result.changed,
            approvalRateDelta: result.overall.approvalRate.delta,
            referralRateDelta: result.overall.referralRate.delta,
          },
        });
      },
      { decisions: result.decisions, changed: result.changed },
    );
  },
});
