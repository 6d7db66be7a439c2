import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { db } from "~/utils/db.server";
import { requireApiCaller } from "~/modules/access/api-tokens.server";
import { demoTokenName, issueDemoApiToken } from "../../prisma/seed/demo-token";
import { eventsSince, ledgerSize } from "./helpers/ledger";

// The demo seed's API token: issued over the seed's own pg connection, through the one ledger entry
// point, and the secret it prints is the one that works.
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });

afterAll(async () => {
  await client.end().catch(() => {});
});

function bearer(secret: string) {
  return new Request("http://attest.test/api/v1/decisions", { method: "POST", headers: { Authorization: `Bearer ${secret}` } });
}

describe("the demo API token", () => {
  it("works once issued, is ledgered, and replaces the previous one", async () => {
    await client.connect();
    const before = await ledgerSize();
    const first = await issueDemoApiToken(client);
    const caller = await requireApiCaller(bearer(first.secret), "decisions:write");
    expect(caller.regions.slice().sort()).toEqual(first.regions.slice().sort());
    expect((await eventsSince(before)).map((event) => event.action)).toEqual(["api_token.created"]);

    const middle = await ledgerSize();
    const second = await issueDemoApiToken(client);
    expect((await eventsSince(middle)).map((event) => event.action)).toEqual(["api_token.revoked", "api_token.created"]);
    await expect(requireApiCaller(bearer(first.secret), "decisions:write")).rejects.toMatchObject({ status: 401 });
    await requireApiCaller(bearer(second.secret), "decisions:write");
    expect(await db.apiToken.count({ where: { name: demoTokenName, revokedAt: null } })).toBe(1);
  });
});
