// The app's own Vite configuration, building into a directory of the test tooling's choosing
// (tests/support/app-server.ts ensureAppBuild) instead of build/: the test server runs exactly what
// `npm run build` produces, and a concurrent `npm run build`, `npm run demo` or test run in the same
// checkout cannot swap the bundle under a running test.
import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";
import tsconfigPaths from "vite-tsconfig-paths";
import remixConfig from "../../remix.config.js";

const testBuildDirectory = process.env.ATTEST_TEST_BUILD_DIR ?? "tests/.artifacts/build";

export default defineConfig({
  plugins: [remix({ ...remixConfig, buildDirectory: testBuildDirectory }), tsconfigPaths()],
  build: { target: "es2022" },
  ssr: { target: "node" },
  logLevel: "warn",
});
