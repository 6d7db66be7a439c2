import { spawn } from "node:child_process";

// Child processes for the benchmarks: the real CLIs (seed, migrations, psql), so a benchmark measures
// what an operator runs, startup included.

export function runCommand(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; label: string; log?: (line: string) => void },
) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      if (options.log) for (const line of text.split("\n")) if (line.trim()) options.log(line);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${options.label} failed (exit ${code}):\n${output.split("\n").slice(-20).join("\n")}`));
    });
  });
}

/** Applies prisma/migrations to a database the way `npm run db:migrate` does. */
export function migrateDatabase(url: string) {
  return runCommand("node", ["--experimental-wasm-modules", "--import", "tsx", "scripts/db-migrate.ts"], {
    env: { DATABASE_URL: url },
    label: "applying migrations",
  });
}

export function runPsql(url: string, command: string, label: string) {
  return runCommand("psql", [url, "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-q", "-c", command], { label });
}

/** The environment a bench worker needs to load the app's modules against a database. */
export function workerEnvironment(url: string, extra: Record<string, string> = {}) {
  return { DATABASE_URL: url, SESSION_SECRET: "bench-only-session-secret-0123456789abcdef", LOG_LEVEL: "warn", ...extra };
}

/**
 * Runs a worker script in bench/workers/ with tsx and returns the JSON object it printed last on a line
 * of its own starting with `{"<key>"` (its result; anything else it prints is kept for the error).
 */
export async function runWorkerJson<T>(
  script: string,
  args: string[],
  options: { url: string; resultKey: string; label: string; env?: Record<string, string> },
): Promise<T> {
  const output = await runCommand("npx", ["tsx", `bench/workers/${script}`, ...args], {
    env: workerEnvironment(options.url, options.env),
    label: options.label,
  });
  const line = output.split("\n").findLast((text) => text.startsWith(`{"${options.resultKey}"`));
  if (!line) throw new Error(`${options.label} printed no result:\n${output.slice(-2000)}`);
  return JSON.parse(line) as T;
}
