import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ErrorPage } from "~/components/error-page";
import { notFound, requireActor } from "~/modules/access/actor.server";
import { getDecision } from "~/modules/decisions/decisions.server";
import { DecisionIdSchema } from "~/modules/decisions/schema";
import { OutcomeBadge, ReviewStateBadge, ReviewStatusBadge } from "~/modules/decisions/ui/badges";
import { formatDateTime, formatMoney } from "~/utils/format";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.decision.externalId ?? "Decision"} · Decisions · Attest` },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const parsed = DecisionIdSchema.safeParse(params);
  if (!parsed.success) throw notFound("That decision");
  return getDecision(actor, parsed.data.decisionId);
}

export default function DecisionRoute() {
  const { decision, customer, ruleSetVersion, reasons, features, reviews, repayments, fraudOutcomes, auditEvents } =
    useLoaderData<typeof loader>();
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
      </div>

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
              {decision.modelName} <span className="muted">version {decision.modelVersion}</span>
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
                  <th scope="col">Told to customer</th>
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
                    <td>
                      {reason.isDisclosable === null ? (
                        <span className="muted">—</span>
                      ) : reason.isDisclosable ? (
                        "yes"
                      ) : (
                        <span title="Never named to the customer (tipping-off)">no, neutral text</span>
                      )}
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
          <div className="table-scroll">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Opened</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Status</th>
                  <th scope="col">Due</th>
                  <th scope="col">Claimed by</th>
                  <th scope="col">Verdict</th>
                  <th scope="col">Reviewer</th>
                  <th scope="col">Second approver</th>
                  <th scope="col">Justification</th>
                </tr>
              </thead>
              <tbody>
                {reviews.map((review) => (
                  <tr key={review.id}>
                    <td>{formatDateTime(review.openedAt)}</td>
                    <td>{review.trigger.replace(/_/g, " ")}</td>
                    <td>
                      <ReviewStatusBadge status={review.status} />
                    </td>
                    <td>{formatDateTime(review.dueAt)}</td>
                    <td>{review.claimedBy?.displayName ?? <span className="muted">—</span>}</td>
                    <td>
                      {review.verdict ? (
                        <span className={`badge ${review.verdict === "overturned" ? "badge--danger" : "badge--ok"}`}>{review.verdict}</span>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>{review.reviewer?.displayName ?? <span className="muted">—</span>}</td>
                    <td>{review.approver?.displayName ?? <span className="muted">—</span>}</td>
                    <td className="wrap">{review.justification ?? review.verdictReason ?? <span className="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <div className="grid grid--2 section">
        <section className="card" aria-labelledby="repayments-title">
          <h2 id="repayments-title">Repayment outcomes</h2>
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
        <h2 id="audit-title">Audit events about this decision</h2>
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
