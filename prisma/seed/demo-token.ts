// A demo API token for the decision engine (README "Ingesting decisions"), printed by the seed in demo
// mode only (ATTEST_DEMO, or no DATABASE_URL). Each call issues a fresh secret and revokes the previous
// demo token, so the one on screen is the one that works. Stored hashed like any token and recorded
// in the ledger as an administrator's token would be.
//
//   npx tsx prisma/seed/demo-token.ts        print a fresh demo token (demo mode only)
import crypto from "node:crypto";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { appendAuditEvent, systemAuditContext } from "~/modules/audit/ledger.server";
import { startEmbeddedDatabase } from "~/utils/embedded-db.server";
import { parseEnv } from "~/utils/env.server";
import type { Tx } from "~/utils/db.server";
import { regionPolicies } from "~/modules/access/regions.server";

export const demoTokenName = "demo-decision-engine";
const demoScopes = ["decisions:write", "outcomes:write"];

/** Prisma's tagged-template $queryRaw over a pg client, so the seed appends through the one ledger entry point. */
function ledgerTransaction(client: pg.ClientBase): Tx {
  const run = (strings: TemplateStringsArray, values: unknown[]) => {
    const text = strings.slice(1).reduce((sql, part, index) => `${sql}$${index + 1}${part}`, strings[0]!);
    return client.query(text, values);
  };
  return {
    $queryRaw: async (strings: TemplateStringsArray, ...values: unknown[]) => (await run(strings, values)).rows,
    $executeRaw: async (strings: TemplateStringsArray, ...values: unknown[]) => (await run(strings, values)).rowCount ?? 0,
  } as unknown as Tx;
}

export async function issueDemoApiToken(client: pg.ClientBase) {
  const prefix = crypto.randomBytes(4).toString("hex");
  const secret = `att_${prefix}_${crypto.randomBytes(24).toString("base64url")}`;
  const regions = regionPolicies.map((region) => region.code);
  const context = { ...systemAuditContext, actorLabel: "seed (demo mode)" };
  await client.query("BEGIN");
  try {
    const admin = await client.query<{ id: string }>("SELECT id FROM staff_user WHERE role = 'admin' AND is_active ORDER BY email LIMIT 1");
    if (!admin.rows[0]) throw new Error("no administrator to own the demo token; run the seed first");
    const revoked = await client.query<{ id: string }>(
      "UPDATE api_token SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING id",
      [demoTokenName],
    );
    const created = await client.query<{ id: string }>(
      `INSERT INTO api_token (id, name, token_hash, prefix, regions, scopes, created_by_id)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6) RETURNING id`,
      [demoTokenName, crypto.createHash("sha256").update(secret).digest("hex"), prefix, regions, demoScopes, admin.rows[0].id],
    );
    const tx = ledgerTransaction(client);
    for (const row of revoked.rows) {
      await appendAuditEvent(tx, context, { action: "api_token.revoked", subjectType: "ApiToken", subjectId: row.id, justification: "replaced by a fresh demo token" });
    }
    await appendAuditEvent(tx, context, {
      action: "api_token.created",
      subjectType: "ApiToken",
      subjectId: created.rows[0]!.id,
      changes: { after: { name: demoTokenName, prefix, scopes: demoScopes, regions } },
    });
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
  return { secret, regions, scopes: demoScopes };
}

export function printDemoToken(token: { secret: string; regions: string[]; scopes: string[] }, port = process.env.PORT ?? "3000") {
  console.log(
    [
      "",
      `Demo API token (${token.scopes.join(", ")}; regions ${token.regions.join(", ")}) — demo data only, shown once:`,
      `  ${token.secret}`,
      `  curl -X POST http://localhost:${port}/api/v1/decisions -H "Authorization: Bearer ${token.secret}" \\`,
      `       -H "Content-Type: application/x-ndjson" --data-binary @docs/examples/decisions.ndjson`,
    ].join("\n"),
  );
}

async function main() {
  const env = parseEnv(process.env);
  const isDemo = env.ATTEST_DEMO ?? !env.DATABASE_URL;
  if (!isDemo) {
    console.error("demo-token: refused outside demo mode (set ATTEST_DEMO=true on a demo database); create real tokens under Admin → API tokens");
    process.exit(2);
  }
  const embedded = env.DATABASE_URL ? null : await startEmbeddedDatabase({ dataDir: env.EMBEDDED_DB_DIR, port: env.EMBEDDED_DB_PORT });
  const client = new pg.Client({ connectionString: env.DATABASE_URL ?? embedded!.url });
  try {
    await client.connect();
    printDemoToken(await issueDemoApiToken(client));
  } finally {
    await client.end().catch(() => {});
    await embedded?.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
