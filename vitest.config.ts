import { defineConfig } from "vitest/config";
import tsconfigPaths from "vite-tsconfig-paths";

// Two suites (STYLE.md "Tests sit where they teach"):
//   unit         app/**/*.test.ts beside the modules; pure, no database.
//   integration  tests/integration against a real database created for the run (PostgreSQL when
//                TEST_DATABASE_URL or DATABASE_URL is set, else an embedded PGlite), serially in one
//                process because the files share that database.
// The Remix plugin is deliberately absent: tests import modules, not routes through Vite.
export default defineConfig({
  plugins: [tsconfigPaths()],
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["app/**/*.test.ts", "prisma/seed/**/*.test.ts"],
          environment: "node",
          env: { NODE_ENV: "test" },
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["tests/integration/global-setup.ts"],
          setupFiles: ["tests/integration/setup-env.ts"],
          // One process, one file at a time: the files share the run's database.
          pool: "forks",
          poolOptions: { forks: { singleFork: true } },
          sequence: { concurrent: false },
          testTimeout: 30_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
