// `npm test`: every suite, in order — Vitest (unit, then integration against a fresh database) and
// Playwright (browser journeys) — with their usual output, then one closing line summing both:
//   N passed, N failed[, N skipped]
// Exits non-zero when anything failed or when no test ran at all. Works with TEST_DATABASE_URL or
// DATABASE_URL pointing at PostgreSQL (a database is created per run and dropped) or with neither
// (embedded PGlite in a temp directory).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const artifacts = path.join(root, "tests", ".artifacts");
// Each run's reports and browser traces in a directory of its own, so two runs in one checkout
// (a developer and CI, say) never read each other's counts.
const runDir = path.join(artifacts, "runs", `${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}`);
const vitestReport = path.join(runDir, "vitest-report.json");
const playwrightReport = path.join(runDir, "playwright-report.json");
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

if (!fs.existsSync(chromium)) {
  console.error(`Chromium not found: install it with \`apt-get install -y chromium\` (looked for ${chromium}).`);
  console.error("0 passed, 1 failed");
  process.exit(1);
}

fs.mkdirSync(runDir, { recursive: true });
// Keep the ten most recent runs.
const runs = fs.readdirSync(path.dirname(runDir)).sort();
for (const old of runs.slice(0, Math.max(0, runs.length - 10))) fs.rmSync(path.join(path.dirname(runDir), old), { recursive: true, force: true });

const where = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL ? "PostgreSQL (a database created for this run)" : "embedded PGlite (a temp directory for this run)";
console.log(`Test database: ${where}\n`);

let interruptedBy = null;

function run(title, command, args, env = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    console.log(`\n▶ ${title}\n`);
    const child = spawn(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
    // Ctrl-C stops the runner (which cleans up its database and servers), then stops here too.
    const forward = (signal) => {
      interruptedBy = signal;
      child.kill(signal);
    };
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    child.on("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      console.log(`\n${title} finished in ${seconds} s (${signal ?? `exit ${code}`})`);
      if (interruptedBy) {
        console.error(`\nInterrupted (${interruptedBy}); the remaining suites did not run.`);
        process.exit(130);
      }
      resolve({ code: code ?? 1, seconds });
    });
  });
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/**
 * Counts from Vitest's JSON report. A file that failed outside any test (it did not load, or a
 * beforeAll threw and its tests were skipped) counts as one failure.
 */
function vitestCounts(report, exitCode) {
  if (!report) return { passed: 0, failed: 1, skipped: 0, note: "Vitest wrote no report (it crashed or was stopped)" };
  const brokenFiles = report.testResults.filter(
    (file) => file.status === "failed" && !file.assertionResults.some((test) => test.status === "failed"),
  ).length;
  const counts = {
    passed: report.numPassedTests,
    failed: report.numFailedTests + brokenFiles,
    skipped: report.numPendingTests + report.numTodoTests,
  };
  if (exitCode !== 0 && counts.failed === 0) return { ...counts, failed: 1, note: `Vitest exited with ${exitCode} without a failed test (see its output above)` };
  return counts;
}

/** Counts from Playwright's JSON report; a web server that never started counts as one failure. */
function playwrightCounts(report, exitCode) {
  if (!report) return { passed: 0, failed: 1, skipped: 0, note: "Playwright wrote no report (it crashed or was stopped)" };
  const { expected = 0, unexpected = 0, flaky = 0, skipped = 0 } = report.stats ?? {};
  const counts = { passed: expected + flaky, failed: unexpected, skipped };
  if ((report.errors?.length ?? 0) > 0 && counts.failed === 0) counts.failed = report.errors.length;
  if (exitCode !== 0 && counts.failed === 0) return { ...counts, failed: 1, note: `Playwright exited with ${exitCode} without a failed test (see its output above)` };
  return counts;
}

const vitest = await run("Vitest: unit and integration suites", process.execPath, [
  path.join(root, "node_modules", "vitest", "vitest.mjs"),
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${vitestReport}`,
]);
const playwright = await run("Playwright: browser journeys", process.execPath, [path.join(root, "node_modules", "@playwright", "test", "cli.js"), "test"], {
  PLAYWRIGHT_JSON_OUTPUT: playwrightReport,
  ATTEST_PLAYWRIGHT_OUTPUT_DIR: path.join(runDir, "playwright"),
});

const parts = [vitestCounts(readJson(vitestReport), vitest.code), playwrightCounts(readJson(playwrightReport), playwright.code)];
for (const part of parts) if (part.note) console.error(part.note);
const total = parts.reduce((sum, part) => ({ passed: sum.passed + part.passed, failed: sum.failed + part.failed, skipped: sum.skipped + part.skipped }), {
  passed: 0,
  failed: 0,
  skipped: 0,
});

console.log(`\nVitest ${vitest.seconds} s, Playwright ${playwright.seconds} s; reports in ${path.relative(root, runDir)}`);
console.log(`${total.passed} passed, ${total.failed} failed${total.skipped > 0 ? `, ${total.skipped} skipped` : ""}`);
process.exit(total.failed > 0 || total.passed + total.failed === 0 ? 1 : 0);
