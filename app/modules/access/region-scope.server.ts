import { badQuery } from "~/components/data-table/url-state";
import type { Actor } from "./actor.server";

// The region part of every list's `where`: the viewer's region filter (a display preference chosen in
// the top bar, always within their own regions), optionally narrowed further by a `region` search
// param. The access policy still applies on top through accessibleBy; this only narrows.

export function regionScope(actor: Actor, region?: string): { regionCode: { in: string[] } } {
  if (!region) return { regionCode: { in: actor.regionFilter } };
  if (!actor.user.regions.includes(region)) {
    const own = actor.user.regions.length > 0 ? actor.user.regions.join(", ") : "none";
    throw badQuery([{ field: "region", message: `${region} is not one of your regions (${own})` }]);
  }
  if (!actor.regionFilter.includes(region)) {
    throw badQuery([
      {
        field: "region",
        message: `${region} is outside the region filter you chose (${actor.regionFilter.join(", ")}); switch the region at the top of the page`,
      },
    ]);
  }
  return { regionCode: { in: [region] } };
}
