import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ErrorPage } from "~/components/error-page";
import { notFound, requireActor } from "~/modules/access/actor.server";
import { getPrivacyRequest } from "~/modules/privacy/privacy-requests.server";
import { PrivacyRequestIdSchema } from "~/modules/privacy/schema";
import { DaysLeftBadge, IdentityBadge, PrivacyStateBadge } from "~/modules/privacy/ui/badges";
import { formatDate, formatDateTime } from "~/utils/format";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.request.reference ?? "Privacy request"} · Attest` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const parsed = PrivacyRequestIdSchema.safeParse(params);
  if (!parsed.success) throw notFound("That privacy request");
  return getPrivacyRequest(actor, parsed.data.requestId);
}

export default function PrivacyRequestRoute() {
  const { request, customer, decision, notes } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <div>
          <p>
            <Link to="/privacy">Privacy requests</Link> /
          </p>
          <h1>
            {request.reference} <PrivacyStateBadge state={request.state} />
          </h1>
          <p>
            {request.type} request · {request.regionCode} · {request.regime.replace(/_/g, " ").toUpperCase()}
          </p>
        </div>
      </div>

      <div className="grid grid--2">
        <section className="card" aria-labelledby="request-title">
          <h2 id="request-title">Request</h2>
          <dl className="facts">
            <dt>Type</dt>
            <dd>{request.type}</dd>
            <dt>State</dt>
            <dd>
              <PrivacyStateBadge state={request.state} />
            </dd>
            <dt>Channel</dt>
            <dd>{request.channel.replace(/_/g, " ")}</dd>
            <dt>Subject</dt>
            <dd>
              {customer ? (
                customer.canOpen ? (
                  <Link to={`/customers/${customer.id}`}>{customer.reference}</Link>
                ) : (
                  customer.reference
                )
              ) : (
                <span className="muted">not matched to a customer yet</span>
              )}
            </dd>
            {decision ? (
              <>
                <dt>Contested decision</dt>
                <dd>
                  {decision.canOpen ? (
                    <Link to={`/decisions/${decision.id}`}>
                      <code>{decision.externalId}</code>
                    </Link>
                  ) : (
                    <code>{decision.externalId}</code>
                  )}
                </dd>
              </>
            ) : null}
            <dt>Assignee</dt>
            <dd>{request.assigneeName ?? <span className="muted">unassigned</span>}</dd>
            {request.refusalReason ? (
              <>
                <dt>Refusal reason</dt>
                <dd>{request.refusalReason}</dd>
              </>
            ) : null}
          </dl>
        </section>

        <section className="card" aria-labelledby="clock-title">
          <h2 id="clock-title">Statutory clock</h2>
          <dl className="facts">
            <dt>Received</dt>
            <dd>{formatDateTime(request.receivedAt)}</dd>
            <dt>Clock started</dt>
            <dd>{request.clockStartedAt ? formatDateTime(request.clockStartedAt) : <span className="muted">not yet (waiting on identity)</span>}</dd>
            <dt>Due</dt>
            <dd>{formatDate(request.dueAt)}</dd>
            <dt>Extended to</dt>
            <dd>{request.extendedDueAt ? formatDate(request.extendedDueAt) : <span className="muted">not extended</span>}</dd>
            {request.extensionReason ? (
              <>
                <dt>Extension reason</dt>
                <dd>{request.extensionReason}</dd>
              </>
            ) : null}
            <dt>Time left</dt>
            <dd>
              <DaysLeftBadge band={request.band} daysLeft={request.daysLeft} />
            </dd>
            <dt>Completed</dt>
            <dd>{request.completedAt ? formatDateTime(request.completedAt) : <span className="muted">—</span>}</dd>
            <dt>Identity</dt>
            <dd>
              <IdentityBadge state={request.identityState} />
            </dd>
          </dl>
          {request.identityEvidence ? (
            <>
              <h3 className="subhead">Identity checks recorded</h3>
              <pre className="json">{JSON.stringify(request.identityEvidence, null, 2)}</pre>
            </>
          ) : null}
        </section>
      </div>

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
                <p className="note-body">{note.body}</p>
              </li>
            ))}
          </ol>
        )}
        <p className="muted">The subject&apos;s personal data is shown on the customer page only, masked unless your role may read it.</p>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
