import fs from "node:fs";
import path from "node:path";
import { ensureAppBuild, generateTestSigningKey, startAppServer, type AppServer } from "../../tests/support/app-server";
import { findFreePort } from "../../tests/support/free-port";
import { demoPassword } from "../../prisma/seed/demo-staff";
import { elapsedSince, type BenchContext, type Measurement } from "../lib/measurement";
import { runCommand } from "../lib/processes";

// The five dashboard pages on the embedded demo database (issue 10: each ≤ 500 ms at 20,000
// decisions): the `npm run demo` path with DATABASE_URL unset — migrations and the default seed into a
// fresh PGlite directory, the production build served by server.ts on it — signed in as the compliance
// officer (every region, every dashboard). A request is timed from sending it to the last byte of its
// full HTML (the loader, server rendering and the document). Each run asks every page REQUESTS times,
// the pages taken in turn so that a burst of load falls on all of them, after two unmeasured rounds;
// the run's result is the slowest page's p95. The floor is the decision explorer's first page asked the
// same way on the same server: a page that reads the raw table through its indexes.
// Ports: free ones, or BENCH_PORT_BASE and the next one when set.

const REQUESTS = 20;
const WARM_UP_ROUNDS = 2;
const pages = ["risk", "fraud", "model", "fairness", "operations"].map((name) => ({ name, path: `/dashboards/${name}` }));
const floorPage = { name: "explorer", path: "/decisions" };

let server: AppServer | null = null;
let dataDir: string | null = null;
let cookie = "";
const perRun: Map<string, number[]>[] = [];
const floorRuns: number[][] = [];
let floorIndex = 0;

function environment(context: BenchContext, embeddedPort: number): Record<string, string> {
  return { EMBEDDED_DB_DIR: dataDir!, EMBEDDED_DB_PORT: String(embeddedPort), ATTEST_DEMO: "true", LOG_LEVEL: "warn", SESSION_SECRET: "bench-only-session-secret-0123456789abcdef" };
}

function withoutDatabaseUrl(env: Record<string, string>) {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  delete merged.DATABASE_URL;
  return merged as Record<string, string>;
}

async function timedGet(pagePath: string) {
  const startedAt = process.hrtime.bigint();
  const response = await fetch(`${server!.origin}${pagePath}`, { headers: { Cookie: cookie, Accept: "text/html" }, redirect: "manual" });
  const body = await response.text();
  const ms = elapsedSince(startedAt);
  if (response.status !== 200) throw new Error(`GET ${pagePath} answered ${response.status}:\n${body.slice(0, 500)}`);
  if (!body.includes("</html>")) throw new Error(`GET ${pagePath} sent no complete HTML document`);
  return ms;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

async function askInTurn(list: { path: string }[], rounds: number) {
  const times = new Map<string, number[]>(list.map((page) => [page.path, []]));
  for (let round = 0; round < rounds; round++) for (const page of list) times.get(page.path)!.push(await timedGet(page.path));
  return times;
}

const demoPages: Measurement = {
  name: "dashboards.demo-pages",
  description:
    `Slowest p95 of the five dashboard pages (${REQUESTS} full HTML responses each per run, pages in turn) on the embedded demo database ` +
    "(PGlite, default seed of 20,000 decisions, production build, no DATABASE_URL), compliance officer (target ≤ 500 ms each).",
  runs: 3,
  async setup(context) {
    const base = process.env.BENCH_PORT_BASE ? Number(process.env.BENCH_PORT_BASE) : null;
    const embeddedPort = base ?? (await findFreePort());
    dataDir = fs.mkdtempSync(path.join(path.resolve(context.cacheDir), "demo-pglite-"));
    const env = withoutDatabaseUrl(environment(context, embeddedPort));
    context.log("dashboards.demo-pages: migrating and seeding an embedded demo database (20,000 decisions)");
    await runCommand("node", ["--experimental-wasm-modules", "--import", "tsx", "scripts/db-migrate.ts"], { env, label: "migrating the embedded database" });
    await runCommand("npx", ["tsx", "prisma/seed/index.ts"], { env, label: "seeding the embedded database" });
    const buildRoot = ensureAppBuild(context.log);
    server = await startAppServer(null, {
      name: "bench-demo-pages",
      buildRoot,
      signingKey: await generateTestSigningKey(),
      port: base ? base + 1 : undefined,
      env: { ...environment(context, embeddedPort), EMBEDDED_DB_DIR: dataDir },
    });
    const login = await fetch(`${server.origin}/login`, {
      method: "POST",
      headers: { Origin: server.origin, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: "compliance@attest.test", password: demoPassword, redirectTo: "/" }),
      redirect: "manual",
    });
    const setCookie = login.headers.get("set-cookie");
    if (login.status !== 302 || !setCookie) throw new Error(`signing in as the compliance officer failed (${login.status})`);
    cookie = setCookie.split(";")[0]!;
    await askInTurn([...pages, floorPage], WARM_UP_ROUNDS);
  },
  async measure() {
    const times = await askInTurn([...pages, floorPage], REQUESTS);
    floorRuns.push(times.get(floorPage.path)!);
    times.delete(floorPage.path);
    perRun.push(times);
    return Math.max(...[...times.values()].map((values) => percentile(values, 95)));
  },
  floor: {
    name: "explorer.first-page",
    description: "p95 of the decision explorer's first page (/decisions), asked in turn with the dashboards on the same server.",
    async measure() {
      return percentile(floorRuns[floorIndex++ % floorRuns.length]!, 95);
    },
  },
  notes() {
    if (perRun.length === 0) return "";
    return pages
      .map((page) => {
        const all = perRun.flatMap((run) => run.get(page.path)!);
        return `${page.name} p50 ${percentile(all, 50).toFixed(0)} ms, p95 ${percentile(all, 95).toFixed(0)} ms`;
      })
      .join("; ");
  },
  async teardown() {
    await server?.stop();
    server = null;
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    dataDir = null;
  },
};

export default demoPages;
