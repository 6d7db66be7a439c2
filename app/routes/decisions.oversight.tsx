import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { FilterBar, InputFilter, SelectFilter } from "~/components/data-table/data-table";
import { parseListQuery } from "~/components/data-table/url-state";
import { ErrorPage } from "~/components/error-page";
import { requireActor } from "~/modules/access/actor.server";
import { getOversightMetrics, type OversightRow } from "~/modules/decisions/oversight.server";
import { OversightQuerySchema } from "~/modules/decisions/schema";
import { formatDate, formatPercent } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "Human oversight · Decisions · Attest" }];

// GET /decisions/oversight — override rate and time per review by reviewer, model version and region.
export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const query = parseListQuery(OversightQuerySchema, request);
  return getOversightMetrics(actor, query);
}

function formatMinutes(minutes: number | null) {
  if (minutes === null) return "—";
  if (minutes < 1) return `${Math.round(minutes * 60)} s`;
  if (minutes < 120) return `${minutes.toFixed(1)} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}

function OversightTable({ title, column, id, rows }: { title: string; column: string; id: string; rows: OversightRow[] }) {
  return (
    <section className="card section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {rows.length === 0 ? (
        <p className="empty">No decided reviews in this period.</p>
      ) : (
        <div className="table-scroll">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">{column}</th>
                <th scope="col" className="num">
                  Reviews
                </th>
                <th scope="col" className="num">
                  Overturned
                </th>
                <th scope="col" className="num">
                  Override rate
                </th>
                <th scope="col" className="num">
                  Median time per review
                </th>
                <th scope="col">Automation bias</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.key}>
                  <th scope="row">{row.label}</th>
                  <td className="num">{row.reviews}</td>
                  <td className="num">{row.overturned}</td>
                  <td className="num">{formatPercent(row.overrideRate)}</td>
                  <td className="num">{formatMinutes(row.medianMinutes)}</td>
                  <td>{row.isPossibleAutomationBias ? <span className="badge badge--warn">check: few overrides, fast reviews</span> : <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export default function OversightRoute() {
  const { period, regions, overall, byReviewer, byModel, byRegion, thresholds } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <div>
          <p>
            <Link to="/decisions">Decisions</Link> /
          </p>
          <h1>Human oversight of automated decisions</h1>
          <p>
            How often reviewers overturn the models, and how long they spend, {formatDate(period.from)} – {formatDate(period.to)} in {regions.join(", ")} (EU AI Act Art. 14: awareness of automation bias).
          </p>
        </div>
        <Link className="button button--ghost" to="/reviews">
          Review queue
        </Link>
      </div>
      <FilterBar resetTo="/decisions/oversight" keep={[]}>
        {regions.length > 1 ? <SelectFilter name="region" label="Region" options={regions} anyLabel="All" /> : null}
        <InputFilter name="from" label="Decided from" type="date" />
        <InputFilter name="to" label="Decided to" type="date" />
      </FilterBar>
      <div className="grid grid--4">
        <div className="card">
          <p className="muted">Reviews decided</p>
          <p className="metric">{overall.reviews}</p>
        </div>
        <div className="card">
          <p className="muted">Overturned</p>
          <p className="metric">{overall.overturned}</p>
        </div>
        <div className="card">
          <p className="muted">Override rate</p>
          <p className="metric">{formatPercent(overall.overrideRate)}</p>
        </div>
        <div className="card">
          <p className="muted">Median time per review</p>
          <p className="metric">{formatMinutes(overall.medianMinutes)}</p>
        </div>
      </div>
      <p className="muted section">
        Time per review runs from the claim to the verdict. A group with at least {thresholds.minReviews} reviews, an override rate below {formatPercent(thresholds.overrideRate)} and a median under{" "}
        {thresholds.medianMinutes} minutes is flagged for a closer look.
      </p>
      <OversightTable title="By reviewer" column="Reviewer" id="by-reviewer" rows={byReviewer} />
      <OversightTable title="By model version" column="Model version" id="by-model" rows={byModel} />
      <OversightTable title="By region" column="Region" id="by-region" rows={byRegion} />
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
