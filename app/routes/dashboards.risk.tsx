import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Chart } from "~/components/charts/chart";
import { SelectFilter } from "~/components/data-table/data-table";
import { parseListQuery } from "~/components/data-table/url-state";
import { ErrorPage } from "~/components/error-page";
import { requireActor } from "~/modules/access/actor.server";
import { permittedDashboards } from "~/modules/dashboards/access.server";
import { loadRiskDashboard } from "~/modules/dashboards/risk.server";
import { DashboardQuerySchema } from "~/modules/dashboards/schema";
import { DashboardFrame } from "~/modules/dashboards/ui/dashboard-frame";

export const meta: MetaFunction = () => [{ title: "Risk · Dashboards · Attest" }];

// GET /dashboards/risk — outcome rates, volume and exposure by region, delinquency by vintage.
export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const query = parseListQuery(DashboardQuerySchema, request);
  return { ...(await loadRiskDashboard(actor, query)), dashboards: permittedDashboards(actor), kind: query.kind };
}

export default function RiskDashboardRoute() {
  const { period, regions, charts, dashboards, kind } = useLoaderData<typeof loader>();
  return (
    <DashboardFrame
      name="risk"
      dashboards={dashboards}
      regions={regions}
      period={period}
      intro={`Engine outcomes and credit performance of ${kind} decisions,`}
      extraFilters={<SelectFilter name="kind" label="Decisions" options={[{ value: "credit", label: "Credit applications" }, { value: "limit", label: "Limit changes" }]} anyLabel="Credit applications" />}
    >
      <Chart spec={charts.rates} />
      <Chart spec={charts.vintage30} />
      <Chart spec={charts.vintage90} />
      <div className="grid grid--2">
        {charts.volume.map((spec) => (
          <Chart key={spec.id} spec={spec} height={220} />
        ))}
      </div>
    </DashboardFrame>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
