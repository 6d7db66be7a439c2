import { fork } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isSingleSessionDatabase } from "~/utils/db.server";
import type { PackBuildMessage, PackBuildRequest } from "./pack-build-process";
import { buildEvidencePack, type BuildProgress, type BuiltPack, type PackInput } from "./pack-builder.server";

// Where an evidence pack is built (ADR 021). On PostgreSQL: in a process of its own
// (pack-build-process.ts, TypeScript through tsx as the server itself runs, in the app's working
// directory so that relative settings name the same files), with the Node flags below;
// the job keeps its heartbeat, progress and final transaction in the app, and ends the process when
// the job is cancelled, lost or the app shuts down. On the embedded single-session database the build
// runs in the app's own process: a second process cannot share that one session.

/**
 * The build process's V8 flags. Its live heap stays under ≈ 100 MiB whatever the pack's size (every
 * dataset is streamed; docs/benchmarks.md "Evidence packs"), but with V8's default limit the old
 * generation fills with dead rows up to ≈ 250 MiB before a full collection: a limit twice the live heap
 * keeps the resident set flat. The semi-space is named because V8 derives a 1 MiB one from a small
 * old-generation limit, which made the build a third slower.
 */
export const PACK_BUILD_NODE_FLAGS = ["--max-old-space-size=192", "--max-semi-space-size=16"];

export const PACK_BUILD_ENTRY = "app/modules/evidence/pack-build-process.ts";

/**
 * The project's root: the nearest directory above this module that holds the build process's entry —
 * found from the module's source (tsx, tests) and from the server build's chunk alike, whatever the
 * app's working directory (the test servers run in their build's directory).
 */
function projectRoot() {
  const here = fileURLToPath(import.meta.url);
  for (let dir = path.dirname(here); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, PACK_BUILD_ENTRY))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`the evidence pack build's entry ${PACK_BUILD_ENTRY} is not in any directory above ${here}`);
  }
}

export interface PackBuildOptions {
  /** The build's resident-set peak (KiB) once it succeeded in a process of its own. */
  onPeakRss?(kib: number): void;
  /** The build process's id once started (a process of its own only). */
  onStart?(pid: number): void;
  /** The build process's V8 heap in use, with each progress report (a process of its own only). */
  onHeap?(bytes: number): void;
}

export async function runEvidencePackBuild(input: PackInput, progress: BuildProgress, signal: AbortSignal, options: PackBuildOptions = {}): Promise<BuiltPack> {
  if (isSingleSessionDatabase) return buildEvidencePack(input, progress);
  signal.throwIfAborted();
  const root = projectRoot();
  const tsx = pathToFileURL(createRequire(path.join(root, "package.json")).resolve("tsx")).href;
  const child = fork(path.join(root, PACK_BUILD_ENTRY), [], {
    execArgv: [...PACK_BUILD_NODE_FLAGS, "--import", tsx],
    // The project's path aliases (~/…), whatever the working directory.
    env: { ...process.env, TSX_TSCONFIG_PATH: path.join(root, "tsconfig.json") },
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    // Its own process group: a Ctrl-C meant for the app reaches the app, which then gives the job back
    // to the queue and kills the build, rather than the build dying first and failing the job.
    detached: true,
  });
  if (child.pid !== undefined) options.onStart?.(child.pid);
  return new Promise<BuiltPack>((resolve, reject) => {
    let outcome: { built: BuiltPack } | { error: unknown } | null = null;
    const stop = () => {
      outcome ??= { error: signal.reason };
      child.kill("SIGKILL");
    };
    signal.addEventListener("abort", stop, { once: true });
    child.on("message", (message: PackBuildMessage) => {
      if (message.type === "progress") {
        options.onHeap?.(message.heapUsed);
        try {
          progress.report(message.done, message.total, message.message);
          progress.throwIfCancelled();
        } catch (error) {
          outcome ??= { error };
          child.kill("SIGKILL");
        }
      } else if (message.type === "built") {
        outcome ??= { built: message.built };
        options.onPeakRss?.(message.peakRssKiB);
      } else {
        const error = new Error(message.message);
        if (message.stack) error.stack = message.stack;
        outcome ??= { error };
      }
    });
    child.once("error", (error) => {
      outcome ??= { error };
    });
    // Settled once the process is gone: a killed build writes nothing after the job moves on.
    child.once("exit", (code, exitSignal) => {
      signal.removeEventListener("abort", stop);
      if (outcome && "built" in outcome) resolve(outcome.built);
      else if (outcome) reject(outcome.error);
      else reject(new Error(`the pack build process ended without a result (${exitSignal ? `signal ${exitSignal}` : `exit code ${code}`}${exitSignal === "SIGABRT" ? ": V8 aborts so when the build's heap limit is reached" : ""})`));
    });
    child.send({ type: "build", input } satisfies PackBuildRequest);
  });
}
