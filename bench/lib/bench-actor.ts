import { defineAbilityFor } from "../../app/modules/access/ability.server";
import type { Actor } from "../../app/modules/access/actor.server";
import { db } from "../../app/utils/db.server";

// A seeded staff member as the loaders see a signed-in one, for the bench workers that time a page's
// loader in-process (the session lookup, one primary-key read, left out).

export type BenchUser = Actor["user"];

/** The staff member with this e-mail and their regions, from the benchmark's database. */
export async function benchUser(email: string): Promise<BenchUser> {
  const staff = await db.staffUser.findUniqueOrThrow({ where: { email }, include: { regions: true } });
  return { id: staff.id, email: staff.email, displayName: staff.displayName, role: staff.role, regions: staff.regions.map((region) => region.regionCode), totpEnrolledAt: null };
}

/** An actor for the user, with their ability compiled now (a loader compiles it on every request). */
export function benchActor(user: BenchUser): Actor {
  return {
    sessionId: "bench",
    user,
    ability: defineAbilityFor(user),
    meta: { requestId: "bench", ipAddress: "127.0.0.1", userAgent: "bench" },
    audit: { actorType: "staff", actorId: user.id, actorLabel: user.email, actorRole: user.role, requestId: null, ipAddress: null },
    regionFilter: user.regions,
  };
}
