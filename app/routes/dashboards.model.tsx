import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Chart } from "~/components/charts/chart";
import { InputFilter, SelectFilter } from "~/components/data-table/data-table";
import { parseListQuery } from "~/components/data-table/url-state";
import { ErrorPage } from "~/components/error-page";
import { requireActor } from "~/modules/access/actor.server";
import { permittedDashboards } from "~/modules/dashboards/access.server";
import { loadModelDashboard } from "~/modules/dashboards/model.server";
import { DashboardQuerySchema } from "~/modules/dashboards/schema";
import { DashboardFrame } from "~/modules/dashboards/ui/dashboard-frame";

export const meta: MetaFunction = () => [{ title: "Model monitoring · Dashboards · Attest" }];

// GET /dashboards/model — score drift (PSI) and discrimination (Gini, KS) per model version.
export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const query = parseListQuery(DashboardQuerySchema, request);
  return { ...(await loadModelDashboard(actor, query)), dashboards: permittedDashboards(actor) };
}

const fixed = (value: number | null | undefined, digits = 3) => (value === null || value === undefined ? "–" : value.toFixed(digits));

export default function ModelDashboardRoute() {
  const { period, regions, charts, dashboards, summaries, chosen } = useLoaderData<typeof loader>();
  return (
    <DashboardFrame
      name="model"
      dashboards={dashboards}
      regions={regions}
      period={period}
      intro="Score stability against a baseline and discrimination against repayment, per model version,"
      extraFilters={
        <>
          <SelectFilter name="model" label="Model version" options={summaries.map((summary) => summary.model)} anyLabel={chosen ? `${chosen.model} (default)` : "Default"} />
          <InputFilter name="baselineFrom" label="Baseline from" type="month" />
          <InputFilter name="baselineTo" label="Baseline to" type="month" />
        </>
      }
    >
      <section className="card section" aria-labelledby="model-versions">
        <h2 id="model-versions">Model versions</h2>
        <div className="table-scroll">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Model version</th>
                <th scope="col">Baseline</th>
                <th scope="col">Current</th>
                <th scope="col" className="num">PSI</th>
                <th scope="col" className="num">Gini (95% CI)</th>
                <th scope="col" className="num">KS</th>
                <th scope="col" className="num">Outcomes (good / bad)</th>
              </tr>
            </thead>
            <tbody>
              {summaries.map((summary) => (
                <tr key={summary.model}>
                  <th scope="row">
                    <a href={`?model=${encodeURIComponent(summary.model)}`}>{summary.model}</a>
                  </th>
                  <td>
                    {summary.baseline.from} – {summary.baseline.to}
                  </td>
                  <td>
                    {summary.current.from} – {summary.current.to}
                  </td>
                  <td className="num">
                    {summary.psi ? <span className={`badge badge--${summary.psi.band === "red" ? "danger" : summary.psi.band === "amber" ? "warn" : "ok"}`}>{fixed(summary.psi.psi)} {summary.psi.band}</span> : "–"}
                  </td>
                  <td className="num">
                    {summary.discrimination ? `${fixed(summary.discrimination.gini)} (${fixed(summary.discrimination.giniInterval?.low)} – ${fixed(summary.discrimination.giniInterval?.high)})` : "–"}
                  </td>
                  <td className="num">{fixed(summary.discrimination?.ks)}</td>
                  <td className="num">{summary.discrimination ? `${summary.discrimination.goods} / ${summary.discrimination.bads}` : "no repayment outcomes"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {charts ? (
        <>
          <Chart spec={charts.distribution} />
          <Chart spec={charts.trend} />
          <Chart spec={charts.gini} />
        </>
      ) : (
        <p className="empty">No scored decisions in this period.</p>
      )}
    </DashboardFrame>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
