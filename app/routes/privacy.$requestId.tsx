import { parseWithZod } from "@conform-to/zod";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { createContext, useContext, useId } from "react";
import { ErrorPage } from "~/components/error-page";
import { forbidden, notFound, requireActor } from "~/modules/access/actor.server";
import { actOnPrivacyRequest, getPrivacyRequest, PrivacyRequestRefusedError } from "~/modules/privacy/privacy-requests.server";
import { identityChecks, identityMethods, PrivacyRequestActionSchema, PrivacyRequestIdSchema, rectifiableFields } from "~/modules/privacy/schema";
import { DaysLeftBadge, IdentityBadge, PrivacyStateBadge } from "~/modules/privacy/ui/badges";
import { formatDateTime } from "~/utils/format";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.request.reference ?? "Privacy request"} · Attest` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const parsed = PrivacyRequestIdSchema.safeParse(params);
  if (!parsed.success) throw notFound("That privacy request");
  return getPrivacyRequest(actor, parsed.data.requestId);
}

type ActionResult = { intent: string; notice: string | null; errors: Record<string, string[]> | null };

export async function action({ request, params }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  const parsed = PrivacyRequestIdSchema.safeParse(params);
  if (!parsed.success) throw notFound("That privacy request");
  // Settled before the form is read: a caller with no privacy role learns nothing from validation.
  if (!actor.ability.can("update", "PrivacyRequest") && !actor.ability.can("approve", "PrivacyRequest")) throw forbidden("update", "PrivacyRequest");
  const submission = parseWithZod(await request.formData(), { schema: PrivacyRequestActionSchema });
  const intent = String(submission.payload.intent ?? "");
  if (submission.status !== "success") {
    return data<ActionResult>({ intent, notice: null, errors: (submission.reply().error as Record<string, string[]>) ?? { "": ["Choose an action"] } }, { status: 400 });
  }
  try {
    const notice = await actOnPrivacyRequest(actor, parsed.data.requestId, submission.value);
    return data<ActionResult>({ intent, notice, errors: null });
  } catch (error) {
    if (error instanceof PrivacyRequestRefusedError) {
      return data<ActionResult>({ intent, notice: null, errors: { [error.field ?? ""]: [error.message] } }, { status: error.status });
    }
    throw error;
  }
}

const ActionContext = createContext<{ version: number; result: ActionResult | undefined; intent: string }>({ version: 0, result: undefined, intent: "" });

function errorsFor(result: ActionResult | undefined, intent: string, field: string) {
  return result && result.intent === intent ? result.errors?.[field] : undefined;
}

/** One workflow step: a form posting its intent and the version of the request it was shown. */
function StepForm({ intent, version, label, tone, children }: { intent: string; version: number; label: string; tone?: "danger" | "ghost"; children?: React.ReactNode }) {
  const { result } = useContext(ActionContext);
  const navigation = useNavigation();
  const isBusy = navigation.state !== "idle" && navigation.formData?.get("intent") === intent;
  const formError = errorsFor(result, intent, "");
  return (
    <ActionContext.Provider value={{ version, result, intent }}>
      <Form method="post" className="step-form" data-intent={intent}>
        <input type="hidden" name="intent" value={intent} />
        <input type="hidden" name="version" value={version} />
        {formError ? (
          <div className="alert alert--error" role="alert">
            {formError.join(" ")}
          </div>
        ) : null}
        {children}
        <button type="submit" className={`button${tone ? ` button--${tone}` : ""}`} disabled={isBusy}>
          {label}
        </button>
      </Form>
    </ActionContext.Provider>
  );
}

/** A labelled control inside a StepForm, with the server's error for that field. */
function StepField({ name, label, hint, children }: { name: string; label: string; hint?: string; children: (props: { id: string; name: string; "aria-invalid"?: true; "aria-describedby"?: string }) => React.ReactNode }) {
  const { result, intent } = useContext(ActionContext);
  const id = useId();
  const errors = errorsFor(result, intent, name);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, name, ...(errors ? { "aria-invalid": true as const, "aria-describedby": `${id}-error` } : {}) })}
      {hint ? <span className="hint">{hint}</span> : null}
      {errors ? (
        <span className="field-error" id={`${id}-error`} role="alert">
          {errors.join(" ")}
        </span>
      ) : null}
    </div>
  );
}

/** The DPOs and compliance officers of the request's region a request (or objection) can be routed to. */
function HandlerSelect({ handlers, ...props }: { handlers: { id: string; displayName: string; role: string }[]; defaultValue: string } & React.ComponentProps<"select">) {
  return (
    <select {...props}>
      <option value="">Choose…</option>
      {handlers.map((handler) => (
        <option key={handler.id} value={handler.id}>
          {handler.displayName} ({handler.role === "dpo" ? "DPO" : "compliance"})
        </option>
      ))}
    </select>
  );
}

function Facts({ items }: { items: [string, React.ReactNode][] }) {
  return (
    <dl className="facts">
      {items.map(([term, value]) => (
        <div key={term} style={{ display: "contents" }}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

const none = (text: string) => <span className="muted">{text}</span>;
/** Free text the server withheld from this role (it may contain personal data) shows as such. */
const freeText = (text: string, isWithheld: boolean) => (isWithheld ? <em className="muted">{text}</em> : text);
const rectifyLabels: Record<(typeof rectifiableFields)[number], string> = {
  fullName: "Name",
  email: "Email",
  phone: "Phone",
  dateOfBirth: "Date of birth",
  street: "Street",
  postalCode: "Postal code",
  city: "City",
  country: "Country (two letters)",
};

export default function PrivacyRequestRoute() {
  const view = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const { request, regime, customer, decision, notes, pauses, artefacts, duplicateOf, duplicates, permissions, handlers } = view;
  const version = request.version;
  const isPausedNow = pauses.some((pause) => pause.endedAt === null);
  return (
    <ActionContext.Provider value={{ version, result, intent: "" }}>
      <div className="page-header">
        <div>
          <p>
            <Link to="/privacy">Privacy requests</Link> /
          </p>
          <h1>
            {request.reference} <PrivacyStateBadge state={request.state} />
          </h1>
          <p>
            {request.type} request · {request.regionCode} · {regime.label}
          </p>
        </div>
      </div>

      {searchParams.get("created") && !result ? (
        <div className="alert alert--ok" role="status">
          Request logged. Due {request.dueDay} ({regime.timeZone}){request.clockStartedAt ? "" : ", provisionally: the clock starts when identity is confirmed"}.
          {duplicateOf ? ` It duplicates the open request ${duplicateOf.reference}.` : ""}
        </div>
      ) : null}
      {result?.notice ? (
        <div className="alert alert--ok" role="status">
          {result.notice}
        </div>
      ) : null}
      {result?.errors && result.errors[""] === undefined && Object.keys(result.errors).length > 0 ? (
        <div className="alert alert--error" role="alert">
          Not saved: {Object.values(result.errors).flat().join(" ")}
        </div>
      ) : null}
      {duplicateOf ? (
        <div className="alert alert--warn" data-testid="duplicate-alert">
          Possible duplicate of the open request <Link to={`/privacy/${duplicateOf.id}`}>{duplicateOf.reference}</Link> ({duplicateOf.state.replace(/_/g, " ")}).
          {request.identityState !== "verified" ? " Nothing can be approved or acted on until the requester's identity is verified." : ""}
        </div>
      ) : null}

      <div className="grid grid--2">
        <section className="card" aria-labelledby="request-title">
          <h2 id="request-title">Request</h2>
          <Facts
            items={[
              ["Type", request.type],
              ["Channel", request.channel.replace(/_/g, " ")],
              ["Received", `${request.receivedDay} (${formatDateTime(request.receivedAt)})`],
              [
                "Subject",
                customer ? (
                  customer.canOpen ? (
                    <Link to={`/customers/${customer.id}`}>{customer.reference}</Link>
                  ) : (
                    customer.reference
                  )
                ) : (
                  none("not matched to a customer yet")
                ),
              ],
              ...(customer?.isRestricted ? [["Processing", <span key="r" className="badge badge--warn">restricted</span>] as [string, React.ReactNode]] : []),
              ...(customer?.objectedAt ? [["Objection", `recorded ${formatDateTime(customer.objectedAt)}`] as [string, React.ReactNode]] : []),
              ...(decision
                ? [
                    [
                      "Contested decision",
                      decision.canOpen ? (
                        <Link key="d" to={`/decisions/${decision.id}`}>
                          <code>{decision.externalId}</code>
                        </Link>
                      ) : (
                        <code key="d">{decision.externalId}</code>
                      ),
                    ] as [string, React.ReactNode],
                  ]
                : []),
              ["Assignee", request.assigneeName ?? none("unassigned")],
              ["Contact details", request.hasRequesterContact ? "given at intake (kept with the request, not shown)" : none("none given")],
            ]}
          />
          {request.details ? (
            <>
              <h3 className="subhead">What they asked for</h3>
              <p className="note-body">{freeText(request.details, view.isFreeTextWithheld)}</p>
            </>
          ) : null}
          {duplicates.length > 0 ? (
            <p className="muted">
              Later requests flagged as duplicates of this one:{" "}
              {duplicates.map((duplicate, index) => (
                <span key={duplicate.id}>
                  {index > 0 ? ", " : ""}
                  <Link to={`/privacy/${duplicate.id}`}>{duplicate.reference}</Link>
                </span>
              ))}
            </p>
          ) : null}
          {!customer && permissions.update ? (
            <StepForm intent="matchCustomer" version={version} label="Match to customer" tone="ghost">
              <StepField name="customerReference" label="Customer reference">
                {(props) => <input type="text" {...props} autoComplete="off" />}
              </StepField>
            </StepForm>
          ) : null}
          {permissions.assign && handlers.length > 0 ? (
            <StepForm intent="assign" version={version} label="Assign" tone="ghost">
              <StepField name="assigneeId" label="Assign to">
                {(props) => <HandlerSelect {...props} handlers={handlers} defaultValue={request.assigneeId ?? ""} />}
              </StepField>
            </StepForm>
          ) : null}
        </section>

        <section className="card" aria-labelledby="clock-title">
          <h2 id="clock-title">Statutory clock</h2>
          <Facts
            items={[
              ["Regime", `${regime.label}: ${regime.period}${regime.clockStarts === "receipt" ? " from receipt" : " from the latest of receipt, identity information and fee"} (${regime.citation})`],
              ["Due-date rule", regime.dueDateRule],
              ["Clock started", request.clockStartedAt ? formatDateTime(request.clockStartedAt) : none("not yet: waits for confirmed identity")],
              ...(request.identityInformationReceivedAt ? [["Identity information arrived", formatDateTime(request.identityInformationReceivedAt)] as [string, React.ReactNode]] : []),
              ...(request.feeReceivedAt ? [["Fee arrived", formatDateTime(request.feeReceivedAt)] as [string, React.ReactNode]] : []),
              ...(request.identityVerifiedAt ? [["Identity checked", formatDateTime(request.identityVerifiedAt)] as [string, React.ReactNode]] : []),
              ["Due", <span key="due">{request.originalDueDay} <span className="muted">end of day, {regime.timeZone}</span></span>],
              ["Extended to", request.extendedDueAt ? request.dueDay : none(regime.extension ? "not extended" : "this regime allows no extension")],
              ...(request.extensionReason ? [["Extension reason", freeText(request.extensionReason, view.isFreeTextWithheld)] as [string, React.ReactNode]] : []),
              ...(request.extensionNotifiedAt ? [["Requester told", formatDateTime(request.extensionNotifiedAt)] as [string, React.ReactNode]] : []),
              ["Time left", <DaysLeftBadge key="left" band={request.band} daysLeft={request.daysLeft} />],
              ["Completed", request.completedAt ? `${formatDateTime(request.completedAt)}${request.completedByName ? ` by ${request.completedByName}` : ""}` : none("—")],
            ]}
          />
          {pauses.length > 0 ? (
            <>
              <h3 className="subhead">Clock pauses</h3>
              <ul className="list">
                {pauses.map((pause) => (
                  <li key={pause.id}>
                    <span>
                      {formatDateTime(pause.startedAt)} → {pause.endedAt ? formatDateTime(pause.endedAt) : "still paused"} · {freeText(pause.reason, view.isFreeTextWithheld)} · {pause.startedByName}
                    </span>
                    <span className="badge">{pause.days} {pause.days === 1 ? "day" : "days"}</span>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {permissions.extend && regime.extension && !request.extendedDueAt && request.clockStartedAt ? (
            <details className="step">
              <summary>Extend the deadline</summary>
              <StepForm intent="extend" version={version} label="Extend deadline">
                <StepField name="extendBy" label={`Extend by (${regime.extension.unit}, at most ${regime.extension.maxAmount})`}>
                  {(props) => <input type="number" min={1} max={regime.extension!.maxAmount} defaultValue={regime.extension!.maxAmount} {...props} />}
                </StepField>
                <StepField name="reason" label="Reason (told to the requester)">
                  {(props) => <textarea rows={3} {...props} />}
                </StepField>
                <StepField name="notifiedOn" label="Day the requester was told" hint={`Must be on or before ${request.originalDueDay}, the end of the first period.`}>
                  {(props) => <input type="date" {...props} />}
                </StepField>
              </StepForm>
            </details>
          ) : null}
          {permissions.update && regime.pausesForClarification && request.clockStartedAt && !isPausedNow && !request.pendingAction ? (
            <details className="step">
              <summary>Pause the clock to clarify the scope</summary>
              <StepForm intent="pause" version={version} label="Pause clock" tone="ghost">
                <StepField name="reason" label="What was asked of the requester">
                  {(props) => <textarea rows={2} {...props} />}
                </StepField>
              </StepForm>
            </details>
          ) : null}
          {permissions.update && isPausedNow ? <StepForm intent="resume" version={version} label="Requester answered: resume the clock" /> : null}
        </section>
      </div>

      <div className="grid grid--2 section">
        <section className="card" aria-labelledby="identity-title">
          <h2 id="identity-title">
            Identity <IdentityBadge state={request.identityState} />
          </h2>
          {request.identityEvidence ? <IdentityEvidence evidence={request.identityEvidence as Record<string, unknown>} /> : <p className="empty">No identity check recorded yet.</p>}
          {permissions.verifyIdentity && request.identityState !== "verified" ? (
            <>
              {request.identityState === "unverified" ? <StepForm intent="requestIdentity" version={version} label="Ask the requester to confirm identity" tone="ghost" /> : null}
              <details className="step" open={request.identityState === "pending"}>
                <summary>Record an identity check</summary>
                <StepForm intent="verifyIdentity" version={version} label="Record identity check">
                  <StepField name="method" label="How identity was checked">
                    {(props) => (
                      <select {...props} defaultValue="">
                        <option value="">Choose…</option>
                        {Object.entries(identityMethods).map(([value, label]) => (
                          <option key={value} value={value}>
                            {label}
                          </option>
                        ))}
                      </select>
                    )}
                  </StepField>
                  <ChecksField />
                  <StepField name="result" label="Result">
                    {(props) => (
                      <select {...props} defaultValue="">
                        <option value="">Choose…</option>
                        <option value="verified">Verified: the requester is the customer</option>
                        <option value="failed">Failed: identity could not be confirmed</option>
                      </select>
                    )}
                  </StepField>
                  <StepField name="informationReceivedOn" label="Day the identity information arrived" hint={regime.clockStarts === "receipt" ? "Optional: recorded with the check." : "The clock runs from the latest of receipt, this day and any fee (UK GDPR Art. 12A); left empty, from receipt."}>
                    {(props) => <input type="date" {...props} />}
                  </StepField>
                  {regime.clockStarts === "receipt" ? null : (
                    <StepField name="feeReceivedOn" label="Day the fee arrived (only if a fee was charged)">
                      {(props) => <input type="date" {...props} />}
                    </StepField>
                  )}
                  <p className="hint muted">Proportionate checks only. Record what was checked; never upload or keep copies of documents.</p>
                </StepForm>
              </details>
            </>
          ) : null}
        </section>

        <SubjectRights view={view} />
      </div>

      <FourEyes view={view} />

      {request.type === "erasure" || request.type === "access" || request.type === "portability" || artefacts.length > 0 ? (
        <section className="card section" aria-labelledby="artefacts-title">
          <div className="section-header">
            <h2 id="artefacts-title">Files</h2>
            {request.type === "erasure" ? <Link to={`/privacy/${request.id}/erasure`}>Erasure plan</Link> : null}
            {request.type === "access" || request.type === "portability" ? <Link to={`/privacy/${request.id}/access-export`}>Access export</Link> : null}
          </div>
          {artefacts.length === 0 ? (
            <p className="empty">No signed export or certificate yet.</p>
          ) : (
            <div className="table-scroll">
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">Kind</th>
                    <th scope="col">File</th>
                    <th scope="col">SHA-256</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {artefacts.map((artefact) => (
                    <tr key={artefact.id}>
                      <td>{artefact.kind.replace(/_/g, " ")}</td>
                      <td>
                        <a href={`/privacy/${request.id}/artefacts/${artefact.id}`} download>
                          {artefact.fileName}
                        </a>{" "}
                        ·{" "}
                        <a href={`/privacy/${request.id}/artefacts/${artefact.id}?part=signature`} download aria-label={`Signature of ${artefact.fileName}`}>
                          .asc
                        </a>
                      </td>
                      <td>
                        <code className="hash">{artefact.sha256}</code>
                      </td>
                      <td>{formatDateTime(artefact.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      ) : null}

      <section className="card section" aria-labelledby="notes-title">
        <h2 id="notes-title">Notes</h2>
        {notes.length === 0 ? (
          <p className="empty">No notes yet.</p>
        ) : (
          <ol className="notes">
            {notes.map((note) => (
              <li key={note.id}>
                <p className="note-meta">
                  {note.authorName} · {formatDateTime(note.createdAt)}
                </p>
                <p className="note-body">{freeText(note.body, view.isFreeTextWithheld)}</p>
              </li>
            ))}
          </ol>
        )}
        {permissions.note ? (
          <StepForm intent="note" version={version} label="Add note" tone="ghost">
            <StepField name="body" label="Note">
              {(props) => <textarea rows={2} {...props} />}
            </StepField>
          </StepForm>
        ) : null}
        <p className="muted">The subject&apos;s personal data is shown on the customer page only, masked unless your role may read it.</p>
      </section>
    </ActionContext.Provider>
  );
}

function ChecksField() {
  const { result, intent } = useContext(ActionContext);
  const errors = errorsFor(result, intent, "checks");
  return (
    <fieldset aria-describedby={errors ? "checks-error" : undefined}>
      <legend>What was checked</legend>
      <div className="checkbox-row">
        {Object.entries(identityChecks).map(([value, label]) => (
          <label key={value}>
            <input type="checkbox" name="checks" value={value} /> {label}
          </label>
        ))}
      </div>
      {errors ? (
        <span className="field-error" id="checks-error" role="alert">
          {errors.join(" ")}
        </span>
      ) : null}
    </fieldset>
  );
}

function IdentityEvidence({ evidence }: { evidence: Record<string, unknown> }) {
  const method = typeof evidence.method === "string" ? (identityMethods[evidence.method as keyof typeof identityMethods] ?? evidence.method) : "—";
  const checks = Array.isArray(evidence.checks) ? (evidence.checks as string[]) : [];
  return (
    <Facts
      items={[
        ["Method", method],
        ["Checks", checks.length > 0 ? checks.map((check) => identityChecks[check as keyof typeof identityChecks] ?? check).join("; ") : none("—")],
        ["Result", String(evidence.result ?? "—")],
        ["Checked by", `${String(evidence.checkedBy ?? "—")}${typeof evidence.checkedAt === "string" ? ` · ${formatDateTime(evidence.checkedAt)}` : ""}`],
        ["Documents kept", evidence.documentsKept === false ? "none (checks recorded only)" : none("not recorded")],
      ]}
    />
  );
}

function SubjectRights({ view }: { view: ReturnType<typeof useLoaderData<typeof loader>> }) {
  const { request, customer, permissions, handlers } = view;
  const version = request.version;
  const isVerified = request.identityState === "verified";
  const canAct = customer && isVerified && !request.pendingAction;
  return (
    <section className="card" aria-labelledby="rights-title">
      <h2 id="rights-title">Answer the request</h2>
      {!customer ? <p className="empty">Match the request to a customer first.</p> : !isVerified ? <p className="empty">Verify the requester&apos;s identity first.</p> : null}
      {request.type === "rectification" && canAct && permissions.rectify ? (
        <details className="step">
          <summary>Rectify personal data</summary>
          <p className="muted">Fill in only the values the customer asked to correct. The previous values are kept only in the audit ledger, encrypted under the customer&apos;s key.</p>
          <StepForm intent="rectify" version={version} label="Save corrections">
            <div className="grid grid--2">
              {rectifiableFields.map((field) => (
                <StepField key={field} name={field} label={rectifyLabels[field]}>
                  {(props) => <input type={field === "dateOfBirth" ? "date" : field === "email" ? "email" : "text"} {...props} autoComplete="off" />}
                </StepField>
              ))}
            </div>
          </StepForm>
        </details>
      ) : null}
      {request.type === "restriction" && customer && permissions.restrict ? (
        customer.isRestricted ? (
          <details className="step">
            <summary>Lift the restriction</summary>
            <StepForm intent="liftRestriction" version={version} label="Lift restriction" tone="danger">
              <StepField name="reason" label="Why it is lifted (the customer is told first, GDPR Art. 18(3))">
                {(props) => <textarea rows={2} {...props} />}
              </StepField>
            </StepForm>
          </details>
        ) : canAct ? (
          <StepForm intent="restrict" version={version} label="Restrict processing">
            <StepField name="reason" label="Ground for restriction (GDPR Art. 18(1))">
              {(props) => <textarea rows={2} {...props} />}
            </StepField>
          </StepForm>
        ) : null
      ) : null}
      {request.type === "objection" && canAct && permissions.update ? (
        <StepForm intent="recordObjection" version={version} label="Record and route objection">
          <StepField name="grounds" label="Grounds the customer gave">
            {(props) => <textarea rows={2} {...props} />}
          </StepField>
          <StepField name="routeToId" label="Route to">
            {(props) => <HandlerSelect {...props} handlers={handlers} defaultValue="" />}
          </StepField>
        </StepForm>
      ) : null}
      {["rectification", "restriction", "objection"].includes(request.type) && canAct && permissions.complete ? (
        <details className="step">
          <summary>Complete the request</summary>
          <StepForm intent="complete" version={version} label="Mark completed">
            <StepField name="note" label="How the request was answered">
              {(props) => <textarea rows={2} {...props} />}
            </StepField>
          </StepForm>
        </details>
      ) : null}
      {request.type === "contest" ? <ContestAnswer view={view} /> : null}
      {request.type === "erasure" ? (
        <p className="muted">
          Erasure is planned, approved by a second person and executed on the erasure plan. <Link to={`/privacy/${request.id}/erasure`}>Open the erasure plan</Link>
        </p>
      ) : null}
      {request.type === "access" || request.type === "portability" ? (
        <p className="muted">
          Access and portability are answered with the signed access export. <Link to={`/privacy/${request.id}/access-export`}>Open the access export</Link>
        </p>
      ) : null}
      {request.state === "refused" ? (
        <>
          <h3 className="subhead">Refused</h3>
          <p className="note-body">{request.refusalReason ? freeText(request.refusalReason, view.isFreeTextWithheld) : null}</p>
          <p className="muted">{request.complaintRightNotice}</p>
        </>
      ) : null}
    </section>
  );
}

/** A contest is answered by the human review of its decision; closing that review completes it. */
function ContestAnswer({ view }: { view: ReturnType<typeof useLoaderData<typeof loader>> }) {
  const { contestReview: review, decision } = view;
  if (!review || !decision) return <p className="empty">No review of a decision is linked to this contest.</p>;
  if (review.status !== "closed") {
    return (
      <p className="muted">
        Answered by the priority review of decision{" "}
        {decision.canOpen ? (
          <Link to={`/decisions/${decision.id}`}>
            <code>{decision.externalId}</code>
          </Link>
        ) : (
          <code>{decision.externalId}</code>
        )}{" "}
        (now {review.status.replace(/_/g, " ")}). The request completes when that review closes.
      </p>
    );
  }
  const noticeUrl = `/decisions/${decision.id}/notice?kind=review_outcome`;
  return (
    <div data-testid="contest-outcome">
      <p>
        Review closed{review.closedAt ? ` ${formatDateTime(review.closedAt)}` : ""}:{" "}
        <span className={`badge ${review.verdict === "overturned" ? "badge--danger" : "badge--ok"}`}>{review.verdict ?? "no verdict"}</span>{" "}
        {review.verdict === "overturned" ? "the decision was changed in the customer's favour." : "the automated decision stands."}
      </p>
      {decision.canGenerateNotice ? (
        <p>
          Review-outcome notice for the customer:{" "}
          <a href={noticeUrl} target="_blank" rel="noreferrer">
            printable page
          </a>{" "}
          · <a href={`${noticeUrl}&format=pdf`}>PDF</a>
        </p>
      ) : (
        <p className="muted">The review-outcome notice is generated by someone with export on the decision.</p>
      )}
    </div>
  );
}

function FourEyes({ view }: { view: ReturnType<typeof useLoaderData<typeof loader>> }) {
  const { request, permissions, viewerId, regime } = view;
  const version = request.version;
  if (request.pendingAction === "refusal") {
    const isProposer = request.approvalRequestedById === viewerId;
    return (
      <section className="card section" aria-labelledby="refusal-title">
        <h2 id="refusal-title">Refusal waiting for a second DPO</h2>
        <p>
          <strong>{request.approvalRequestedByName}</strong> proposed on {request.approvalRequestedAt ? formatDateTime(request.approvalRequestedAt) : "—"} to refuse:
        </p>
        <p className="note-body">{view.isFreeTextWithheld ? freeText(request.refusalReason ?? "", true) : `“${request.refusalReason}”`}</p>
        <p className="muted">On approval the requester is told the reason and their right to complain to {regime.authority.name}.</p>
        {isProposer ? (
          <p className="muted">You proposed this refusal: a second DPO must approve or reject it.</p>
        ) : permissions.approve ? (
          <div className="grid grid--2">
            <StepForm intent="approveRefusal" version={version} label="Approve refusal" tone="danger" />
            <StepForm intent="rejectRefusal" version={version} label="Reject refusal" tone="ghost">
              <StepField name="reason" label="Why the refusal is not approved">
                {(props) => <textarea rows={2} {...props} />}
              </StepField>
            </StepForm>
          </div>
        ) : null}
      </section>
    );
  }
  if (!permissions.refuse || request.pendingAction) return null;
  return (
    <section className="card section" aria-labelledby="refuse-title">
      <details className="step">
        <summary id="refuse-title">Propose a refusal</summary>
        <p className="muted">
          A refusal needs a reason and a second DPO&apos;s approval. The requester is then told the reason and their right to complain to {regime.authority.name}.
        </p>
        <StepForm intent="proposeRefusal" version={version} label="Propose refusal" tone="danger">
          <StepField name="reason" label="Reason for refusal">
            {(props) => <textarea rows={3} {...props} />}
          </StepField>
        </StepForm>
      </details>
    </section>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
