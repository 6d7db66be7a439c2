import { parseWithZod } from "@conform-to/zod";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { ErrorPage } from "~/components/error-page";
import { notFound, requireActor, requirePermission } from "~/modules/access/actor.server";
import { ContestRefusedError, contestDecisionAsStaff } from "~/modules/decisions/contest.server";
import { getDecision } from "~/modules/decisions/decisions.server";
import {
  ReviewRefusedError,
  approveReview,
  claimReview,
  decideReview,
  escalateReview,
  rejectReviewApproval,
  releaseReview,
} from "~/modules/decisions/review.server";
import {
  ApproveReviewSchema,
  ClaimReviewSchema,
  ContestSchema,
  DecideReviewSchema,
  DecisionIdSchema,
  EscalateReviewSchema,
  RejectReviewApprovalSchema,
  ReleaseReviewSchema,
  contestChannels,
  verdictReasons,
} from "~/modules/decisions/schema";
import { OutcomeBadge, ReviewStateBadge, ReviewStatusBadge, SlaBadge } from "~/modules/decisions/ui/badges";
import { formatDateTime, formatMoney } from "~/utils/format";
import { FormErrors, FormNotice } from "~/components/forms/field";

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: `${loaded?.decision.externalId ?? "Decision"} · Decisions · Attest` },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const parsed = DecisionIdSchema.safeParse(params);
  if (!parsed.success) throw notFound("That decision");
  return getDecision(actor, parsed.data.decisionId);
}

// One form per step of the review workflow (review.server.ts), plus the staff contest form.
const ActionSchema = z.discriminatedUnion("intent", [
  ClaimReviewSchema.extend({ intent: z.literal("claim") }),
  ReleaseReviewSchema.extend({ intent: z.literal("release") }),
  DecideReviewSchema.extend({ intent: z.literal("decide") }),
  ApproveReviewSchema.extend({ intent: z.literal("approve") }),
  RejectReviewApprovalSchema.extend({ intent: z.literal("reject") }),
  EscalateReviewSchema.extend({ intent: z.literal("escalate") }),
  ContestSchema.omit({ receivedAt: true }).extend({ intent: z.literal("contest") }),
]);

const doneMessage = {
  claim: "You hold this review now; others see that you are working on it.",
  release: "The review is back in the queue.",
  approve: "Overturn approved: the review is closed and the decision is recorded as overturned.",
  reject: "The proposed overturn was sent back to its reviewer.",
  escalate: "The review was escalated; leads see it in the escalation view.",
} as const;

export async function action({ request, params }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  // Who may act here is settled before the form is read; each step then checks the record itself.
  requirePermission(actor, "read", "Decision");
  const parsed = DecisionIdSchema.safeParse(params);
  if (!parsed.success) throw notFound("That decision");
  const submission = parseWithZod(await request.formData(), { schema: ActionSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), notice: null }, { status: 400 });
  const input = submission.value;
  try {
    switch (input.intent) {
      case "claim":
        await claimReview(actor, input);
        break;
      case "release":
        await releaseReview(actor, input);
        break;
      case "decide": {
        const outcome = await decideReview(actor, input);
        const notice =
          outcome.status === "awaiting_approval"
            ? "Overturn proposed. A second person with the approve permission must confirm it (four-eyes)."
            : `Review closed: decision ${outcome.verdict}.`;
        return { result: submission.reply({ resetForm: true }), notice };
      }
      case "approve":
        await approveReview(actor, input);
        break;
      case "reject":
        await rejectReviewApproval(actor, input);
        break;
      case "escalate":
        await escalateReview(actor, input);
        break;
      case "contest": {
        const contest = await contestDecisionAsStaff(actor, parsed.data.decisionId, { details: input.details, channel: input.channel });
        return {
          result: submission.reply({ resetForm: true }),
          notice: contest.isAttachedToOpenReview
            ? `Contest ${contest.reference} recorded; it joins the review already open for this decision, now at the top of the queue.`
            : `Contest ${contest.reference} recorded; a priority review is at the top of the queue.`,
        };
      }
    }
    return { result: submission.reply({ resetForm: true }), notice: doneMessage[input.intent] };
  } catch (error) {
    if (error instanceof ReviewRefusedError || error instanceof ContestRefusedError) {
      return data({ result: submission.reply({ formErrors: [error.message] }), notice: null }, { status: 409 });
    }
    throw error;
  }
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>;
type ReviewItem = NonNullable<LoaderData["reviews"]>[number];

function FieldError({ errors, id }: { errors?: string[] | null; id: string }) {
  if (!errors || errors.length === 0) return null;
  return (
    <span className="field-error" id={id} role="alert">
      {errors.join(" ")}
    </span>
  );
}

function ReviewHidden({ review }: { review: ReviewItem }) {
  return (
    <>
      <input type="hidden" name="reviewId" value={review.id} />
      <input type="hidden" name="version" value={review.version} />
    </>
  );
}

function ReviewWork({ review, errors }: { review: ReviewItem; errors: Record<string, string[] | null> | undefined }) {
  const navigation = useNavigation();
  const isBusy = navigation.state !== "idle";
  const prefix = `review-${review.id}`;
  return (
    <div className="review-work">
      {review.status === "claimed" && !review.canDecide ? (
        <p className="alert alert--info">
          <strong>{review.claimedBy?.displayName ?? "Someone"}</strong> is working on this review (claimed {review.claimedAt ? formatDateTime(review.claimedAt) : ""}).
        </p>
      ) : null}
      {review.approvalRejectedReason && review.status === "claimed" ? (
        <p className="alert alert--warn">Sent back by the second approver: “{review.approvalRejectedReason}”</p>
      ) : null}
      <div className="actions">
        {review.canClaim ? (
          <Form method="post">
            <ReviewHidden review={review} />
            <button className="button" name="intent" value="claim" disabled={isBusy}>
              Claim to work
            </button>
          </Form>
        ) : null}
        {review.canRelease ? (
          <Form method="post">
            <ReviewHidden review={review} />
            <button className="button button--ghost" name="intent" value="release" disabled={isBusy}>
              Release to the queue
            </button>
          </Form>
        ) : null}
      </div>
      {review.canDecide ? (
        <Form method="post" className="review-form" aria-label="Decide this review">
          <ReviewHidden review={review} />
          <fieldset className="field">
            <legend>Verdict</legend>
            <label>
              <input type="radio" name="verdict" value="upheld" /> Uphold the automated decision
            </label>
            <label>
              <input type="radio" name="verdict" value="overturned" /> Overturn it
            </label>
            <FieldError errors={errors?.verdict} id={`${prefix}-verdict-error`} />
          </fieldset>
          <div className="field">
            <label htmlFor={`${prefix}-reason`}>Reason</label>
            <select id={`${prefix}-reason`} name="reason" defaultValue="" aria-invalid={errors?.reason ? true : undefined}>
              <option value="">Choose…</option>
              {Object.entries(verdictReasons).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
            <FieldError errors={errors?.reason} id={`${prefix}-reason-error`} />
          </div>
          <div className="field">
            <label htmlFor={`${prefix}-justification`}>Justification</label>
            <textarea id={`${prefix}-justification`} name="justification" rows={3} aria-invalid={errors?.justification ? true : undefined} />
            <span className="hint">What you checked and why. Recorded in the signed audit ledger.</span>
            <FieldError errors={errors?.justification} id={`${prefix}-justification-error`} />
          </div>
          <button className="button" name="intent" value="decide" disabled={isBusy}>
            Record verdict
          </button>
        </Form>
      ) : null}
      {review.status === "awaiting_approval" ? (
        <div className="approval">
          <p>
            <strong>{review.reviewer?.displayName ?? "The reviewer"}</strong> proposes to <strong>overturn</strong> this decision ({verdictReasons[review.verdictReason as keyof typeof verdictReasons] ?? review.verdictReason}): “{review.justification}”
          </p>
          {review.isOwnProposal ? <p className="muted">A second person with the approve permission must confirm your proposal (four-eyes).</p> : null}
          {review.canApprove ? (
            <div className="grid grid--2">
              <Form method="post" aria-label="Approve the overturn">
                <ReviewHidden review={review} />
                <div className="field">
                  <label htmlFor={`${prefix}-approve-note`}>Note (optional)</label>
                  <textarea id={`${prefix}-approve-note`} name="justification" rows={2} />
                </div>
                <button className="button" name="intent" value="approve" disabled={isBusy}>
                  Approve overturn
                </button>
              </Form>
              <Form method="post" aria-label="Send the overturn back">
                <ReviewHidden review={review} />
                <div className="field">
                  <label htmlFor={`${prefix}-reject-reason`}>Reason for sending it back</label>
                  <textarea id={`${prefix}-reject-reason`} name="reason" rows={2} aria-invalid={errors?.reason ? true : undefined} />
                  <FieldError errors={errors?.reason} id={`${prefix}-reject-error`} />
                </div>
                <button className="button button--ghost" name="intent" value="reject" disabled={isBusy}>
                  Send back to reviewer
                </button>
              </Form>
            </div>
          ) : null}
        </div>
      ) : null}
      {review.canEscalate ? (
        <details className="escalate">
          <summary>Escalate to a lead</summary>
          <Form method="post" aria-label="Escalate this review">
            <ReviewHidden review={review} />
            <div className="field">
              <label htmlFor={`${prefix}-escalate-reason`}>Why does a lead need to look?</label>
              <textarea id={`${prefix}-escalate-reason`} name="reason" rows={2} />
            </div>
            <button className="button button--ghost" name="intent" value="escalate" disabled={isBusy}>
              Escalate
            </button>
          </Form>
        </details>
      ) : null}
    </div>
  );
}

export default function DecisionRoute() {
  const { decision, customer, ruleSetVersion, reasons, features, reviews, repayments, otherDecisions, fraudOutcomes, auditEvents, notices, viewer } =
    useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.result?.error as Record<string, string[] | null> | undefined;
  const formErrors = errors?.[""];
  return (
    <>
      <div className="page-header">
        <div>
          <p>
            <Link to="/decisions">Decisions</Link> /
          </p>
          <h1>
            <code>{decision.externalId}</code> <OutcomeBadge outcome={decision.outcome} />
          </h1>
          <p>
            {decision.kind} decision · {decision.regionCode} · {formatDateTime(decision.decidedAt)}
          </p>
        </div>
        <Link className="button button--ghost" to={`/decisions/oversight?region=${decision.regionCode}`}>
          Oversight metrics
        </Link>
      </div>
      <FormNotice notice={actionData?.notice} />
      <FormErrors errors={formErrors} />

      <div className="grid grid--2">
        <section className="card" aria-labelledby="facts-title">
          <h2 id="facts-title">Decision</h2>
          <dl className="facts">
            <dt>Outcome</dt>
            <dd>
              <OutcomeBadge outcome={decision.outcome} />
            </dd>
            <dt>Score</dt>
            <dd className="num-inline">{decision.score.toFixed(4)}</dd>
            <dt>Amount</dt>
            <dd>{formatMoney(decision.amount, decision.currency)}</dd>
            <dt>Model</dt>
            <dd>
              <Link to={`/decisions?model=${encodeURIComponent(`${decision.modelName}@${decision.modelVersion}`)}`} title="Decisions made with this model version">
                {decision.modelName} <span className="muted">version {decision.modelVersion}</span>
              </Link>
            </dd>
            <dt>Rule-set version</dt>
            <dd>
              {ruleSetVersion ? (
                ruleSetVersion.canOpen ? (
                  <Link to={`/rulesets/${ruleSetVersion.id}`}>
                    {ruleSetVersion.regionCode} v{ruleSetVersion.version}
                  </Link>
                ) : (
                  `${ruleSetVersion.regionCode} v${ruleSetVersion.version}`
                )
              ) : (
                <span className="muted">not recorded</span>
              )}
            </dd>
            <dt>Customer</dt>
            <dd>
              {customer.canOpen ? <Link to={`/customers/${customer.id}`}>{customer.reference}</Link> : customer.reference}
              {customer.isProcessingRestricted ? (
                <>
                  {" "}
                  <span className="badge badge--warn" title="GDPR Art. 18: the customer's data is stored but not used beyond this decision record">
                    processing restricted
                  </span>
                </>
              ) : null}
            </dd>
            <dt>Review state</dt>
            <dd>
              <ReviewStateBadge state={decision.reviewState} />
            </dd>
            <dt>Decided</dt>
            <dd>{formatDateTime(decision.decidedAt)}</dd>
            <dt>Ingested</dt>
            <dd>{formatDateTime(decision.ingestedAt)}</dd>
          </dl>
        </section>

        <section className="card" aria-labelledby="features-title">
          <h2 id="features-title">Input features, as the model saw them</h2>
          {features.length === 0 ? (
            <p className="empty">No features were recorded.</p>
          ) : (
            <table className="data kv">
              <tbody>
                {features.map((feature) => (
                  <tr key={feature.name}>
                    <th scope="row">
                      <code>{feature.name}</code>
                    </th>
                    <td className="num">{feature.value}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>

      <section className="card section" aria-labelledby="reasons-title">
        <h2 id="reasons-title">Reason codes</h2>
        {reasons.length === 0 ? (
          <p className="empty">The decision engine attached no reason codes (usual for approvals).</p>
        ) : (
          <div className="table-scroll">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    #
                  </th>
                  <th scope="col">Code</th>
                  <th scope="col" className="num">
                    Contribution
                  </th>
                  <th scope="col">Category</th>
                  <th scope="col">Meaning (catalogue)</th>
                  <th scope="col">Customer-facing text</th>
                </tr>
              </thead>
              <tbody>
                {reasons.map((reason) => (
                  <tr key={reason.position}>
                    <td className="num">{reason.position}</td>
                    <td>
                      <code>{reason.code}</code>
                      {reason.position === 1 ? <span className="badge badge--info principal">principal</span> : null}
                    </td>
                    <td className="num">{reason.contribution.toFixed(3)}</td>
                    <td>{reason.category?.replace(/_/g, " ") ?? <span className="muted">—</span>}</td>
                    <td className="wrap">
                      {reason.description ?? <span className="badge badge--danger">not in the catalogue</span>}
                    </td>
                    <td className="wrap">
                      {reason.isDisclosable === false ? <span className="badge badge--muted">not disclosed · neutral text</span> : null} {reason.customerText ?? <span className="muted">—</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="card section" aria-labelledby="reviews-title">
        <h2 id="reviews-title">Reviews</h2>
        {reviews === null ? (
          <p className="muted">Your role does not include reading reviews.</p>
        ) : reviews.length === 0 ? (
          <p className="empty">No human has reviewed this decision.</p>
        ) : (
          reviews.map((review) => (
            <article key={review.id} className="review-item" aria-label={`${review.trigger === "contest" ? "customer contest" : review.trigger.replace(/_/g, " ")} review`}>
              <div className="section-header">
                <h3>
                  {review.trigger === "contest" ? <span className="badge badge--info">customer contest</span> : review.trigger.replace(/_/g, " ")} review{" "}
                  {review.trigger !== "contest" && review.contest ? <span className="badge badge--info">answers a customer contest</span> : null}{" "}
                  <ReviewStatusBadge status={review.status} /> {review.escalatedAt ? <span className="badge badge--danger">escalated</span> : null}
                </h3>
                <SlaBadge band={review.slaBand} hoursLeft={review.hoursLeft} />
              </div>
              <dl className="facts">
                <dt>Opened</dt>
                <dd>
                  {formatDateTime(review.openedAt)} · due {formatDateTime(review.dueAt)} · priority {review.priority}
                </dd>
                {review.assignee ? (
                  <>
                    <dt>Assigned to</dt>
                    <dd>{review.assignee.displayName}</dd>
                  </>
                ) : null}
                {review.claimedBy ? (
                  <>
                    <dt>Claimed by</dt>
                    <dd>
                      {review.claimedBy.displayName} {review.claimedAt ? <span className="muted">since {formatDateTime(review.claimedAt)}</span> : null}
                    </dd>
                  </>
                ) : null}
                {review.contest ? (
                  <>
                    <dt>Contest</dt>
                    <dd>
                      {review.contest.canOpen ? <Link to={`/privacy/${review.contest.id}`}>{review.contest.reference}</Link> : review.contest.reference} ·{" "}
                      {review.contest.channel.replace(/_/g, " ")} · received {formatDateTime(review.contest.receivedAt)} · answer due {formatDateTime(review.contest.dueAt)}
                    </dd>
                    <dt>Customer's view</dt>
                    <dd className="wrap">
                      {review.contest.details ?? (
                        <span className="muted">
                          {review.contest.withheldBecause === "restricted"
                            ? "withheld: the customer restricted processing (GDPR Art. 18); the DPO can read it"
                            : review.contest.withheldBecause === "personal_data"
                              ? "withheld — may contain personal data (the DPO can read it)"
                              : "not recorded at intake"}
                        </span>
                      )}
                    </dd>
                  </>
                ) : null}
                {review.verdict ? (
                  <>
                    <dt>{review.status === "awaiting_approval" ? "Proposed verdict" : "Verdict"}</dt>
                    <dd>
                      <span className={`badge ${review.verdict === "overturned" ? "badge--danger" : "badge--ok"}`}>{review.verdict}</span>{" "}
                      {verdictReasons[review.verdictReason as keyof typeof verdictReasons] ?? review.verdictReason} · by {review.reviewer?.displayName ?? "—"}
                      {review.decidedAt ? ` on ${formatDateTime(review.decidedAt)}` : ""}
                    </dd>
                    <dt>Justification</dt>
                    <dd className="wrap">{review.justification ?? (review.isReviewTextWithheld ? <span className="muted">withheld — may contain personal data</span> : "—")}</dd>
                  </>
                ) : null}
                {review.approver ? (
                  <>
                    <dt>Second approver</dt>
                    <dd>
                      {review.approver.displayName} {review.approvedAt ? <span className="muted">on {formatDateTime(review.approvedAt)}</span> : null}
                    </dd>
                  </>
                ) : null}
              </dl>
              {review.status !== "closed" ? <ReviewWork review={review} errors={errors} /> : null}
            </article>
          ))
        )}
      </section>

      <div className="grid grid--2 section">
        <section className="card" aria-labelledby="notices-title">
          <h2 id="notices-title">Customer notices</h2>
          <p className="muted">Generated in the region's language from the principal disclosable reasons, with the statements the region's regulators require. Each generation is recorded and audited.</p>
          {viewer.canGenerateNotice ? (
            <ul className="notice-links">
              <li>
                {viewer.noticeAvailability.adverse_action ? (
                  <span className="muted">Adverse-action notice: {viewer.noticeAvailability.adverse_action}</span>
                ) : (
                  <>
                    Adverse-action / explanation notice:{" "}
                    <a href={`/decisions/${decision.id}/notice?kind=adverse_action`} target="_blank" rel="noreferrer">
                      printable page
                    </a>{" "}
                    · <a href={`/decisions/${decision.id}/notice?kind=adverse_action&format=pdf`}>PDF</a>
                  </>
                )}
              </li>
              <li>
                {viewer.noticeAvailability.review_outcome ? (
                  <span className="muted">Review-outcome notice: {viewer.noticeAvailability.review_outcome}</span>
                ) : (
                  <>
                    Outcome of the human review:{" "}
                    <a href={`/decisions/${decision.id}/notice?kind=review_outcome`} target="_blank" rel="noreferrer">
                      printable page
                    </a>{" "}
                    · <a href={`/decisions/${decision.id}/notice?kind=review_outcome&format=pdf`}>PDF</a>
                  </>
                )}
              </li>
            </ul>
          ) : (
            <p className="muted">Your role does not include generating notices (notify Decision).</p>
          )}
          {notices.length > 0 ? (
            <table className="data">
              <caption className="muted">Notices generated</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Notice</th>
                  <th scope="col">Language</th>
                  <th scope="col">Reasons</th>
                  <th scope="col">By</th>
                  <th scope="col">SHA-256</th>
                </tr>
              </thead>
              <tbody>
                {notices.map((notice) => (
                  <tr key={notice.id}>
                    <td>{formatDateTime(notice.generatedAt)}</td>
                    <td>{notice.kind === "review_outcome" ? "review outcome" : "adverse action"}</td>
                    <td>{notice.locale}</td>
                    <td>{notice.reasonCodes.length > 0 ? notice.reasonCodes.join(", ") : <span className="muted">—</span>}</td>
                    <td>{notice.generatedBy ?? "—"}</td>
                    <td>
                      <code title={notice.contentSha256}>{notice.contentSha256.slice(0, 12)}…</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </section>

        <section className="card" aria-labelledby="contest-title">
          <h2 id="contest-title">Record a customer's contest</h2>
          {viewer.openContest ? (
            <p>
              The customer's contest <strong>{viewer.openContest}</strong> is open; its priority review is above. Add to it rather than opening another.
            </p>
          ) : viewer.canContest ? (
            <Form method="post" aria-labelledby="contest-title">
              <p className="muted">GDPR Art. 22(3), CCD2 Art. 18: the customer asks for a person to look again. Opens a review ahead of everything in the queue.</p>
              <div className="field">
                <label htmlFor="contest-channel">Received by</label>
                <select id="contest-channel" name="channel" defaultValue="phone">
                  {contestChannels.map((channel) => (
                    <option key={channel} value={channel}>
                      {channel.replace(/_/g, " ")}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="contest-details">The customer's point of view</label>
                <textarea id="contest-details" name="details" rows={4} aria-invalid={errors?.details ? true : undefined} />
                <FieldError errors={errors?.details} id="contest-details-error" />
              </div>
              <button className="button" name="intent" value="contest">
                Record contest
              </button>
            </Form>
          ) : (
            <p className="muted">Contests are recorded by compliance officers and the DPO of the decision's region.</p>
          )}
        </section>
      </div>

      <section className="card section" aria-labelledby="other-decisions-title">
        <h2 id="other-decisions-title">The customer's other decisions</h2>
        {customer.isDataWithheld ? (
          <p className="empty">Withheld: the customer restricted processing of their data (GDPR Art. 18).</p>
        ) : otherDecisions.length === 0 ? (
          <p className="empty">No other decisions about this customer that you may see.</p>
        ) : (
          <div className="table-scroll">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Decided</th>
                  <th scope="col">Decision</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Outcome</th>
                  <th scope="col" className="num">
                    Amount
                  </th>
                  <th scope="col">Review</th>
                  <th scope="col">Latest repayment status</th>
                </tr>
              </thead>
              <tbody>
                {otherDecisions.map((other) => (
                  <tr key={other.id}>
                    <td>{formatDateTime(other.decidedAt)}</td>
                    <td>
                      <Link to={`/decisions/${other.id}`}>
                        <code>{other.externalId}</code>
                      </Link>
                    </td>
                    <td>{other.kind}</td>
                    <td>
                      <OutcomeBadge outcome={other.outcome} />
                    </td>
                    <td className="num">{formatMoney(other.amount, other.currency)}</td>
                    <td>
                      <ReviewStateBadge state={other.reviewState} />
                    </td>
                    <td>{other.latestRepayment ? `${other.latestRepayment.status.replace(/_/g, " ")} (${formatDateTime(other.latestRepayment.observedAt)})` : <span className="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <div className="grid grid--2 section">
        <section className="card" aria-labelledby="repayments-title">
          <h2 id="repayments-title">Repayment history of this decision</h2>
          {repayments.length === 0 ? (
            <p className="empty">No repayment outcome has been reported.</p>
          ) : (
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Observed</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Outstanding
                  </th>
                </tr>
              </thead>
              <tbody>
                {repayments.map((repayment) => (
                  <tr key={repayment.id}>
                    <td>{formatDateTime(repayment.observedAt)}</td>
                    <td>
                      <span className={`badge ${repayment.status === "default_90" ? "badge--danger" : repayment.status === "late_30" ? "badge--warn" : "badge--ok"}`}>
                        {repayment.status.replace(/_/g, " ")}
                      </span>
                    </td>
                    <td className="num">{formatMoney(repayment.outstandingAmount, decision.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section className="card" aria-labelledby="fraud-title">
          <h2 id="fraud-title">Fraud outcomes</h2>
          {fraudOutcomes === null ? (
            <p className="muted">Fraud outcomes are visible to the fraud team only.</p>
          ) : fraudOutcomes.length === 0 ? (
            <p className="empty">No fraud outcome has been reported.</p>
          ) : (
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Reported</th>
                  <th scope="col">Outcome</th>
                  <th scope="col" className="num">
                    Loss
                  </th>
                </tr>
              </thead>
              <tbody>
                {fraudOutcomes.map((outcome) => (
                  <tr key={outcome.id}>
                    <td>{formatDateTime(outcome.reportedAt)}</td>
                    <td>
                      <span className={`badge ${outcome.outcome === "cleared" ? "badge--ok" : "badge--danger"}`}>{outcome.outcome.replace(/_/g, " ")}</span>
                    </td>
                    <td className="num">{outcome.lossAmount ? formatMoney(outcome.lossAmount, decision.currency) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>

      <section className="card section" aria-labelledby="audit-title">
        <h2 id="audit-title">Audit events about this decision, its reviews and contests</h2>
        <p className="muted">Each sequence number opens the event with its Merkle inclusion proof against the latest signed checkpoint.</p>
        {auditEvents === null ? (
          <p className="muted">Your role does not include reading the audit ledger.</p>
        ) : auditEvents.length === 0 ? (
          <p className="empty">No recorded events about this decision that you may see.</p>
        ) : (
          <table className="data">
            <thead>
              <tr>
                <th scope="col" className="num">
                  Seq
                </th>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">About</th>
                <th scope="col">Actor</th>
                <th scope="col">Justification</th>
              </tr>
            </thead>
            <tbody>
              {auditEvents.map((event) => (
                <tr key={event.seq}>
                  <td className="num">
                    <Link to={`/audit/${event.seq}`}>{event.seq}</Link>
                  </td>
                  <td>{formatDateTime(event.occurredAt)}</td>
                  <td>
                    <code>{event.action}</code>
                  </td>
                  <td>{event.subjectType}</td>
                  <td>
                    {event.actorLabel ?? "system"}
                    {event.actorRole ? <span className="muted"> · {event.actorRole.replace(/_/g, " ")}</span> : null}
                  </td>
                  <td className="wrap">{event.justification ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
