import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Chart } from "~/components/charts/chart";
import { parseListQuery } from "~/components/data-table/url-state";
import { ErrorPage } from "~/components/error-page";
import { requireActor } from "~/modules/access/actor.server";
import { permittedDashboards } from "~/modules/dashboards/access.server";
import { loadFraudDashboard } from "~/modules/dashboards/fraud.server";
import { DashboardQuerySchema } from "~/modules/dashboards/schema";
import { DashboardFrame } from "~/modules/dashboards/ui/dashboard-frame";

export const meta: MetaFunction = () => [{ title: "Fraud · Dashboards · Attest" }];

// GET /dashboards/fraud — hold, confirmed fraud and false-positive rates; chargebacks and losses.
export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const query = parseListQuery(DashboardQuerySchema, request);
  return { ...(await loadFraudDashboard(actor, query)), dashboards: permittedDashboards(actor) };
}

export default function FraudDashboardRoute() {
  const { period, regions, charts, dashboards } = useLoaderData<typeof loader>();
  return (
    <DashboardFrame name="fraud" dashboards={dashboards} regions={regions} period={period} intro="Fraud screenings and their outcomes,">
      <Chart spec={charts.rates} />
      <div className="grid grid--2">
        {charts.losses.map((spec) => (
          <Chart key={spec.id} spec={spec} height={220} />
        ))}
      </div>
    </DashboardFrame>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
