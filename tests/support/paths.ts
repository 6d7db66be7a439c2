import path from "node:path";

// Absolute locations the test tooling shares. Everything generated lives under tests/.artifacts
// (gitignored): the test build, server logs, screenshots and the runners' JSON reports.
export const rootDir = path.resolve(import.meta.dirname, "..", "..");
export const artifactsDir = path.join(rootDir, "tests", ".artifacts");
export const policiesDir = path.join(rootDir, "policies");
