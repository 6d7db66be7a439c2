import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Chart } from "~/components/charts/chart";
import { SelectFilter } from "~/components/data-table/data-table";
import { parseListQuery } from "~/components/data-table/url-state";
import { ErrorPage } from "~/components/error-page";
import { requireActor } from "~/modules/access/actor.server";
import { permittedDashboards } from "~/modules/dashboards/access.server";
import { loadFairnessDashboard } from "~/modules/dashboards/fairness.server";
import { DashboardQuerySchema } from "~/modules/dashboards/schema";
import { DashboardFrame } from "~/modules/dashboards/ui/dashboard-frame";

export const meta: MetaFunction = () => [{ title: "Fairness · Dashboards · Attest" }];

// GET /dashboards/fairness — approval rate, adverse impact ratio and TPR difference by group.
export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const query = parseListQuery(DashboardQuerySchema, request);
  return { ...(await loadFairnessDashboard(actor, query)), dashboards: permittedDashboards(actor) };
}

export default function FairnessDashboardRoute() {
  const { period, regions, charts, dashboards, age, absentAttributes } = useLoaderData<typeof loader>();
  const below = age.rows.filter((row) => row.isBelowFourFifths);
  return (
    <DashboardFrame
      name="fairness"
      dashboards={dashboards}
      regions={regions}
      period={period}
      intro="Engine approval rates by group, against the most-favoured group (four-fifths rule),"
      extraFilters={<SelectFilter name="kind" label="Decisions" options={[{ value: "credit", label: "Credit applications" }, { value: "limit", label: "Limit changes" }]} anyLabel="Credit applications" />}
    >
      {below.length > 0 ? (
        <p className="alert alert--error" role="status">
          Below the four-fifths line: {below.map((row) => `${row.group} (${row.adverseImpactRatio?.toFixed(2)})`).join(", ")} against {age.reference}.
        </p>
      ) : null}
      <Chart spec={charts.age} />
      <Chart spec={charts.region} />
      <section className="card section" aria-labelledby="absent-attributes">
        <h2 id="absent-attributes">Protected attributes not in the data</h2>
        <p>
          The decisions carry the applicant&apos;s age (as the model saw it) and region, and nothing else a fairness test could group by. These protected attributes are not held, so
          no figure here can show disparities along them: {absentAttributes.join(", ")}. Proxies (postcode, merchant category) are not used as stand-ins.
        </p>
      </section>
    </DashboardFrame>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
