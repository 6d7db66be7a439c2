import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ErrorPage } from "~/components/error-page";
import { requireActor } from "~/modules/access/actor.server";
import { roleLabel } from "~/modules/access/policy.server";
import { loadHome } from "~/modules/home/home.server";
import { formatDate, formatDateTime } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "Home · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  return {
    viewer: { displayName: actor.user.displayName, roleLabel: roleLabel(actor.user.role), regions: actor.regionFilter },
    home: await loadHome(actor),
  };
}

function daysLeft(due: string | Date) {
  return Math.ceil((new Date(due).getTime() - Date.now()) / 86_400_000);
}

function DeadlineBadge({ due }: { due: string | Date }) {
  const days = daysLeft(due);
  if (days < 0) return <span className="badge badge--danger">{-days} days overdue</span>;
  if (days <= 5) return <span className="badge badge--danger">{days} days left</span>;
  return <span className="badge badge--warn">{days} days left</span>;
}

export default function HomeRoute() {
  const { viewer, home } = useLoaderData<typeof loader>();
  const { reviews, privacy, ruleSets, decisions, staff, activity, psiAlerts } = home;
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Good to see you, {viewer.displayName.split(" ")[0]}</h1>
          <p>
            {viewer.roleLabel}
            {viewer.regions.length > 0 ? ` · ${viewer.regions.join(", ")}` : ""}
          </p>
        </div>
      </div>

      {psiAlerts.map((alert) => (
        <p key={alert.model} className={`alert ${alert.band === "red" ? "alert--error" : "alert--warn"}`} role="status" data-testid="psi-alert">
          <strong>Score drift on {alert.model.replace("@", " ")}:</strong> PSI {alert.psi.toFixed(2)} in {alert.current.from} against its baseline {alert.baseline.from} to {alert.baseline.to} (
          {alert.band === "red" ? "red: 0.25 or more, the population has shifted" : "amber: 0.10 or more, investigate"}).{" "}
          <Link to={`/dashboards/model?model=${encodeURIComponent(alert.model)}`}>Open model monitoring</Link>
        </p>
      ))}
      <div className="grid grid--4" style={{ marginBottom: "1rem" }}>
        {reviews ? (
          <>
            <Link className="card stat" to="/reviews">
              <span className="stat-value" data-testid="reviews-waiting">{reviews.waiting}</span>
              <span className="stat-label">reviews waiting</span>
            </Link>
            <Link className="card stat" to="/reviews?sla=overdue">
              <span className="stat-value">{reviews.overdue}</span>
              <span className="stat-label">past their SLA</span>
            </Link>
            {reviews.awaitingApproval !== null ? (
              <Link className="card stat" to="/reviews?status=awaiting_approval">
                <span className="stat-value">{reviews.awaitingApproval}</span>
                <span className="stat-label">awaiting your second approval</span>
              </Link>
            ) : (
              <Link className="card stat" to="/reviews?trigger=contest">
                <span className="stat-value">{reviews.contests}</span>
                <span className="stat-label">customer contests</span>
              </Link>
            )}
          </>
        ) : null}
        {privacy ? (
          <Link className="card stat" to="/privacy">
            <span className="stat-value" data-testid="privacy-open">{privacy.open}</span>
            <span className="stat-label">open privacy requests</span>
          </Link>
        ) : null}
        {staff ? (
          <>
            <Link className="card stat" to="/admin/staff">
              <span className="stat-value" data-testid="staff-active">{staff.active}</span>
              <span className="stat-label">active staff accounts</span>
            </Link>
            <Link className="card stat" to="/admin/staff">
              <span className="stat-value">{staff.withoutMfa}</span>
              <span className="stat-label">privileged accounts without two-step</span>
            </Link>
            <Link className="card stat" to="/admin/staff">
              <span className="stat-value">{staff.deactivated}</span>
              <span className="stat-label">deactivated accounts</span>
            </Link>
          </>
        ) : null}
      </div>

      <div className="grid grid--2">
        {privacy ? (
          <section className="card" aria-labelledby="deadlines-title">
            <h2 id="deadlines-title">Privacy requests near their deadline</h2>
            {privacy.nearDeadline.length === 0 ? (
              <p className="empty">None due in the next 10 days.</p>
            ) : (
              <ul className="list">
                {privacy.nearDeadline.map((request) => (
                  <li key={request.id}>
                    <span>
                      <Link to={`/privacy/${request.id}`}>{request.reference}</Link> · {request.type} · {request.regionCode}
                    </span>
                    <DeadlineBadge due={request.extendedDueAt ?? request.dueAt} />
                  </li>
                ))}
              </ul>
            )}
          </section>
        ) : null}

        {ruleSets ? (
          <section className="card" aria-labelledby="rulesets-title">
            <h2 id="rulesets-title">{ruleSets.isApprover ? "Rule-set versions awaiting your approval" : "Rule-set drafts in your regions"}</h2>
            {ruleSets.versions.length === 0 ? (
              <p className="empty">Nothing waiting.</p>
            ) : (
              <ul className="list">
                {ruleSets.versions.map((version) => (
                  <li key={version.id}>
                    <span>
                      <Link to={`/rulesets/${version.id}`}>
                        {version.regionCode} v{version.version}
                      </Link>{" "}
                      · {version.changeNote ?? "no change note"} · {version.author.displayName}
                    </span>
                    <span className={version.state === "submitted" ? "badge badge--info" : "badge"}>{version.state}</span>
                  </li>
                ))}
              </ul>
            )}
            {ruleSets.decisionsNotInForce > 0 ? (
              <p className="alert alert--warn">
                <Link to="/decisions?ruleSet=not_in_force">
                  {ruleSets.decisionsNotInForce.toLocaleString("en")} ingested decision{ruleSets.decisionsNotInForce === 1 ? "" : "s"} cite a rule-set version that was not in force
                </Link>{" "}
                in its region when decided.
              </p>
            ) : null}
          </section>
        ) : null}

        {decisions ? (
          <section className="card" aria-labelledby="decisions-title">
            <h2 id="decisions-title">Automated decisions, last 30 days</h2>
            <dl className="facts">
              <dt>All decisions</dt>
              <dd>
                <Link to="/decisions">{decisions.total.toLocaleString("en")}</Link>
              </dd>
              {(["approved", "declined", "referred", "fraud_hold"] as const).map((outcome) => (
                <div key={outcome} style={{ display: "contents" }}>
                  <dt>{outcome.replace("_", " ")}</dt>
                  <dd>
                    <Link to={`/decisions?outcome=${outcome}`}>{(decisions.byOutcome[outcome] ?? 0).toLocaleString("en")}</Link>
                    {decisions.total > 0 ? (
                      <span className="muted"> · {(((decisions.byOutcome[outcome] ?? 0) / decisions.total) * 100).toFixed(1)}%</span>
                    ) : null}
                  </dd>
                </div>
              ))}
            </dl>
            <p className="muted">Since {formatDate(decisions.since)}</p>
          </section>
        ) : null}

        <section className="card" aria-labelledby="activity-title">
          <h2 id="activity-title">Recent activity</h2>
          {activity.length === 0 ? (
            <p className="empty">No recorded activity you may see yet.</p>
          ) : (
            <ul className="list">
              {activity.map((event) => (
                <li key={String(event.seq)}>
                  <span>
                    <code>{event.action}</code> · {event.actorLabel ?? "system"}
                    {event.regionCode ? ` · ${event.regionCode}` : ""}
                  </span>
                  <span className="muted">{formatDateTime(event.occurredAt)}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
