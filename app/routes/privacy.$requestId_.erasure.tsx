import { parseWithZod } from "@conform-to/zod";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ErrorPage } from "~/components/error-page";
import { forbidden, notFound, requireActor } from "~/modules/access/actor.server";
import { ErasureRefusedError, decideErasureApproval, executeErasure, getErasurePage, requestErasureApproval } from "~/modules/privacy/erasure.server";
import { ErasureActionSchema } from "~/modules/privacy/erasure-schema";
import { PrivacyRequestIdSchema } from "~/modules/privacy/schema";
import { PrivacyStateBadge } from "~/modules/privacy/ui/badges";
import { formatDate, formatDateTime } from "~/utils/format";
import { FormErrors, FormNotice } from "~/components/forms/field";

// /privacy/:requestId/erasure — the erasure plan (what is erased now, what is kept, with basis and
// date), then four-eyes: one DPO proposes, a second approves, a person other than the proposer
// executes; the signed certificate afterwards.

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Erasure · ${data?.request.reference ?? "Privacy request"} · Attest` }];

function parseParams(params: LoaderFunctionArgs["params"]) {
  const parsed = PrivacyRequestIdSchema.safeParse(params);
  if (!parsed.success) throw notFound("That privacy request");
  return parsed.data.requestId;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const requestId = parseParams(params);
  return getErasurePage(actor, requestId);
}

export async function action({ request, params }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  const requestId = parseParams(params);
  // Who may act is settled before the form is read: a refused caller learns nothing from validation.
  if (!actor.ability.can("erase", "PrivacyRequest") && !actor.ability.can("approve", "PrivacyRequest")) throw forbidden("erase", "PrivacyRequest");
  const submission = parseWithZod(await request.formData(), { schema: ErasureActionSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), notice: null }, { status: 400 });
  const input = submission.value;
  try {
    if (input.intent === "request_approval") {
      await requestErasureApproval(actor, requestId, input);
      return { result: submission.reply({ resetForm: true }), notice: "Plan proposed. A second person with the approve permission must approve it, then execute it." };
    }
    if (input.intent === "execute") {
      await executeErasure(actor, requestId, input);
      return { result: submission.reply({ resetForm: true }), notice: "Erasure executed. The signed certificate is below." };
    }
    const { isApproved } = await decideErasureApproval(actor, requestId, input);
    return { result: submission.reply({ resetForm: true }), notice: isApproved ? "Plan approved. It can now be executed." : "Plan sent back to the proposer." };
  } catch (error) {
    if (error instanceof ErasureRefusedError) return data({ result: submission.reply({ formErrors: [error.message] }), notice: null }, { status: 409 });
    throw error;
  }
}

function categoryTone(kept: number, erased: number) {
  if (kept > 0 && erased > 0) return "badge badge--warn";
  if (kept > 0) return "badge badge--info";
  return "badge badge--ok";
}

export default function ErasureRoute() {
  const { request, plan, certificate, retained, permissions } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const isBusy = navigation.state !== "idle";
  const errors = actionData?.result?.error as Record<string, string[] | null> | undefined;
  const formErrors = errors?.[""] ?? null;
  const fieldError = (name: string) => errors?.[name]?.join(" ") ?? null;

  return (
    <>
      <div className="page-header">
        <div>
          <p>
            <Link to="/privacy">Privacy requests</Link> / <Link to={`/privacy/${request.id}`}>{request.reference}</Link> /
          </p>
          <h1>
            Erasure {request.reference} <PrivacyStateBadge state={request.state} />
          </h1>
          <p>
            {request.regionCode} · {request.regime.replace(/_/g, " ").toUpperCase()} · customer{" "}
            {plan ? <code>{plan.customerReference}</code> : <span className="muted">not matched</span>}
          </p>
        </div>
      </div>

      <FormNotice notice={actionData?.notice} />
      <FormErrors errors={formErrors} />

      <div className="grid grid--2">
        <section className="card" aria-labelledby="four-eyes-title">
          <h2 id="four-eyes-title">Four-eyes approval</h2>
          <dl className="facts">
            <dt>Identity</dt>
            <dd>{request.identityState}</dd>
            <dt>Proposed by</dt>
            <dd>{request.proposedBy ? `${request.proposedBy} · ${formatDateTime(request.approvalRequestedAt!)}` : <span className="muted">not proposed yet</span>}</dd>
            <dt>Approved by</dt>
            <dd>{request.approvedBy ? `${request.approvedBy} · ${formatDateTime(request.approvedAt!)}` : <span className="muted">—</span>}</dd>
            <dt>Executed</dt>
            <dd>{request.completedAt ? formatDateTime(request.completedAt) : <span className="muted">—</span>}</dd>
          </dl>

          {permissions.canPropose ? (
            <Form method="post" className="section">
              <input type="hidden" name="intent" value="request_approval" />
              <div className="field">
                <label htmlFor="propose-justification">Why this plan is right (recorded in the ledger)</label>
                <textarea id="propose-justification" name="justification" rows={3} required minLength={10} aria-invalid={fieldError("justification") ? true : undefined} />
                <span className="hint">The ledger cannot be changed afterwards: do not write the customer&apos;s personal data here.</span>
                {fieldError("justification") ? <span className="field-error" role="alert">{fieldError("justification")}</span> : null}
              </div>
              <button type="submit" className="button" disabled={isBusy}>
                Propose this plan for approval
              </button>
            </Form>
          ) : null}

          {permissions.canDecide ? (
            <Form method="post" className="section">
              <div className="field">
                <label htmlFor="decide-justification">Your reason (recorded in the ledger)</label>
                <textarea id="decide-justification" name="justification" rows={3} required minLength={5} aria-invalid={fieldError("justification") ? true : undefined} />
                {fieldError("justification") ? <span className="field-error" role="alert">{fieldError("justification")}</span> : null}
              </div>
              <div className="actions">
                <button type="submit" name="intent" value="approve" className="button" disabled={isBusy}>
                  Approve plan
                </button>
                <button type="submit" name="intent" value="reject" className="button button--ghost" disabled={isBusy}>
                  Send back
                </button>
              </div>
            </Form>
          ) : null}

          {permissions.canExecute && plan ? (
            <Form method="post" className="section">
              <input type="hidden" name="intent" value="execute" />
              <div className="alert alert--warn">
                Executing erases the personal data for good and destroys the subject&apos;s ledger key. It cannot be undone.
              </div>
              <div className="field">
                <label htmlFor="confirm-reference">Type the customer reference {plan.customerReference} to confirm</label>
                <input id="confirm-reference" name="confirmReference" type="text" autoComplete="off" required aria-invalid={fieldError("confirmReference") ? true : undefined} />
                {fieldError("confirmReference") ? <span className="field-error" role="alert">{fieldError("confirmReference")}</span> : null}
              </div>
              <button type="submit" className="button button--danger" disabled={isBusy}>
                Execute erasure
              </button>
            </Form>
          ) : null}

          {permissions.canSendBack ? (
            <Form method="post" className="section">
              <input type="hidden" name="intent" value="reject" />
              <div className="field">
                <label htmlFor="send-back-justification">Or send the approved plan back: what must change (recorded in the ledger)</label>
                <input id="send-back-justification" name="justification" type="text" required minLength={10} />
              </div>
              <button type="submit" className="button button--ghost" disabled={isBusy}>
                Send back
              </button>
            </Form>
          ) : null}

          {request.pendingAction === "erasure_execution" && permissions.isProposer ? (
            <p className="muted section">You proposed this plan: a second person with the approve permission must approve and execute it.</p>
          ) : null}
          {!permissions.canPropose && !permissions.canDecide && !permissions.canExecute && !permissions.isProposer && request.state !== "completed" ? (
            <p className="muted section">
              {request.identityState !== "verified" ? "The requester's identity must be verified before an erasure is planned." : "Your role cannot act on this erasure."}
            </p>
          ) : null}
        </section>

        <section className="card" aria-labelledby="certificate-title">
          <h2 id="certificate-title">Erasure certificate</h2>
          {certificate ? (
            <>
              <p>Signed with the ledger key; no personal data. Verify with <code>gpg --verify {certificate.fileName}.asc {certificate.fileName}</code>.</p>
              <dl className="facts">
                <dt>File</dt>
                <dd>
                  <a href={`/privacy/${request.id}/artefacts/${certificate.id}`} download>
                    {certificate.fileName}
                  </a>{" "}
                  · <a href={`/privacy/${request.id}/artefacts/${certificate.id}?part=signature`} download>signature (.asc)</a>
                </dd>
                <dt>SHA-256</dt>
                <dd className="hash">
                  <code>{certificate.sha256}</code>
                </dd>
                <dt>Issued</dt>
                <dd>{formatDateTime(certificate.createdAt)}</dd>
              </dl>
            </>
          ) : (
            <p className="empty">Issued when the erasure is executed.</p>
          )}
          {retained.length > 0 ? (
            <>
              <h3 className="subhead">Retained records</h3>
              <ul className="list">
                {retained.map((record) => (
                  <li key={record.id}>
                    <span>
                      {record.category.replace(/_/g, " ")} ·{" "}
                      {record.retainUntil ? `until ${formatDate(record.retainUntil)}` : `until the debt is settled or written off, then ${record.untilDebtSettledKeep ?? "its period"}`}
                    </span>
                    <span className={record.erasedAt ? "badge badge--ok" : "badge badge--warn"}>{record.erasedAt ? `erased ${formatDate(record.erasedAt)}` : "restricted"}</span>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </section>
      </div>

      <section className="card section" aria-labelledby="plan-title">
        <h2 id="plan-title">{request.pendingAction === "erasure_execution" ? "Plan as proposed" : request.state === "completed" ? "Plan as executed" : "Plan (computed now from the subject's records)"}</h2>
        {plan ? (
          <>
            <p className="muted">
              Computed {formatDateTime(plan.computedAt)} from policies/retention.yaml (SHA-256 <code>{plan.retentionPolicySha256.slice(0, 12)}…</code>).{" "}
              {plan.restriction
                ? plan.restriction.keptRecords > 0
                  ? `${plan.restriction.keptRecords} record(s) kept and restricted meanwhile. ${plan.restriction.purpose}`
                  : "Nothing has to be kept: everything is erased now."
                : null}
            </p>
            <div className="table-wrap" role="region" aria-labelledby="plan-title" tabIndex={0}>
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">Category</th>
                    <th scope="col" className="num">
                      Erased now
                    </th>
                    <th scope="col" className="num">
                      Kept
                    </th>
                    <th scope="col">Kept until</th>
                    <th scope="col">Legal basis for keeping</th>
                  </tr>
                </thead>
                <tbody>
                  {plan.categories.map((category) => {
                    const keptCount = category.kept.reduce((sum, group) => sum + group.records.length, 0);
                    const rows = category.kept.length > 0 ? category.kept : [null];
                    return rows.map((group, index) => (
                      <tr key={`${category.category}-${index}`}>
                        {index === 0 ? (
                          <th scope="row" rowSpan={rows.length} style={{ whiteSpace: "normal", minWidth: "14rem", verticalAlign: "top" }}>
                            <span className={categoryTone(keptCount, category.eraseNow.length)}>{category.label}</span>
                            <div className="muted" style={{ fontWeight: 400, fontSize: "0.8rem" }}>
                              {category.holds}
                            </div>
                          </th>
                        ) : null}
                        {index === 0 ? (
                          <td className="num" rowSpan={rows.length} style={{ verticalAlign: "top" }}>
                            {category.eraseNow.length}
                          </td>
                        ) : null}
                        <td className="num">{group ? group.records.length : 0}</td>
                        <td>
                          {group?.untilDebtSettled ? (
                            <span>
                              debt settled or written off + {group.untilDebtSettled.thenKeep}
                              <div className="muted">
                                outstanding {Object.entries(group.untilDebtSettled.outstanding).map(([currency, amount]) => `${currency} ${amount}`).join(" + ")}
                              </div>
                            </span>
                          ) : group?.retainUntil ? (
                            formatDate(group.retainUntil)
                          ) : (
                            <span className="muted">—</span>
                          )}
                        </td>
                        <td className="wrap">{group ? group.basis : <span className="muted">nothing to keep</span>}</td>
                      </tr>
                    ));
                  })}
                </tbody>
              </table>
            </div>
            <p className="muted">
              Identity and contact details are deleted (including the requester&apos;s contact details on every request of this customer and any access export), free text about
              the customer in kept records is cleaned, and the customer&apos;s ledger key is destroyed: audit events keep their hashes, their sealed personal data becomes unreadable.
            </p>
          </>
        ) : (
          <p className="empty">{request.state === "completed" || request.state === "refused" ? `This request was ${request.state} without an erasure plan recorded in Attest.` : "No plan yet."}</p>
        )}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
