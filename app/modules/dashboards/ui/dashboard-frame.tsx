import { NavLink } from "@remix-run/react";
import { FilterBar, InputFilter, SelectFilter } from "~/components/data-table/data-table";
import { dashboardTitles, type DashboardName } from "../schema";

// Header, dashboard tabs and the period/region filter every dashboard shares.

export function DashboardFrame({
  name,
  dashboards,
  regions,
  period,
  intro,
  extraFilters,
  children,
}: {
  name: DashboardName;
  dashboards: DashboardName[];
  regions: string[];
  period: { from: string; to: string };
  intro: React.ReactNode;
  extraFilters?: React.ReactNode;
  children: React.ReactNode;
}) {
  return (
    <>
      <div className="page-header">
        <div>
          <h1>{dashboardTitles[name]} dashboard</h1>
          <p>
            {intro} {period.from} to {period.to}, {regions.join(", ")}. Definitions: docs/metrics.md.
          </p>
        </div>
      </div>
      <nav aria-label="Dashboards" className="tabs">
        {dashboards.map((dashboard) => (
          <NavLink key={dashboard} to={`/dashboards/${dashboard}`} prefetch="intent">
            {dashboardTitles[dashboard]}
          </NavLink>
        ))}
      </nav>
      <FilterBar resetTo={`/dashboards/${name}`} keep={[]}>
        {regions.length > 1 ? <SelectFilter name="region" label="Region" options={regions} anyLabel="All" /> : null}
        <InputFilter name="from" label="From month" type="month" placeholder="2026-01" />
        <InputFilter name="to" label="To month" type="month" placeholder="2026-12" />
        {extraFilters}
      </FilterBar>
      <div className="dashboard-grid">{children}</div>
    </>
  );
}
