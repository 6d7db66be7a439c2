import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ErrorPage } from "~/components/error-page";
import { notFound, requireActor } from "~/modules/access/actor.server";
import { getRuleSetVersion } from "~/modules/rulesets/rulesets.server";
import { RuleSetStateBadge } from "~/modules/rulesets/ui/state-badge";
import { formatDate, formatDateTime } from "~/utils/format";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.version.regionCode} v${data.version.version} · Rule sets · Attest` : "Rule set · Attest" },
];

const ParamsSchema = z.object({ versionId: z.string().uuid() });

export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) throw notFound("That rule-set version");
  return getRuleSetVersion(actor, parsed.data.versionId);
}

export default function RuleSetVersionRoute() {
  const { version, active, parameters, changedCount, validationIssues } = useLoaderData<typeof loader>();
  const isComparing = active !== null;
  return (
    <>
      <div className="page-header">
        <div>
          <p>
            <Link to="/rulesets">Rule sets</Link> / {version.regionName} /
          </p>
          <h1>
            {version.ruleSetName} v{version.version} <RuleSetStateBadge state={version.state} />
          </h1>
          <p>{version.changeNote ?? "No change note."}</p>
        </div>
      </div>

      {validationIssues.length > 0 ? (
        <div className="alert alert--error" role="alert">
          <strong>These parameters fail validation</strong> — the decision engine would refuse them:
          <ul>
            {validationIssues.map((issue) => (
              <li key={`${issue.path}-${issue.message}`}>
                <code>{issue.path}</code>: {issue.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}

      <div className="grid grid--2">
        <section className="card" aria-labelledby="lifecycle-title">
          <h2 id="lifecycle-title">Lifecycle</h2>
          <dl className="facts">
            <dt>Region</dt>
            <dd>
              {version.regionName} ({version.regionCode}) · amounts in {version.currency}
            </dd>
            <dt>Author</dt>
            <dd>
              {version.authorName} <span className="muted">· created {formatDateTime(version.createdAt)}</span>
            </dd>
            <dt>Submitted</dt>
            <dd>{version.submittedAt ? formatDateTime(version.submittedAt) : <span className="muted">—</span>}</dd>
            <dt>Approver</dt>
            <dd>
              {version.approverName ? (
                <>
                  {version.approverName}
                  {version.approvedAt ? <span className="muted"> · {formatDateTime(version.approvedAt)}</span> : null}
                </>
              ) : (
                <span className="muted">—</span>
              )}
            </dd>
            <dt>Effective from</dt>
            <dd>{version.effectiveFrom ? formatDate(version.effectiveFrom) : <span className="muted">—</span>}</dd>
            <dt>Retired</dt>
            <dd>{version.retiredAt ? formatDate(version.retiredAt) : <span className="muted">—</span>}</dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="compare-title">
          <h2 id="compare-title">Compared with the active version</h2>
          {version.state === "active" ? (
            <p>This is the version the decision engine runs in {version.regionName} today.</p>
          ) : active ? (
            <p>
              {changedCount === 0 ? "Same parameters as " : `${changedCount} ${changedCount === 1 ? "parameter differs" : "parameters differ"} from `}
              <Link to={`/rulesets/${active.id}`}>v{active.version}</Link>, active
              {active.effectiveFrom ? ` since ${formatDate(active.effectiveFrom)}` : ""}. Changes are highlighted below.
            </p>
          ) : (
            <p className="muted">{version.regionName} has no active version to compare with.</p>
          )}
        </section>
      </div>

      <section className="card section" aria-labelledby="parameters-title">
        <h2 id="parameters-title">Parameters</h2>
        <div className="table-scroll">
          <table className="data params">
            <thead>
              <tr>
                <th scope="col">Parameter</th>
                <th scope="col">This version (v{version.version})</th>
                {isComparing ? <th scope="col">Active (v{active.version})</th> : null}
              </tr>
            </thead>
            <tbody>
              {parameters.map((row) => (
                <tr key={row.path} className={row.isChanged ? "row--changed" : undefined}>
                  <th scope="row">
                    {row.label}
                    {row.hint ? <span className="param-hint">{row.hint}</span> : null}
                  </th>
                  <td className="wrap">
                    {row.value}
                    {row.isChanged ? <span className="badge badge--warn changed-mark">changed</span> : null}
                  </td>
                  {isComparing ? <td className="wrap muted-cell">{row.activeValue}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      {version.backtest ? (
        <section className="card section" aria-labelledby="backtest-title">
          <h2 id="backtest-title">Backtest result</h2>
          <pre className="json">{JSON.stringify(version.backtest, null, 2)}</pre>
        </section>
      ) : null}
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
