import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ErrorPage } from "~/components/error-page";
import { notFound, requireActor } from "~/modules/access/actor.server";
import { getCustomer } from "~/modules/customers/customers.server";
import { OutcomeBadge, ReviewStateBadge } from "~/modules/decisions/ui/badges";
import { PrivacyStateBadge } from "~/modules/privacy/ui/badges";
import { formatDate, formatDateTime, formatMoney } from "~/utils/format";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.customer.reference ?? "Customer"} · Attest` }];

const ParamsSchema = z.object({ customerId: z.string().uuid() });

export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) throw notFound("That customer");
  return getCustomer(actor, parsed.data.customerId);
}

const personalFields = [
  ["fullName", "Name"],
  ["email", "Email"],
  ["phone", "Phone"],
  ["dateOfBirth", "Date of birth"],
  ["street", "Street"],
  ["postalCode", "Postal code"],
  ["city", "City"],
  ["country", "Country"],
] as const;

export default function CustomerRoute() {
  const { customer, personalData, isPersonalDataWithheld, isDecisionListWithheld, decisions, decisionCount, privacyRequests } = useLoaderData<typeof loader>();
  const objection = privacyRequests?.find((request) => request.type === "objection");
  return (
    <>
      <div className="page-header">
        <div>
          <p>Customer /</p>
          <h1>
            <code>{customer.reference}</code>
          </h1>
          <p>
            {customer.regionCode} · customer since {formatDate(customer.createdAt)}
            {customer.isRestricted ? (
              <>
                {" "}
                · <span className="badge badge--warn">processing restricted</span>
              </>
            ) : null}
            {customer.hasObjected ? (
              <>
                {" "}
                · <span className="badge badge--warn">objected to processing{customer.objectedAt ? ` ${formatDate(customer.objectedAt)}` : ""}</span>
              </>
            ) : null}
            {customer.erasedAt ? (
              <>
                {" "}
                · <span className="badge badge--danger">erased {formatDate(customer.erasedAt)}</span>
              </>
            ) : null}
          </p>
        </div>
      </div>

      <div className="grid grid--2">
        <section className="card" aria-labelledby="personal-title">
          <h2 id="personal-title">Personal data</h2>
          {customer.hasObjected ? (
            <div className="alert alert--warn" data-testid="objection-note">
              The customer objected to processing{customer.objectedAt ? ` on ${formatDate(customer.objectedAt)}` : ""}
              {objection ? (
                <>
                  {" "}
                  (<Link to={`/privacy/${objection.id}`}>{objection.reference}</Link>, handled by {objection.assignee?.displayName ?? "nobody yet"})
                </>
              ) : null}
              .
            </div>
          ) : null}
          {isPersonalDataWithheld ? (
            <div className="alert alert--warn" data-testid="restricted-note">
              Processing restricted{customer.restrictedAt ? ` since ${formatDate(customer.restrictedAt)}` : ""} (GDPR Art. 18): this customer&apos;s
              personal data is withheld from processing views and exports.
            </div>
          ) : personalData === null ? (
            <p className="empty">{customer.erasedAt ? "Erased: no personal data is held." : "No personal data is held for this customer."}</p>
          ) : (
            <>
              {personalData.isMasked ? (
                <div className="alert alert--info" data-testid="masked-note">
                  Masked for your role: the access policy does not grant you this customer&apos;s personal data, so it was masked
                  before it left the server.
                </div>
              ) : (
                <div className="alert alert--warn" data-testid="unmasked-note">
                  Unmasked personal data. This view was recorded in the audit ledger under your name.
                </div>
              )}
              <dl className="facts">
                {personalFields.map(([field, label]) => (
                  <div key={field} style={{ display: "contents" }}>
                    <dt>{label}</dt>
                    <dd className={personalData[field] === "••••••" ? "masked" : undefined}>{personalData[field]}</dd>
                  </div>
                ))}
              </dl>
            </>
          )}
        </section>

        <section className="card" aria-labelledby="privacy-title">
          <h2 id="privacy-title">Privacy requests</h2>
          {privacyRequests === null ? (
            <p className="muted">Your role does not include reading privacy requests.</p>
          ) : privacyRequests.length === 0 ? (
            <p className="empty">This customer has made no privacy request you may see.</p>
          ) : (
            <ul className="list">
              {privacyRequests.map((request) => (
                <li key={request.id}>
                  <span>
                    <Link to={`/privacy/${request.id}`}>{request.reference}</Link> · {request.type} · received {formatDate(request.receivedAt)}
                  </span>
                  <PrivacyStateBadge state={request.state} />
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>

      <section className="card section" aria-labelledby="decisions-title">
        <div className="section-header">
          <h2 id="decisions-title">Decisions</h2>
          {decisions && decisionCount > decisions.length ? (
            <Link to={`/decisions?customer=${customer.id}`}>All {decisionCount.toLocaleString("en")} decisions →</Link>
          ) : null}
        </div>
        {isDecisionListWithheld ? (
          <p className="muted" data-testid="decisions-withheld">
            Processing restricted (GDPR Art. 18): this customer&apos;s decisions are not listed together. Each decision stays readable on its own page.
          </p>
        ) : decisions === null ? (
          <p className="muted">Your role does not include reading decisions.</p>
        ) : decisions.length === 0 ? (
          <p className="empty">No decisions about this customer in your regions.</p>
        ) : (
          <div className="table-scroll">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Decided at</th>
                  <th scope="col">External id</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Outcome</th>
                  <th scope="col" className="num">
                    Score
                  </th>
                  <th scope="col" className="num">
                    Amount
                  </th>
                  <th scope="col">Review</th>
                </tr>
              </thead>
              <tbody>
                {decisions.map((decision) => (
                  <tr key={decision.id}>
                    <td>{formatDateTime(decision.decidedAt)}</td>
                    <td>
                      <Link to={`/decisions/${decision.id}`}>
                        <code>{decision.externalId}</code>
                      </Link>
                    </td>
                    <td>{decision.kind}</td>
                    <td>
                      <OutcomeBadge outcome={decision.outcome} />
                    </td>
                    <td className="num">{decision.score.toFixed(3)}</td>
                    <td className="num">{formatMoney(decision.amount, decision.currency)}</td>
                    <td>
                      <ReviewStateBadge state={decision.reviewState} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
