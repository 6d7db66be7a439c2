import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// What a verifier worker thread runs (verify-workers.server.ts). Node 20 does not hand the parent's
// TypeScript loader to worker threads, so verify-worker.mjs registers tsx's loader in each worker and
// compiles the worker's modules again there: about half a second of a core per worker before it reads
// its first event, in a verifier whose two-million-event budget is a few seconds on two cores. Instead
// the worker and everything it imports, pg included, are bundled once with esbuild into one plain
// CommonJS file, kept under node_modules/.cache and built again only when one of its input files
// changes (their sizes and modification times are compared on every start, a few stat calls). Without
// esbuild, or when no cache directory can be written, the workers run verify-worker.mjs as before.

const WORKER_SOURCE = fileURLToPath(new URL("./verify-worker.ts", import.meta.url));
const FALLBACK = new URL("./verify-worker.mjs", import.meta.url);

interface BundleManifest {
  bundle: string;
  /** Each input file's path (absolute) with its size and modification time when the bundle was built. */
  inputs: Record<string, [size: number, mtimeMs: number]>;
}

type Esbuild = typeof import("esbuild");

/** The verifier worker's entry: the cached bundle (built now if missing or stale), else the tsx entry. */
export function verifierWorkerEntry(): URL {
  try {
    return pathToFileURL(bundledWorker()) as URL;
  } catch {
    return FALLBACK;
  }
}

function bundledWorker(): string {
  const require = createRequire(import.meta.url);
  const esbuildPackage = require.resolve("esbuild/package.json");
  // The bundle holds all its code, so it can live anywhere: beside the packages, or in the temporary
  // directory when node_modules is read-only (a production image).
  const cacheDirs = [path.join(path.dirname(path.dirname(esbuildPackage)), ".cache", "attest-verifier"), path.join(os.tmpdir(), `attest-verifier-${process.getuid?.() ?? "user"}`)];
  let lastError: unknown = null;
  for (const cacheDir of cacheDirs) {
    const manifestFile = path.join(cacheDir, "manifest.json");
    const cached = readManifest(manifestFile);
    if (cached && isCurrent(cached, cacheDir)) return path.join(cacheDir, cached.bundle);
    try {
      return buildBundle(require("esbuild") as Esbuild, cacheDir, manifestFile);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

function readManifest(file: string): BundleManifest | null {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as BundleManifest;
  } catch {
    return null;
  }
}

function isCurrent(manifest: BundleManifest, cacheDir: string) {
  if (!fs.existsSync(path.join(cacheDir, manifest.bundle)) || !(WORKER_SOURCE in manifest.inputs)) return false;
  return Object.entries(manifest.inputs).every(([file, [size, mtimeMs]]) => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    return stat !== undefined && stat.size === size && stat.mtimeMs === mtimeMs;
  });
}

function buildBundle(esbuild: Esbuild, cacheDir: string, manifestFile: string): string {
  const result = esbuild.buildSync({
    entryPoints: [WORKER_SOURCE],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    // pg's native binding is optional and loaded only on request; the verifier uses the JavaScript client.
    external: ["pg-native"],
    metafile: true,
    write: false,
    logLevel: "silent",
    absWorkingDir: path.dirname(WORKER_SOURCE),
  });
  const code = result.outputFiles[0]!.contents;
  const inputs: BundleManifest["inputs"] = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const file = path.resolve(path.dirname(WORKER_SOURCE), input);
    const stat = fs.statSync(file);
    inputs[file] = [stat.size, stat.mtimeMs];
  }
  // Named by content and written through a temporary name, so a verifier starting meanwhile never loads
  // half a file and two builds at once agree.
  const bundle = `verify-worker.${createHash("sha256").update(code).digest("hex").slice(0, 16)}.cjs`;
  fs.mkdirSync(cacheDir, { recursive: true });
  writeAtomically(path.join(cacheDir, bundle), code);
  writeAtomically(manifestFile, JSON.stringify({ bundle, inputs } satisfies BundleManifest));
  // Earlier builds are removed; a worker that already loaded one keeps its code.
  for (const file of fs.readdirSync(cacheDir)) {
    if (file !== bundle && /^verify-worker\.[0-9a-f]{16}\.cjs$/.test(file)) fs.rmSync(path.join(cacheDir, file), { force: true });
  }
  return path.join(cacheDir, bundle);
}

function writeAtomically(file: string, contents: string | Uint8Array) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, contents);
  fs.renameSync(temporary, file);
}
