// `prisma generate` needs no schema engine, but the CLI insists on one being present:
// point it at any existing file (DESIGN.md §2) unless a real engine is configured.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
env.PRISMA_HIDE_UPDATE_MESSAGE = "1";
execFileSync("npx", ["--no-install", "prisma", "generate"], { stdio: "inherit", env });
