import { requirePermission, type Actor } from "~/modules/access/actor.server";
import { findRegion } from "~/modules/access/regions.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { lastDayOf, resolvePeriod, type DashboardName, type DashboardQuery } from "./schema";

// Who may open which dashboard is data (policies/access.yaml: subject Dashboard, one field per
// dashboard). Every figure is read within the viewer's regions and region filter, like every list.

export interface DashboardScope {
  regions: string[];
  period: ReturnType<typeof resolvePeriod>;
  /** The viewer's explorer link for a segment, with the dashboard's region and the given filters. */
  explorerLink(filters: Record<string, string | undefined>): string;
}

export function dashboardScope(actor: Actor, dashboard: DashboardName, query: DashboardQuery, now = new Date()): DashboardScope {
  requirePermission(actor, "read", "Dashboard", dashboard);
  const regions = regionScope(actor, query.region).regionCode.in;
  const period = resolvePeriod(query, now);
  return {
    regions,
    period,
    explorerLink(filters) {
      const params = new URLSearchParams();
      if (query.region) params.set("region", query.region);
      for (const [key, value] of Object.entries(filters)) if (value !== undefined) params.set(key, value);
      return `/decisions?${params.toString()}`;
    },
  };
}

/** Explorer `from`/`to` for a whole month, or for the dashboard's whole period. */
export function monthFilter(month: string) {
  return { from: `${month}-01`, to: lastDayOf(month) };
}

export function currencyOf(regionCode: string) {
  return findRegion(regionCode)?.currency ?? "";
}
