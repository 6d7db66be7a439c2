import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { ErrorPage } from "~/components/error-page";
import { requireActor } from "~/modules/access/actor.server";
import { listRuleSetVersions } from "~/modules/rulesets/rulesets.server";
import { RuleSetStateBadge } from "~/modules/rulesets/ui/state-badge";
import { formatDate, formatDateTime } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "Rule sets · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  return listRuleSetVersions(actor);
}

export default function RuleSetsRoute() {
  const { regions, inbox } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Rule sets</h1>
          <p>The parameters the decision engine applies in each region, version by version.</p>
        </div>
      </div>
      {inbox.length > 0 ? (
        <section className="card section" aria-labelledby="inbox-title">
          <h2 id="inbox-title">Waiting for your approval</h2>
          <ul className="plain-list">
            {inbox.map((entry) => (
              <li key={entry.id}>
                <Link to={`/rulesets/${entry.id}`}>
                  {entry.regionCode} v{entry.version}
                </Link>{" "}
                by {entry.authorName}
                {entry.submittedAt ? `, submitted ${formatDate(entry.submittedAt)}` : ""}: {entry.changeNote ?? "no change note"}
                {entry.isOwnWork ? <span className="muted"> (your own work: another officer approves)</span> : null}
                {!entry.hasCurrentBacktest ? <span className="badge badge--warn">backtest out of date</span> : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {regions.length === 0 ? <p className="empty">No rule sets in your regions yet.</p> : null}
      {regions.map((region) => (
        <section key={region.regionCode} className="card section" aria-labelledby={`region-${region.regionCode}`}>
          <div className="section-header">
            <h2 id={`region-${region.regionCode}`}>
              {region.regionName} <span className="muted">· {region.ruleSetName}</span>
            </h2>
            {region.canDraft && region.activeVersionId ? (
              <Form method="post" action={`/rulesets/${region.activeVersionId}`}>
                <input type="hidden" name="intent" value="draft" />
                <button type="submit" className="button">
                  New draft for {region.regionCode}
                </button>
              </Form>
            ) : null}
          </div>
          <div className="table-scroll">
            <table className="data versions">
              <colgroup>
                <col style={{ width: "6rem" }} />
                <col style={{ width: "7rem" }} />
                <col style={{ width: "11rem" }} />
                <col style={{ width: "11rem" }} />
                <col style={{ width: "14rem" }} />
                <col />
              </colgroup>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">State</th>
                  <th scope="col">Author</th>
                  <th scope="col">Approver</th>
                  <th scope="col">Effective from</th>
                  <th scope="col">Change note</th>
                </tr>
              </thead>
              <tbody>
                {region.versions.map((version) => (
                  <tr key={version.id} className={version.state === "active" ? "row--active" : undefined}>
                    <td>
                      <Link to={`/rulesets/${version.id}`}>v{version.version}</Link>
                    </td>
                    <td>
                      <RuleSetStateBadge state={version.state} />
                    </td>
                    <td>{version.authorName}</td>
                    <td>{version.approverName ?? <span className="muted">—</span>}</td>
                    <td>
                      {version.effectiveFrom ? formatDateTime(version.effectiveFrom) : <span className="muted">—</span>}
                      {version.retiredAt ? (
                        <>
                          <br />
                          <span className="muted">until {formatDate(version.retiredAt)}</span>
                        </>
                      ) : null}
                    </td>
                    <td className="wrap">{version.changeNote ?? <span className="muted">no change note</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
