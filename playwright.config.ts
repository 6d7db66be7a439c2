import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { defineConfig, devices } from "@playwright/test";

// Browser journeys per role (tests/e2e) against the production build on a database of their own,
// in Debian's Chromium: Playwright's own browsers cannot be downloaded on the build machines.
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!fs.existsSync(chromiumPath)) {
  throw new Error(`Chromium not found: install it with \`apt-get install -y chromium\` (looked for ${chromiumPath})`);
}

// One port for the whole run: the config is evaluated again in every worker, which inherit this
// variable from the runner, so they all reach the same server.
if (!process.env.ATTEST_E2E_PORT) {
  const findPort = "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})";
  process.env.ATTEST_E2E_PORT = execFileSync(process.execPath, ["-e", findPort], { encoding: "utf8" }).trim();
}
const baseURL = `http://127.0.0.1:${process.env.ATTEST_E2E_PORT}`;

export default defineConfig({
  testDir: "tests/e2e",
  outputDir: process.env.ATTEST_PLAYWRIGHT_OUTPUT_DIR ?? "tests/.artifacts/playwright",
  // The journeys share one server and database; two workers keep a 2-core machine responsive.
  fullyParallel: false,
  workers: process.env.CI ? 1 : 2,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: Boolean(process.env.CI),
  reporter: [["list"], ["json", { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT ?? "tests/.artifacts/playwright-report.json" }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromiumPath,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], channel: undefined } }],
  // Playwright starts the web server before globalSetup, so the server launcher itself creates,
  // migrates and seeds the run's database (tests/e2e/serve.ts) and drops it on shutdown.
  webServer: {
    command: "node --import tsx tests/e2e/serve.ts",
    url: `${baseURL}/healthz`,
    env: { ATTEST_E2E_PORT: process.env.ATTEST_E2E_PORT },
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
  },
});
