import { afterAll, inject } from "vitest";
import { testSessionSecret } from "../support/app-server";

// Runs before every integration test file, before it imports any app module: app/utils/env.server.ts
// parses process.env and app/utils/db.server.ts connects at import time. A file that needs another
// setting (AUTH_REQUIRE_MFA=true, a tighter rate limit) sets it in vi.hoisted, which runs after this.
process.env.DATABASE_URL = inject("databaseUrl");
process.env.NODE_ENV = "test";
process.env.SESSION_SECRET = testSessionSecret;
process.env.AUTH_REQUIRE_MFA = "false";
process.env.LOG_LEVEL = "warn";
process.env.DATABASE_POOL_SIZE = "4";
delete process.env.TEST_DATABASE_URL;
// One checkpoint signing key per test database, shared by this process and every app server the
// suite starts on it: whoever signs first activates it, and all of them can then go on signing.
process.env.ATTEST_SIGNING_KEY = inject("signingKey");
// Likewise one event tag key: events appended by any process on the database verify with it.
process.env.ATTEST_LEDGER_HMAC_KEY = inject("eventTagKey");
// The key-encryption keys of the run's database (ADR 009): personal data is encrypted under them.
process.env.ATTEST_KEK_DIR = inject("kekDir");
delete process.env.ATTEST_KEK;
// Each run's database is thrown away: its checkpoints are not published to ./data/checkpoints.
process.env.ATTEST_CHECKPOINT_SINK_DIR = "off";
// Settings a file may have changed for itself must not leak into the next file.
for (const key of ["LOGIN_MAX_FAILURES_PER_EMAIL", "LOGIN_MAX_FAILURES_PER_IP", "LOGIN_WINDOW_MINUTES", "SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_HOURS", "ATTEST_DEMO"]) delete process.env[key];

afterAll(async () => {
  // Each file gets its own module graph and so its own pool; close it so the next file starts clean.
  const { db } = await import("~/utils/db.server");
  await db.$disconnect();
});
