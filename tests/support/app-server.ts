import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as openpgp from "openpgp";
import { findFreePort } from "./free-port";
import { databaseEnv } from "./test-database";
import { artifactsDir, policiesDir, rootDir } from "./paths";

// The production build of the app, served by server.ts exactly as `npm start` does, for the HTTP
// authorization walk and the browser journeys. Builds are keyed by their sources and kept under
// tests/.artifacts/builds/<key>/build (see vite.build.config.ts); a server runs with its build's
// directory as working directory. So a run never serves a bundle another run in the same checkout is
// rebuilding, and a build is made once per source state, whichever suite asks first.

const buildsDir = path.join(artifactsDir, "builds");
const buildInputs = ["app", "prisma/seed/demo-staff.ts", "remix.config.js", "vite.config.ts", "package.json", "package-lock.json", "tests/support/vite.build.config.ts"];
// Builds of other source states are removed once this old (a run still using one is long over).
const STALE_BUILD_MS = 2 * 3600_000;

function fingerprintInto(hash: crypto.Hash, entry: string) {
  const stat = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isDirectory()) {
    for (const child of fs.readdirSync(entry).sort()) fingerprintInto(hash, path.join(entry, child));
  } else if (!/\.test\.tsx?$/.test(entry)) {
    hash.update(`${path.relative(rootDir, entry)}:${stat.size}:${stat.mtimeMs}\n`);
  }
}

function buildKey() {
  const hash = crypto.createHash("sha1");
  for (const input of buildInputs) fingerprintInto(hash, path.join(rootDir, input));
  return hash.digest("hex").slice(0, 16);
}

function removeStaleBuilds(keep: string) {
  for (const name of fs.existsSync(buildsDir) ? fs.readdirSync(buildsDir) : []) {
    const dir = path.join(buildsDir, name);
    if (name !== keep && Date.now() - fs.statSync(dir).mtimeMs > STALE_BUILD_MS) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The directory holding `build/` for the current sources, building it first if needed. */
export function ensureAppBuild(log: (line: string) => void = console.log): string {
  const key = buildKey();
  const root = path.join(buildsDir, key);
  if (fs.existsSync(path.join(root, "build", "server", "index.js"))) {
    log(`app build is up to date (tests/.artifacts/builds/${key})`);
    return root;
  }
  const staging = `${root}.tmp-${process.pid}`;
  log(`building the app (remix vite:build → tests/.artifacts/builds/${key})…`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [path.join(rootDir, "node_modules", "@remix-run", "dev", "dist", "cli.js"), "vite:build", "--config", "tests/support/vite.build.config.ts"], {
    cwd: rootDir,
    env: { ...process.env, NODE_ENV: "production", ATTEST_TEST_BUILD_DIR: path.relative(rootDir, path.join(staging, "build")) },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error(`remix vite:build failed (exit ${result.status}):\n${(result.stdout + result.stderr).split("\n").filter((line) => !line.startsWith("    '")).slice(0, 60).join("\n")}`);
  }
  try {
    fs.renameSync(staging, root);
  } catch {
    // Another run finished the same build first: use theirs.
    fs.rmSync(staging, { recursive: true, force: true });
  }
  removeStaleBuilds(key);
  log(`app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return root;
}

export interface AppServer {
  origin: string;
  port: number;
  logFile: string;
  stop(): Promise<void>;
}

export const testSessionSecret = "attest-test-session-secret-0123456789abcdef";

/**
 * Environment of the test server: production mode, MFA off (TOTP is tested in integration), no demo
 * hints. A null database URL leaves DATABASE_URL unset: the server opens the embedded database (as
 * `npm run demo` does), in EMBEDDED_DB_DIR.
 */
export function appServerEnv(databaseUrl: string | null, port: number, extra: Record<string, string> = {}) {
  const env = databaseEnv(databaseUrl ?? "", {
    NODE_ENV: "production",
    PORT: String(port),
    SESSION_SECRET: testSessionSecret,
    AUTH_REQUIRE_MFA: "false",
    ATTEST_POLICIES_DIR: policiesDir,
    DATABASE_POOL_SIZE: "5",
    LOG_LEVEL: "warn",
    ...extra,
  });
  if (databaseUrl === null) delete env.DATABASE_URL;
  return env;
}

async function waitUntilHealthy(origin: string, child: ChildProcess, logFile: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      // /healthz queries the database: a blocked database must not hang the wait itself.
      const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(5_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").slice(-4000) : "";
  throw new Error(`the app server did not become healthy at ${origin} within ${timeoutMs / 1000} s (exit code ${child.exitCode}; a /healthz that never answers means the database is blocked); last log lines:\n${log}`);
}

/**
 * A checkpoint signing key for one test database, given to its servers through ATTEST_SIGNING_KEY as
 * production would (a test server is not in demo mode, so it never generates one). Every server on
 * the same database must get the same key: the first activates it, and the others must hold it too.
 */
export async function generateTestSigningKey() {
  const { privateKey } = await openpgp.generateKey({
    type: "ecc",
    curve: "ed25519Legacy",
    userIDs: [{ name: "Attest test ledger", email: "ledger@attest.invalid" }],
    format: "armored",
  });
  return privateKey;
}

/**
 * A ledger event tag key (ATTEST_LEDGER_HMAC_KEY) for one test database: every process appending to
 * it — the test process, fixture seeding, app servers — must tag with the same key, as in production.
 */
export function generateTestEventTagKey() {
  return crypto.randomBytes(32).toString("base64");
}

/** Starts `server.ts` (through tsx, like `npm start`) on a free port against `databaseUrl` (null: embedded). */
export async function startAppServer(
  databaseUrl: string | null,
  options: { name: string; buildRoot: string; signingKey: string; env?: Record<string, string>; port?: number },
): Promise<AppServer> {
  const port = options.port ?? (await findFreePort());
  const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), "attest-keys-"));
  fs.mkdirSync(artifactsDir, { recursive: true });
  const logFile = path.join(artifactsDir, "logs", `server-${options.name}-${port}.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = fs.openSync(logFile, "w");
  const child = spawn(process.execPath, ["--import", "tsx", path.join(rootDir, "server.ts")], {
    cwd: options.buildRoot,
    env: appServerEnv(databaseUrl, port, { ATTEST_SIGNING_KEY: options.signingKey, ATTEST_SIGNING_KEYS_DIR: keysDir, ...options.env }),
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    fs.rmSync(keysDir, { recursive: true, force: true });
  };
  try {
    await waitUntilHealthy(origin, child, logFile, 90_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { origin, port, logFile, stop };
}
