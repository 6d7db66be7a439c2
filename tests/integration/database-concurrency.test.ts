import { describe, expect, inject, it } from "vitest";
import { db } from "~/utils/db.server";

// Pages read with several queries at once (Promise.all) while other requests and the checkpoint
// worker hold short transactions. Every answer must belong to its own query — on PostgreSQL and on
// the embedded PGlite server alike (DESIGN.md §2: "connects to it exactly as to a real server").

describe(`the ${inject("databaseKind")} database under concurrent use`, () => {
  it("answers parallel reads correctly while another connection is inside a transaction", async () => {
    const stopAt = Date.now() + 3_000;
    const failures: string[] = [];
    let rounds = 0;
    const writer = (async () => {
      while (Date.now() < stopAt) {
        await db.$transaction(async (tx) => {
          await tx.$queryRaw`SELECT pg_try_advisory_xact_lock(4242) AS locked`;
          await tx.region.count();
        });
      }
    })();
    const reader = (async () => {
      while (Date.now() < stopAt) {
        rounds++;
        try {
          const [regions, staff, first] = await Promise.all([
            db.region.count({ where: { code: { in: ["SE", "DE", "NL"] } } }),
            db.staffUser.count({ where: { email: { endsWith: "@attest.test" }, isActive: true } }),
            db.region.findFirst({ where: { code: "SE" }, select: { currency: true } }),
          ]);
          if (regions !== 3 || staff < 6 || first?.currency !== "SEK") failures.push(`wrong answer: ${regions}, ${staff}, ${JSON.stringify(first)}`);
        } catch (error) {
          failures.push(String(error instanceof Error ? error.message : error).split("\n").filter((line) => line.includes("Message") || line.includes("TypeError") || line.includes("Cannot")).join(" ") || String(error).slice(0, 200));
        }
      }
    })();
    await Promise.all([writer, reader]);
    expect(rounds).toBeGreaterThan(10);
    expect(failures.slice(0, 3), `${failures.length} of ${rounds} rounds of parallel reads failed`).toEqual([]);
  });
});
