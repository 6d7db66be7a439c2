// `npm run demo`: build, migrate, load demo data (once) and start Attest on http://localhost:3000.
// With DATABASE_URL unset everything runs on the embedded PGlite database under ./data/ — no
// PostgreSQL needed. Demo data only: the sign-in page lists the demo accounts.
import { spawnSync, spawn } from "node:child_process";

const env = {
  ...process.env,
  NODE_ENV: "production",
  AUTH_REQUIRE_MFA: process.env.AUTH_REQUIRE_MFA ?? "false",
  ATTEST_DEMO: process.env.ATTEST_DEMO ?? "true",
};

function step(title, command, args) {
  console.log(`\n▶ ${title}`);
  const result = spawnSync(command, args, { stdio: "inherit", env });
  if (result.status !== 0) {
    console.error(`\n✖ ${title} failed (exit ${result.status ?? result.signal}). Nothing was started.`);
    process.exit(result.status ?? 1);
  }
}

step("Building the app", "npm", ["run", "--silent", "build"]);
step("Applying database migrations", "npm", ["run", "--silent", "db:migrate"]);
step("Loading demo data (skipped when already loaded)", "npm", ["run", "--silent", "seed", "--", "--if-empty"]);
// Demo data from before encryption at rest (ADR 009) is encrypted in place; a no-op otherwise.
step("Encrypting personal data left in plain text", "npm", ["run", "--silent", "data:encrypt"]);
// The seed writes the book's history into the ledger (issue 11): sign a checkpoint of it, so
// `npm run ledger:verify` checks it at once (the app's checkpoint worker signs the later ones).
step("Signing a checkpoint of the ledger", "npm", ["run", "--silent", "ledger:checkpoint"]);

console.log("\n▶ Starting Attest — open http://localhost:" + (env.PORT ?? "3000") + " and sign in as compliance@attest.test / attest-demo");
const server = spawn("npm", ["run", "--silent", "start"], { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code) => process.exit(code ?? 0));
