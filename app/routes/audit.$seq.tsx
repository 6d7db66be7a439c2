import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ErrorPage } from "~/components/error-page";
import { notFound, requireActor } from "~/modules/access/actor.server";
import { getAuditEvent } from "~/modules/audit/audit-events.server";
import { AuditSeqSchema } from "~/modules/audit/schema";
import { SubjectLink } from "~/modules/audit/ui/subject-link";
import { formatDateTime } from "~/utils/format";
import { freeTextNote } from "~/modules/audit/free-text";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Event ${data?.event.seq ?? ""} · Audit ledger · Attest` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const parsed = AuditSeqSchema.safeParse(params);
  if (!parsed.success) throw notFound("That ledger event");
  return getAuditEvent(actor, parsed.data.seq);
}

export default function AuditEventRoute() {
  const { event, inclusion } = useLoaderData<typeof loader>();
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
            <dd>{event.justification ?? <span className="muted">{freeTextNote(event.changes)}</span>}</dd>
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
      <section className="card section" aria-labelledby="proof-title">
        <h2 id="proof-title">Proof of inclusion</h2>
        {!inclusion?.checkpoint ? (
          <p className="empty">No signed checkpoint covers this event yet; one is signed within a second while the app runs.</p>
        ) : (
          <>
            {inclusion.isVerified ? (
              <div className="alert alert--ok" role="status" data-testid="inclusion-verified">
                This event is leaf {Number(event.seq) - 1} of the tree signed in checkpoint {inclusion.checkpoint.id}: its audit path leads to the signed root.
              </div>
            ) : (
              <div className="alert alert--error" role="alert" data-testid="inclusion-verified">
                The audit path does not lead from this event to the signed root. Run a full verification.
              </div>
            )}
            <dl className="facts">
              <dt>Checkpoint</dt>
              <dd>
                {inclusion.checkpoint.id}: {inclusion.checkpoint.treeSize.toLocaleString("en")} events, signed {formatDateTime(inclusion.checkpoint.signedAt)}
              </dd>
              <dt>Signed root</dt>
              <dd className="hash">
                <code>{inclusion.checkpoint.rootHash}</code>
              </dd>
              <dt>Signing key</dt>
              <dd className="hash">
                <code>{inclusion.checkpoint.keyFingerprint}</code> (<a href="/api/v1/audit/keys">public keys</a>)
              </dd>
              <dt>Audit path</dt>
              <dd>
                <ol className="hash-list">
                  {inclusion.auditPath.map((hash, index) => (
                    <li key={`${index}-${hash}`}>
                      <code>{hash}</code>
                    </li>
                  ))}
                </ol>
              </dd>
            </dl>
            <details>
              <summary>Signed statement and signature (for gpg --verify)</summary>
              <pre className="json">{inclusion.checkpoint.body}</pre>
              <pre className="json">{inclusion.checkpoint.signature}</pre>
            </details>
          </>
        )}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
