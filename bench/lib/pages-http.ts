import http from "node:http";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import * as openpgp from "openpgp";
import { ensureAppBuild, startAppServer, type AppServer } from "../../tests/support/app-server";
import { demoPassword } from "../../prisma/seed/demo-staff";
import type { BenchContext, Measurement } from "./measurement";
import { referenceBook } from "./reference-book";

// Pages measured from outside (issue 10 "Speed"): the production build served by server.ts on a copy of
// the million-decision reference book, signed in as the compliance officer (all six regions), driven by
// RATE evenly spaced requests a second over at most CONNECTIONS connections (drive()). Each run drives the decision explorer's
// first page (the floor), the home page and /decisions/oversight one after the other for SECONDS each,
// and records the response time of every request, so the p50 and p95 are exact. The pages measured by one run share its load, so the ratio to the explorer
// is what compares across machines.
//
// Signing in writes a session, and a server activates its ledger signing key: so the server runs on a
// copy of the reference book (CREATE DATABASE … TEMPLATE, a minute once per bench run), dropped when the
// bench ends, and the reference book itself is only read. The server's clock is set to the book's
// anchor (book-clock.mjs), so the pages show the book's last 30 and 90 days as a user would see them.

const RATE = 10;
const CONNECTIONS = 8;
const SECONDS = 20;
const QUICK_SECONDS = 5;
// Untimed traffic on each page before the first run: a new server compiles its code paths and a fresh
// copy of the book has an empty buffer cache.
const WARMUP_SECONDS = 10;
const RUNS = 3;
const PERSONA = "compliance@attest.test";

export const pages = {
  explorer: { path: "/decisions", label: "decision explorer, first page" },
  home: { path: "/", label: "home page" },
  oversight: { path: "/decisions/oversight", label: "human oversight (last 90 days)" },
} as const;
type PageName = keyof typeof pages;

export interface PageStats {
  requests: number;
  p50: number;
  p95: number;
}
type RunResult = Record<PageName, PageStats> & { loadAverage: number };

interface Session {
  server: AppServer;
  cookie: string;
  close(): Promise<void>;
}

let session: Promise<Session> | null = null;
let idleTimer: NodeJS.Timeout | undefined;
// The runs are shared by the page measurements, which the harness calls one after another: the server
// stays up between them and is stopped (its copy dropped) once no run has been asked for this long.
const IDLE_CLOSE_MS = 5_000;
const runs: RunResult[] = [];

function withDatabase(url: string, database: string) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function admin<T>(adminUrl: string, use: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** CREATE DATABASE … TEMPLATE needs the reference book without other sessions: retries while others read it. */
async function copyReference(context: BenchContext, referenceUrl: string, copyName: string) {
  const adminUrl = withDatabase(referenceUrl, "postgres");
  const referenceName = decodeURIComponent(new URL(referenceUrl).pathname.slice(1));
  const deadline = Date.now() + 5 * 60_000;
  await admin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${copyName}" WITH (FORCE)`));
  context.log(`copying ${referenceName} to ${copyName} for the page server`);
  for (;;) {
    try {
      await admin(adminUrl, (client) => client.query(`CREATE DATABASE "${copyName}" TEMPLATE "${referenceName}"`));
      return adminUrl;
    } catch (error) {
      const isBusy = error instanceof Error && /being accessed by other users/.test(error.message);
      if (!isBusy || Date.now() > deadline) throw new Error(`could not copy ${referenceName} to ${copyName}: ${error instanceof Error ? error.message : String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
  }
}

async function signIn(origin: string, email: string) {
  const response = await fetch(`${origin}/login`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: origin },
    body: new URLSearchParams({ email, password: demoPassword, redirectTo: "/" }).toString(),
    redirect: "manual",
  });
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  if (response.status !== 302 || !cookie) throw new Error(`signing in as ${email} failed: HTTP ${response.status}\n${(await response.text()).slice(0, 500)}`);
  return cookie;
}

/**
 * A checkpoint signing key made before the server's (moved) clock: a key created today would carry a
 * self-signature "in the future" for a server living on the book's anchor, and every checkpoint would fail.
 */
async function signingKeyAt(date: Date) {
  const { privateKey } = await openpgp.generateKey({
    type: "ecc",
    curve: "ed25519Legacy",
    userIDs: [{ name: "Attest bench ledger", email: "ledger@attest.invalid" }],
    format: "armored",
    date,
  });
  return privateKey;
}

async function startSession(context: BenchContext): Promise<Session> {
  const referenceUrl = await context.referenceDatabase();
  const copyName = `${decodeURIComponent(new URL(referenceUrl).pathname.slice(1))}_pages`;
  const adminUrl = await copyReference(context, referenceUrl, copyName);
  const copyUrl = withDatabase(referenceUrl, copyName);
  const buildRoot = ensureAppBuild(context.log);
  const clock = path.resolve("bench/lib/book-clock.mjs");
  const port = process.env.BENCH_PAGES_PORT ? Number(process.env.BENCH_PAGES_PORT) : undefined;
  // A server left on a pinned port would answer the health check in place of the new one.
  if (port && (await fetch(`http://127.0.0.1:${port}/healthz`).then(() => true, () => false))) throw new Error(`BENCH_PAGES_PORT ${port} is already in use`);
  const server = await startAppServer(copyUrl, {
    name: "bench-pages",
    buildRoot,
    // BENCH_PAGES_PORT pins the port (a shared machine hands out port ranges); otherwise a free one.
    port,
    signingKey: await signingKeyAt(new Date(Date.parse(referenceBook.now) - 86_400_000)),
    env: {
      DATABASE_POOL_SIZE: "10",
      BENCH_CLOCK_AT: referenceBook.now,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${clock}`.trim(),
    },
  });
  // A bench that fails half-way still stops its server (the copy is dropped by the next run).
  const stopOnExit = () => void server.stop();
  process.once("exit", stopOnExit);
  const close = async () => {
    process.removeListener("exit", stopOnExit);
    await server.stop();
    await admin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${copyName}" WITH (FORCE)`));
    context.log(`pages: server stopped, ${copyName} dropped`);
  };
  const cookie = await signIn(server.origin, PERSONA);
  // Every page must answer 200 before anything is timed (a redirect to /login would be fast and wrong).
  for (const page of Object.values(pages)) {
    const response = await fetch(`${server.origin}${page.path}`, { headers: { Cookie: cookie }, redirect: "manual" });
    if (response.status !== 200) throw new Error(`${page.path} answered HTTP ${response.status} (see ${server.logFile})`);
  }
  for (const page of Object.values(pages)) await drive(server.origin, cookie, page.path, context.isQuick ? 3 : WARMUP_SECONDS);
  return { server, cookie, close };
}

function percentile(sorted: number[], fraction: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/**
 * RATE requests a second, evenly spaced (one every 1000 / RATE ms, open loop), over at most CONNECTIONS
 * kept-alive connections: users arriving independently, as the issue's "10 requests/s at 8 concurrent
 * users" describes. Each response time runs from the moment its request was due to the last byte of the
 * page, so time spent waiting for a free connection counts (no coordinated omission). autocannon's
 * `overallRate` is not used: it gives each connection a whole number of requests per second and resets
 * every connection's allowance on the same one-second tick, so the 10 requests leave together as a burst
 * and the measurement becomes the queueing of that burst in the server.
 */
async function drive(origin: string, cookie: string, pagePath: string, seconds: number): Promise<PageStats> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const target = new URL(pagePath, origin);
  const times: number[] = [];
  const failures: string[] = [];
  const request = (dueAt: number) =>
    new Promise<void>((resolve) => {
      const outgoing = http.get(target, { agent, headers: { cookie, accept: "text/html" }, timeout: 30_000 }, (response) => {
        response.resume();
        response.on("end", () => {
          if (response.statusCode === 200) times.push(performance.now() - dueAt);
          else failures.push(`HTTP ${response.statusCode}`);
          resolve();
        });
      });
      outgoing.on("timeout", () => outgoing.destroy(new Error("timed out after 30 s")));
      outgoing.on("error", (error) => {
        failures.push(error.message);
        resolve();
      });
    });
  const interval = 1000 / RATE;
  const startedAt = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let index = 0; index < seconds * RATE; index++) {
    const dueAt = startedAt + index * interval;
    const wait = dueAt - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(request(dueAt));
  }
  await Promise.all(inFlight);
  agent.destroy();
  if (failures.length > 0 || times.length === 0) throw new Error(`${pagePath}: ${failures.length} of ${seconds * RATE} requests failed (${[...new Set(failures)].slice(0, 3).join("; ")})`);
  const sorted = [...times].sort((a, b) => a - b);
  return { requests: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
}

/** Run `index` (0-based) of the shared session: the three pages one after the other, measured once. */
async function runAt(context: BenchContext, index: number) {
  clearTimeout(idleTimer);
  try {
    while (runs.length <= index) {
      session ??= startSession(context);
      const { server, cookie } = await session;
      const seconds = context.isQuick ? QUICK_SECONDS : SECONDS;
      const loadAverage = Math.round(os.loadavg()[0]! * 10) / 10;
      const result = { loadAverage } as RunResult;
      for (const name of Object.keys(pages) as PageName[]) {
        result[name] = await drive(server.origin, cookie, pages[name].path, seconds);
        context.log(`pages: run ${runs.length + 1} ${name} p50 ${result[name].p50.toFixed(1)} ms, p95 ${result[name].p95.toFixed(1)} ms (${result[name].requests} requests, load ${loadAverage})`);
      }
      runs.push(result);
    }
  } finally {
    idleTimer = setTimeout(() => {
      const closing = session;
      session = null;
      void closing?.then((open) => open.close());
    }, IDLE_CLOSE_MS);
  }
  return runs[index]!;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The p95 of one page per run, with the explorer's first page of the same run as its floor. */
export function pageMeasurement(name: Exclude<PageName, "explorer">): Measurement {
  let measured = 0;
  let floored = 0;
  return {
    name: `pages.${name}-http`,
    description:
      `${pages[name].label} (${pages[name].path}) p95 over HTTP: production build on a copy of the 1,000,000-decision reference book, ` +
      `compliance officer (all six regions), ${RATE} evenly spaced requests/s over at most ${CONNECTIONS} connections for ${SECONDS} s per run (clock at the book's anchor).`,
    runs: RUNS,
    async measure(context) {
      return (await runAt(context, measured++))[name].p95;
    },
    floor: {
      name: "explorer.first-page-http",
      description: `The decision explorer's first page (${pages.explorer.path}) in the same run, same rate and connections: p95.`,
      async measure(context) {
        return (await runAt(context, floored++)).explorer.p95;
      },
    },
    notes() {
      const mine = runs.slice(0, measured);
      if (mine.length === 0) return "";
      return (
        `p50 ${median(mine.map((run) => run[name].p50)).toFixed(1)} ms vs explorer ${median(mine.map((run) => run.explorer.p50)).toFixed(1)} ms; ` +
        `p95 ${median(mine.map((run) => run[name].p95)).toFixed(1)} ms vs explorer ${median(mine.map((run) => run.explorer.p95)).toFixed(1)} ms; ` +
        `per run p95 ${mine.map((run) => `${run[name].p95.toFixed(0)}/${run.explorer.p95.toFixed(0)}`).join(", ")} ms (page/explorer), ` +
        `requests per page and run ${mine.map((run) => run[name].requests).join(", ")}, load average ${mine.map((run) => run.loadAverage).join(", ")}`
      );
    },
  };
}
