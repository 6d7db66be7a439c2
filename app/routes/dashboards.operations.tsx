import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Chart } from "~/components/charts/chart";
import { parseListQuery } from "~/components/data-table/url-state";
import { ErrorPage } from "~/components/error-page";
import { requireActor } from "~/modules/access/actor.server";
import { permittedDashboards } from "~/modules/dashboards/access.server";
import { loadOperationsDashboard } from "~/modules/dashboards/operations.server";
import { DashboardQuerySchema } from "~/modules/dashboards/schema";
import { DashboardFrame } from "~/modules/dashboards/ui/dashboard-frame";

export const meta: MetaFunction = () => [{ title: "Operations · Dashboards · Attest" }];

// GET /dashboards/operations — review queue age and SLA, override rate, privacy deadlines.
export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const query = parseListQuery(DashboardQuerySchema, request);
  return { ...(await loadOperationsDashboard(actor, query)), dashboards: permittedDashboards(actor) };
}

export default function OperationsDashboardRoute() {
  const { period, regions, charts, dashboards } = useLoaderData<typeof loader>();
  return (
    <DashboardFrame name="operations" dashboards={dashboards} regions={regions} period={period} intro="Open work and its deadlines now; override rate by decision month,">
      <div className="grid grid--2">
        {charts.queue ? <Chart spec={charts.queue} /> : null}
        {charts.sla ? <Chart spec={charts.sla} /> : null}
      </div>
      {charts.override ? (
        <>
          <Chart spec={charts.override} />
          <p className="muted">
            Override rate and time per review by reviewer, model and region: <Link to="/decisions/oversight">human oversight</Link>.
          </p>
        </>
      ) : null}
      {charts.privacy ? <Chart spec={charts.privacy} /> : null}
    </DashboardFrame>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
