import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as openpgp from "openpgp";
import { findFreePort } from "./free-port";
import { databaseEnv } from "./test-database";
import { artifactsDir, policiesDir, rootDir } from "./paths";

// The production build of the app, served by server.ts exactly as `npm start` does, for the HTTP
// authorization walk and the browser journeys. It is built into tests/.artifacts/build (see
// vite.build.config.ts) and the server runs with that directory as its working directory.

export const testBuildRoot = artifactsDir;
const serverBundle = path.join(testBuildRoot, "build", "server", "index.js");
const buildInputs = ["app", "prisma/seed/demo-staff.ts", "remix.config.js", "vite.config.ts", "package.json", "package-lock.json", "tests/support/vite.build.config.ts"];

function newestMtime(entry: string): number {
  const stat = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return /\.test\.tsx?$/.test(entry) ? 0 : stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of fs.readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, child)));
  return newest;
}

/** Builds the app unless the test build is newer than every source it is made from. */
export function ensureAppBuild(log: (line: string) => void = console.log) {
  const builtAt = fs.statSync(serverBundle, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sourcesAt = Math.max(...buildInputs.map((input) => newestMtime(path.join(rootDir, input))));
  if (builtAt > sourcesAt) {
    log("app build is up to date (tests/.artifacts/build)");
    return;
  }
  log("building the app (remix vite:build → tests/.artifacts/build)…");
  const started = Date.now();
  const result = spawnSync(process.execPath, [path.join(rootDir, "node_modules", "@remix-run", "dev", "dist", "cli.js"), "vite:build", "--config", "tests/support/vite.build.config.ts"], {
    cwd: rootDir,
    env: { ...process.env, NODE_ENV: "production" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`remix vite:build failed (exit ${result.status}):\n${(result.stdout + result.stderr).split("\n").filter((line) => !line.startsWith("    '")).slice(0, 60).join("\n")}`);
  }
  log(`app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export interface AppServer {
  origin: string;
  port: number;
  logFile: string;
  stop(): Promise<void>;
}

export const testSessionSecret = "attest-test-session-secret-0123456789abcdef";

/** Environment of the test server: production mode, MFA off (TOTP is tested in integration), no demo hints. */
export function appServerEnv(databaseUrl: string, port: number, extra: Record<string, string> = {}) {
  return databaseEnv(databaseUrl, {
    NODE_ENV: "production",
    PORT: String(port),
    SESSION_SECRET: testSessionSecret,
    AUTH_REQUIRE_MFA: "false",
    ATTEST_POLICIES_DIR: policiesDir,
    DATABASE_POOL_SIZE: "5",
    LOG_LEVEL: "warn",
    ...extra,
  });
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

/** Starts `server.ts` (through tsx, like `npm start`) on a free port against `databaseUrl`. */
export async function startAppServer(
  databaseUrl: string,
  options: { name: string; signingKey: string; env?: Record<string, string>; port?: number },
): Promise<AppServer> {
  const port = options.port ?? (await findFreePort());
  const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), "attest-keys-"));
  fs.mkdirSync(artifactsDir, { recursive: true });
  const logFile = path.join(artifactsDir, `server-${options.name}.log`);
  const log = fs.openSync(logFile, "w");
  const child = spawn(process.execPath, ["--import", "tsx", path.join(rootDir, "server.ts")], {
    cwd: testBuildRoot,
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
