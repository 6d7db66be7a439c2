// The app's own Vite configuration, building into tests/.artifacts/build instead of build/: the test
// server then runs exactly what `npm run build` produces, and a concurrent `npm run build` or
// `npm run demo` in the same checkout cannot swap the bundle under a running test.
import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";
import tsconfigPaths from "vite-tsconfig-paths";
import remixConfig from "../../remix.config.js";

export const testBuildDirectory = "tests/.artifacts/build";

export default defineConfig({
  plugins: [remix({ ...remixConfig, buildDirectory: testBuildDirectory }), tsconfigPaths()],
  build: { target: "es2022" },
  ssr: { target: "node" },
  logLevel: "warn",
});
