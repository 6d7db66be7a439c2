import type { Actor } from "~/modules/access/actor.server";
import { dashboardNames, type DashboardName } from "./schema";

/** The dashboards this viewer may open (policies/access.yaml, subject Dashboard, one field each). */
export function permittedDashboards(actor: Actor): DashboardName[] {
  return dashboardNames.filter((name) => actor.ability.can("read", "Dashboard", name));
}
