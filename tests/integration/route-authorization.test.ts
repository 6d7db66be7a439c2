import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ensureAppBuild, startAppServer, type AppServer } from "../support/app-server";
import { rootDir } from "../support/paths";
import { fixturePassword, personas, type PersonaName } from "../fixtures/staff";
import { http, signInOverHttp, type HttpResult } from "./helpers/http";
import { everyone, expectedOutcome, routeAccess, type RouteCheck, type Spec, type Who } from "./route-access";
import { fixtureEvents, fixtureIds } from "../fixtures/ids";

// The authorization walk: every route of the production build, as every role, over real HTTP.
// A layout's check protects nothing (DESIGN.md §5), so each URL is asked directly, the way a typed
// URL, a bookmark or a script would ask it.

const routesDir = path.join(rootDir, "app", "routes");
const personaNames = Object.keys(personas) as PersonaName[];

/** Route modules as Remix sees them: files (minus tests) and folders with a route module inside. */
function routeModules() {
  return fs
    .readdirSync(routesDir, { withFileTypes: true })
    .filter((entry) => (entry.isDirectory() ? true : /\.(tsx?|jsx?|mdx?)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)))
    .map((entry) => entry.name)
    .sort();
}

function hasAction(file: string) {
  const full = path.join(routesDir, file);
  const source = fs.statSync(full).isDirectory()
    ? fs.readdirSync(full).filter((name) => /^route\.(tsx?|jsx?)$/.test(name)).map((name) => fs.readFileSync(path.join(full, name), "utf8")).join("\n")
    : fs.readFileSync(full, "utf8");
  return /export\s+(async\s+)?function\s+action\b|export\s+const\s+action\b/.test(source);
}

let server: AppServer;
const cookies = {} as Record<PersonaName, string>;

beforeAll(async () => {
  const buildRoot = ensureAppBuild((line) => console.log(`[route walk] ${line}`));
  server = await startAppServer(inject("databaseUrl"), { name: "route-walk", buildRoot, signingKey: inject("signingKey") });
  for (const name of personaNames) cookies[name] = await signInOverHttp(server.origin, personas[name].email, fixturePassword);
  // The checkpoint worker signs the ledger within about a second of new events; the proof routes
  // below need one signed checkpoint to exist.
  const deadline = Date.now() + 20_000;
  while ((await http(server.origin, "/api/v1/audit/checkpoints/latest", { cookie: cookies.auditor })).status !== 200) {
    if (Date.now() > deadline) throw new Error("no signed checkpoint appeared within 20 s of starting the server");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 300_000);

afterAll(async () => {
  await server?.stop();
});

describe("the route-access table", () => {
  it("covers every route file under app/routes", () => {
    const declared = new Set(routeAccess.map((entry) => entry.file));
    const missing = routeModules().filter((file) => !declared.has(file));
    expect(
      missing,
      `These route files have no entry in tests/integration/route-access.ts. Add one line per route stating, with a real ` +
        `fixture URL, what anonymous visitors and each role get (GET, and POST where the route has an action):\n  ${missing.join("\n  ")}`,
    ).toEqual([]);
  });

  it("has no entries for route files that no longer exist", () => {
    const existing = new Set(routeModules());
    expect(routeAccess.map((entry) => entry.file).filter((file) => !existing.has(file))).toEqual([]);
  });

  it("states POST outcomes for every route with an action", () => {
    const withPost = new Set(routeAccess.filter((entry) => entry.post).map((entry) => entry.file));
    const missing = routeModules().filter((file) => hasAction(file) && !withPost.has(file));
    expect(missing, `These routes export an action but route-access.ts states no POST outcomes for them:\n  ${missing.join("\n  ")}`).toEqual([]);
  });
});

/** A forbidden answer must say which permission is missing (STYLE.md "Errors are for people"). */
function namesMissingPermission(result: HttpResult) {
  if ((result.headers.get("content-type") ?? "").includes("application/json")) {
    return /"missingPermission"\s*:\s*"[^"]+"/.test(result.body);
  }
  return /data-testid="missing-permission"[^>]*>[^<]+</.test(result.body);
}

async function walk(entry: RouteCheck, method: "GET" | "POST", spec: Spec) {
  const mismatches: string[] = [];
  for (const who of everyone as Who[]) {
    const expected = expectedOutcome(spec, who, entry.url);
    let cookie: string | null = who === "anonymous" ? null : cookies[who];
    if (who !== "anonymous" && method === "POST" && entry.post?.freshSession) {
      cookie = await signInOverHttp(server.origin, personas[who].email, fixturePassword);
    }
    const result = await http(server.origin, entry.url, { method, cookie, form: method === "POST" ? entry.post!.form : undefined });
    if (result.outcome !== expected) {
      mismatches.push(`${who}: expected ${expected}, got ${result.outcome}${result.status >= 500 ? ` (${result.body.slice(0, 200).replace(/\s+/g, " ")})` : ""}`);
    } else if (expected === "403" && !namesMissingPermission(result)) {
      mismatches.push(`${who}: got 403 but the response does not name the missing permission`);
    }
  }
  return mismatches;
}

function itWalksPost(entry: RouteCheck) {
  it(`POST ${entry.url} (${entry.file})`, async () => {
    const mismatches = await walk(entry, "POST", entry.post!.expect);
    expect(mismatches, `POST ${entry.url}:\n  ${mismatches.join("\n  ")}`).toEqual([]);
  });
}

describe("every route answers each role as declared", () => {
  for (const entry of routeAccess) {
    it(`GET ${entry.url} (${entry.file})`, async () => {
      const mismatches = await walk(entry, "GET", entry.get);
      expect(mismatches, `GET ${entry.url}:\n  ${mismatches.join("\n  ")}`).toEqual([]);
    });
    if (entry.post && !entry.post.startsBackgroundWork) itWalksPost(entry);
  }
});

describe("a record outside the viewer's scope answers exactly like a missing one (issue 13)", () => {
  // [persona, URL of a real record outside their scope, URL of the same route with a missing id]
  const pairs: [PersonaName, string, string][] = [
    ["opsSe", `/decisions/${fixtureIds.decisions.deReferred}`, `/decisions/${fixtureIds.missing}`],
    ["fraud", `/decisions/${fixtureIds.decisions.ukDeclined}`, `/decisions/${fixtureIds.missing}`],
    ["opsSe", `/decisions/${fixtureIds.decisions.ukDeclined}/notice`, `/decisions/${fixtureIds.missing}/notice`],
    ["opsSe", `/customers/${fixtureIds.customers.DE}`, `/customers/${fixtureIds.missing}`],
    ["opsSe", `/rulesets/${fixtureIds.ruleSetVersions.deSubmitted}`, `/rulesets/${fixtureIds.missing}`],
    ["opsSe", `/audit/${fixtureEvents.dePersonalDataRead}`, "/audit/987654321"],
    ["fraud", `/audit/${fixtureEvents.dePersonalDataRead}`, "/audit/987654321"],
    ["admin", `/audit/${fixtureEvents.dePersonalDataRead}`, "/audit/987654321"],
    ["dpo", `/audit/${fixtureEvents.staffAccountUpdated}`, "/audit/987654321"],
    // A role without the permission at all gets the same 403 for every id.
    ["admin", `/decisions/${fixtureIds.decisions.seDeclined}`, `/decisions/${fixtureIds.missing}`],
    ["admin", `/customers/${fixtureIds.customers.SE}`, `/customers/${fixtureIds.missing}`],
    ["fraud", `/privacy/${fixtureIds.privacyRequests.seAccess}`, `/privacy/${fixtureIds.missing}`],
    ["fraud", `/privacy/${fixtureIds.privacyRequests.deErasure}/erasure`, `/privacy/${fixtureIds.missing}/erasure`],
    ["fraud", `/decisions/${fixtureIds.decisions.ukDeclined}/notice`, `/decisions/${fixtureIds.missing}/notice`],
    ["opsSe", `/admin/staff/${personas.auditor.id}`, `/admin/staff/${fixtureIds.missing}`],
  ];

  /** The answer with what legitimately differs per request (the path asked for, nonces, ids) blanked. */
  function normalised(body: string, path: string) {
    return body
      .replaceAll(path, "<path>")
      .replace(/nonce="[^"]*"/g, 'nonce=""')
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>");
  }

  for (const [who, outside, missing] of pairs) {
    for (const suffix of ["", ".data"]) {
      it(`${who}: ${outside}${suffix} is indistinguishable from ${missing}${suffix}`, async () => {
        const [a, b] = [await http(server.origin, `${outside}${suffix}`, { cookie: cookies[who] }), await http(server.origin, `${missing}${suffix}`, { cookie: cookies[who] })];
        expect(a.status).toBe(b.status);
        expect([403, 404]).toContain(a.status);
        expect(a.headers.get("content-type")).toBe(b.headers.get("content-type"));
        expect(normalised(a.body, outside)).toBe(normalised(b.body, missing));
        // No region names in the answer beyond what the page shell shows to everyone.
        expect(a.body).not.toMatch(/region (SE|DE|NL|UK|US|AU)\b/);
      });
    }
  }
});

describe("actions that start background work (walked last)", () => {
  for (const entry of routeAccess.filter((candidate) => candidate.post?.startsBackgroundWork)) itWalksPost(entry);

  it("lets the ledger verifications started above finish, with the database still answering", async () => {
    const { db } = await import("~/utils/db.server");
    const deadline = Date.now() + 60_000;
    let running = -1;
    while (Date.now() < deadline) {
      running = await Promise.race([
        db.ledgerVerification.count({ where: { state: "running" } }),
        new Promise<number>((_, reject) => setTimeout(() => reject(new Error("the database gave no answer within 10 s while a ledger verification ran")), 10_000)),
      ]);
      if (running === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(running, "ledger verifications still running after 60 s").toBe(0);
    expect((await http(server.origin, "/healthz")).status).toBe(200);
  }, 90_000);
});
