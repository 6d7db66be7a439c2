import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ErrorPage } from "~/components/error-page";
import { notFound, requireActor } from "~/modules/access/actor.server";
import { getAuditEvent } from "~/modules/audit/audit-events.server";
import { AuditSeqSchema } from "~/modules/audit/schema";
import { SubjectLink } from "~/modules/audit/ui/subject-link";
import { formatDateTime } from "~/utils/format";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Event ${data?.event.seq ?? ""} · Audit ledger · Attest` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const parsed = AuditSeqSchema.safeParse(params);
  if (!parsed.success) throw notFound("That ledger event");
  return getAuditEvent(actor, parsed.data.seq);
}

export default function AuditEventRoute() {
  const { event } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <div>
          <p>
            <Link to="/audit">Audit ledger</Link> /
          </p>
          <h1>
            Event {event.seq} · <code>{event.action}</code>
          </h1>
          <p>{event.actionDescription ?? "An action outside the current catalogue."}</p>
        </div>
      </div>
      <div className="grid grid--2">
        <section className="card" aria-labelledby="event-title">
          <h2 id="event-title">Event</h2>
          <dl className="facts">
            <dt>Sequence</dt>
            <dd>{event.seq}</dd>
            <dt>Event id</dt>
            <dd>
              <code>{event.id}</code>
            </dd>
            <dt>Occurred</dt>
            <dd>
              {formatDateTime(event.occurredAt)} <span className="muted">({new Date(event.occurredAt).toISOString()})</span>
            </dd>
            <dt>Action</dt>
            <dd>
              <code>{event.action}</code>
            </dd>
            <dt>Subject</dt>
            <dd>
              {event.subjectType} <SubjectLink subjectType={event.subjectType} subjectId={event.subjectId} />
            </dd>
            <dt>Region</dt>
            <dd>{event.regionCode ?? <span className="muted">none</span>}</dd>
            <dt>Justification</dt>
            <dd>{event.justification ?? <span className="muted">—</span>}</dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="actor-title">
          <h2 id="actor-title">Actor and request</h2>
          <dl className="facts">
            <dt>Actor type</dt>
            <dd>{event.actorType}</dd>
            <dt>Actor</dt>
            <dd>{event.actorLabel ?? <span className="muted">—</span>}</dd>
            <dt>Actor id</dt>
            <dd>{event.actorId ? <code>{event.actorId}</code> : <span className="muted">—</span>}</dd>
            <dt>Role</dt>
            <dd>{event.actorRole?.replace(/_/g, " ") ?? <span className="muted">—</span>}</dd>
            <dt>Request id</dt>
            <dd>{event.requestId ? <code>{event.requestId}</code> : <span className="muted">—</span>}</dd>
            <dt>IP address</dt>
            <dd>{event.ipAddress ?? <span className="muted">—</span>}</dd>
            <dt>Leaf hash</dt>
            <dd className="hash">{event.leafHash ? <code>{event.leafHash}</code> : <span className="muted">not yet hashed</span>}</dd>
          </dl>
        </section>
      </div>
      <section className="card section" aria-labelledby="changes-title">
        <h2 id="changes-title">Changes</h2>
        {event.changes === null ? (
          <p className="empty">This event records no field changes.</p>
        ) : (
          <pre className="json" data-testid="event-changes">
            {JSON.stringify(event.changes, null, 2)}
          </pre>
        )}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
