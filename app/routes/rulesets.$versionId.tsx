import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { z } from "zod";
import { ErrorPage } from "~/components/error-page";
import { FormErrors, FormNotice } from "~/components/forms/field";
import { notFound, requireActor, requirePermission } from "~/modules/access/actor.server";
import { JobProgress } from "~/modules/jobs/ui/job-progress";
import { approveVersion, createDraft, rejectVersion, requestBacktest, submitVersion, updateDraft, withdrawVersion } from "~/modules/rulesets/lifecycle.server";
import { getRuleSetVersionPage } from "~/modules/rulesets/rulesets.server";
import { BacktestResults } from "~/modules/rulesets/ui/backtest-results";
import { ParameterEditor } from "~/modules/rulesets/ui/parameter-editor";
import { RuleSetStateBadge } from "~/modules/rulesets/ui/state-badge";
import { VersionHistory } from "~/modules/rulesets/ui/version-history";
import { RuleSetRefusedError } from "~/modules/rulesets/versions.server";
import type { ParameterIssue } from "~/modules/rulesets/schema";
import { formatDateTime } from "~/utils/format";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.version.regionCode} v${data.version.version} · Rule sets · Attest` : "Rule set · Attest" },
];

const ParamsSchema = z.object({ versionId: z.string().uuid() });

export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) throw notFound("That rule-set version");
  return getRuleSetVersionPage(actor, parsed.data.versionId);
}

const revision = z.coerce.number().int().min(0);
const reason = (what: string) => z.string({ required_error: `${what} is required` }).trim().min(3, `${what}: say why in a few words`).max(2000);
const ActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("save"), revision, parameters: z.string().transform((text, context) => { try { return JSON.parse(text) as unknown; } catch { context.addIssue({ code: z.ZodIssueCode.custom, message: "Parameters: not valid JSON" }); return z.NEVER; } }), changeNote: z.string().trim().max(2000).optional().transform((text) => text || null) }),
  z.object({ intent: z.literal("backtest"), from: z.string().date("Period start: a date such as 2026-09-01"), to: z.string().date("Period end: a date such as 2026-12-01"), regions: z.array(z.string().length(2)).default([]) }),
  z.object({ intent: z.literal("submit"), revision, changeNote: reason("Change note") }),
  z.object({ intent: z.literal("withdraw"), revision, reason: reason("Reason") }),
  z.object({ intent: z.literal("approve"), revision, effectiveFrom: z.string().min(1, "Effective from is required"), note: z.string().trim().max(2000).optional() }),
  z.object({ intent: z.literal("reject"), revision, reason: reason("Reason") }),
  z.object({ intent: z.literal("draft") }),
]);

type ActionResult = { error: string | null; issues: ParameterIssue[]; notice: string | null };

export async function action({ request, params }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  // Who may act here is settled before the form is read; each step then checks the version itself.
  requirePermission(actor, "read", "RuleSetVersion");
  const parsedParams = ParamsSchema.safeParse(params);
  if (!parsedParams.success) throw notFound("That rule-set version");
  const versionId = parsedParams.data.versionId;
  const form = await request.formData();
  const parsed = ActionSchema.safeParse({ ...Object.fromEntries(form), regions: form.getAll("regions").map(String) });
  if (!parsed.success) {
    return data<ActionResult>({ error: parsed.error.issues.map((issue) => issue.message).join(" "), issues: [], notice: null }, { status: 400 });
  }
  const input = parsed.data;
  try {
    switch (input.intent) {
      case "save": {
        const saved = await updateDraft(actor, { versionId, revision: input.revision, parameters: input.parameters, changeNote: input.changeNote });
        return { error: null, issues: [], notice: `Draft saved (${saved.changedCount} parameter${saved.changedCount === 1 ? "" : "s"} changed). Run the backtest again before submitting.` } satisfies ActionResult;
      }
      case "backtest": {
        await requestBacktest(actor, { versionId, from: new Date(`${input.from}T00:00:00Z`), to: new Date(`${input.to}T00:00:00Z`), regions: input.regions });
        return { error: null, issues: [], notice: "Backtest queued. It runs in the background; you can leave this page and come back." } satisfies ActionResult;
      }
      case "submit":
        await submitVersion(actor, { versionId, revision: input.revision, changeNote: input.changeNote });
        return { error: null, issues: [], notice: "Submitted for approval. A compliance officer will approve or reject it." } satisfies ActionResult;
      case "withdraw":
        await withdrawVersion(actor, { versionId, revision: input.revision, reason: input.reason });
        return { error: null, issues: [], notice: "Withdrawn. Its version number stays used." } satisfies ActionResult;
      case "approve": {
        const { effectiveFrom } = await approveVersion(actor, { versionId, revision: input.revision, effectiveFromLocal: input.effectiveFrom, note: input.note ?? null });
        return { error: null, issues: [], notice: `Approved: takes effect ${formatDateTime(effectiveFrom)}.` } satisfies ActionResult;
      }
      case "reject":
        await rejectVersion(actor, { versionId, revision: input.revision, reason: input.reason });
        return { error: null, issues: [], notice: "Rejected; the author sees your reason." } satisfies ActionResult;
      case "draft": {
        const draft = await createDraft(actor, { fromVersionId: versionId });
        return redirect(`/rulesets/${draft.id}`);
      }
    }
  } catch (error) {
    if (error instanceof RuleSetRefusedError) {
      return data<ActionResult>({ error: error.message, issues: error.issues, notice: null }, { status: error.kind === "invalid" ? 400 : 409 });
    }
    throw error;
  }
}

export default function RuleSetVersionRoute() {
  const page = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { version, active, parameters, changedCount, validationIssues, permissions } = page;
  const isComparing = active !== null;
  return (
    <>
      <div className="page-header">
        <div>
          <p>
            <Link to="/rulesets">Rule sets</Link> / {version.regionName} /
          </p>
          <h1>
            {version.ruleSetName} v{version.version} <RuleSetStateBadge state={version.state} />
          </h1>
          <p>{version.changeNote ?? "No change note."}</p>
        </div>
        {permissions.canDraftFrom ? (
          <Form method="post">
            <input type="hidden" name="intent" value="draft" />
            <button type="submit" className="button">
              {version.state === "retired" ? `Roll back: start a draft from v${version.version}` : `Start a draft from v${version.version}`}
            </button>
          </Form>
        ) : null}
      </div>

      <FormErrors errors={actionData?.error ? [actionData.error] : null} />
      <FormNotice notice={actionData?.notice} />

      {validationIssues.length > 0 && !permissions.canEdit ? (
        <div className="alert alert--error" role="alert">
          <strong>These parameters fail validation</strong> — the decision engine would refuse them:
          <ul>
            {validationIssues.map((issue) => (
              <li key={`${issue.path}-${issue.message}`}>
                <code>{issue.path}</code>: {issue.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}

      <div className="grid grid--2">
        <section className="card" aria-labelledby="lifecycle-title">
          <h2 id="lifecycle-title">Lifecycle</h2>
          <dl className="facts">
            <dt>Region</dt>
            <dd>
              {version.regionName} ({version.regionCode}) · amounts in {version.currency} · time zone {page.timeZone}
            </dd>
            <dt>Author</dt>
            <dd>
              {version.authorName} <span className="muted">· created {formatDateTime(version.createdAt)}</span>
              {page.basedOnVersion ? <span className="muted"> · copied from v{page.basedOnVersion}</span> : null}
            </dd>
            <dt>Submitted</dt>
            <dd>
              {version.submittedAt ? (
                <>
                  {formatDateTime(version.submittedAt)}
                  {page.submitterName ? <span className="muted"> · by {page.submitterName}</span> : null}
                </>
              ) : (
                <span className="muted">—</span>
              )}
            </dd>
            <dt>{version.state === "rejected" ? "Rejected by" : "Approver"}</dt>
            <dd>
              {version.approverName ? (
                <>
                  {version.approverName}
                  {version.approvedAt ? <span className="muted"> · {formatDateTime(version.approvedAt)}</span> : null}
                  {page.rejectedAt ? <span className="muted"> · {formatDateTime(page.rejectedAt)}: {page.rejectionReason}</span> : null}
                </>
              ) : (
                <span className="muted">—</span>
              )}
            </dd>
            <dt>Effective from</dt>
            <dd>{version.effectiveFrom ? formatDateTime(version.effectiveFrom) : <span className="muted">—</span>}</dd>
            <dt>Retired</dt>
            <dd>{version.retiredAt ? formatDateTime(version.retiredAt) : <span className="muted">—</span>}</dd>
            {page.withdrawnAt ? (
              <>
                <dt>Withdrawn</dt>
                <dd>{formatDateTime(page.withdrawnAt)}</dd>
              </>
            ) : null}
          </dl>
        </section>
        <section className="card" aria-labelledby="compare-title">
          <h2 id="compare-title">Compared with the active version</h2>
          {version.state === "active" ? (
            <p>This is the version the decision engine runs in {version.regionName} today.</p>
          ) : active ? (
            <p>
              {changedCount === 0 ? "Same parameters as " : `${changedCount} ${changedCount === 1 ? "parameter differs" : "parameters differ"} from `}
              <Link to={`/rulesets/${active.id}`}>v{active.version}</Link>, active
              {active.effectiveFrom ? ` since ${formatDateTime(active.effectiveFrom)}` : ""}.
            </p>
          ) : (
            <p className="muted">{version.regionName} has no active version to compare with.</p>
          )}
        </section>
      </div>

      {permissions.canEdit ? (
        <ParameterEditor
          key={page.revision}
          versionId={version.id}
          revision={page.revision}
          parameters={page.rawParameters}
          activeParameters={page.activeParameters}
          activeVersion={active?.version ?? null}
          changeNote={version.changeNote}
          bounds={page.bounds}
          serverIssues={actionData?.issues ?? []}
        />
      ) : (
        <section className="card section" aria-labelledby="parameters-title">
          <h2 id="parameters-title">Parameters</h2>
          <div className="table-scroll">
            <table className="data params">
              <thead>
                <tr>
                  <th scope="col">Parameter</th>
                  <th scope="col">This version (v{version.version})</th>
                  {isComparing ? <th scope="col">Active (v{active.version})</th> : null}
                </tr>
              </thead>
              <tbody>
                {parameters.map((row) => (
                  <tr key={row.path} className={row.isChanged ? "row--changed" : undefined}>
                    <th scope="row">
                      {row.label}
                      {row.hint ? <span className="param-hint">{row.hint}</span> : null}
                    </th>
                    <td className="wrap">
                      {row.value}
                      {row.isChanged ? <span className="badge badge--warn changed-mark">changed</span> : null}
                    </td>
                    {isComparing ? <td className="wrap muted-cell">{row.activeValue}</td> : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}

      {permissions.canBacktest ? (
        <section className="card section" aria-labelledby="run-backtest-title">
          <h2 id="run-backtest-title">Backtest</h2>
          <p>Replay the stored decisions of a period in {version.regionCode} under this version's saved parameters and compare with what was decided.</p>
          <Form method="post" className="form-row">
            <input type="hidden" name="intent" value="backtest" />
            <input type="hidden" name="regions" value={version.regionCode} />
            <div className="field">
              <label htmlFor="backtest-from">From (UTC date)</label>
              <input id="backtest-from" name="from" type="date" defaultValue={page.defaultPeriod.from} required />
            </div>
            <div className="field">
              <label htmlFor="backtest-to">To (UTC date, exclusive)</label>
              <input id="backtest-to" name="to" type="date" defaultValue={page.defaultPeriod.to} required />
            </div>
            <div className="actions">
              <button type="submit" className="button">
                Run backtest
              </button>
            </div>
          </Form>
          {page.backtestJob ? <JobProgress key={page.backtestJob.id} job={page.backtestJob} label="Backtest" /> : null}
        </section>
      ) : page.backtestJob && !page.backtestJob.isFinished ? (
        <JobProgress key={page.backtestJob.id} job={page.backtestJob} label="Backtest" />
      ) : null}

      {page.backtest ? <BacktestResults result={page.backtest.result} isCurrent={page.backtest.isCurrent} currency={version.currency} /> : null}

      {permissions.canSubmit ? (
        <StepForm intent="submit" title="Submit for approval" revision={page.revision} className="card section" submitLabel="Submit for approval" isPrimary>
          {!page.backtest?.isCurrent ? <p className="alert alert--warn">Run a backtest of the saved parameters first: submitting needs a current one.</p> : null}
          <div className="field">
            <label htmlFor="submit-note">Change note for the approver</label>
            <textarea id="submit-note" name="changeNote" rows={3} defaultValue={version.changeNote ?? ""} required />
          </div>
        </StepForm>
      ) : null}

      {permissions.canDecide ? (
        permissions.fourEyesBlock ? (
          <p className="alert alert--warn card section">{permissions.fourEyesBlock}</p>
        ) : (
          <div className="grid grid--2 section">
            <StepForm intent="approve" title="Approve" revision={page.revision} className="card" submitLabel={`Approve v${version.version}`} isPrimary>
              {!page.backtest?.isCurrent ? <p className="alert alert--warn">The backtest is missing or out of date; approval will be refused.</p> : null}
              <div className="field">
                <label htmlFor="effective-from">Effective from ({page.timeZone} time)</label>
                <input id="effective-from" name="effectiveFrom" type="datetime-local" defaultValue={page.defaultEffectiveLocal} required />
                <span className="hint">Wall-clock time in {version.regionName}. A time already past takes effect at once.</span>
              </div>
              <div className="field">
                <label htmlFor="approve-note">Note (optional)</label>
                <textarea id="approve-note" name="note" rows={2} />
              </div>
            </StepForm>
            <StepForm intent="reject" title="Reject" revision={page.revision} className="card" submitLabel={`Reject v${version.version}`}>
              <div className="field">
                <label htmlFor="reject-reason">Reason</label>
                <textarea id="reject-reason" name="reason" rows={3} required />
              </div>
            </StepForm>
          </div>
        )
      ) : null}

      {permissions.canWithdraw ? (
        <StepForm intent="withdraw" title="Withdraw" revision={page.revision} className="card section" submitLabel={`Withdraw v${version.version}`}>
          <div className="field">
            <label htmlFor="withdraw-reason">Reason</label>
            <input id="withdraw-reason" name="reason" required />
          </div>
        </StepForm>
      ) : null}

      <VersionHistory events={page.history} />
    </>
  );
}

/** One lifecycle step (submit, approve, reject, withdraw): a titled card posting its intent with the revision it was shown. */
function StepForm({
  intent,
  title,
  revision,
  className,
  submitLabel,
  isPrimary = false,
  children,
}: {
  intent: string;
  title: string;
  revision: number;
  className: string;
  submitLabel: string;
  isPrimary?: boolean;
  children: ReactNode;
}) {
  const titleId = `${intent}-title`;
  return (
    <Form method="post" className={className} aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      <input type="hidden" name="intent" value={intent} />
      <input type="hidden" name="revision" value={revision} />
      {children}
      <div className="actions">
        <button type="submit" className={isPrimary ? "button button--primary" : "button"}>
          {submitLabel}
        </button>
      </div>
    </Form>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
