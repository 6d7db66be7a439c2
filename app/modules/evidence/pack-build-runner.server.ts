import { fork } from "node:child_process";
import path from "node:path";
import { isSingleSessionDatabase } from "~/utils/db.server";
import type { PackBuildMessage, PackBuildRequest } from "./pack-build-process";
import { buildEvidencePack, type BuildProgress, type BuiltPack, type PackInput } from "./pack-builder.server";

// Where an evidence pack is built (ADR 021). On PostgreSQL: in a process of its own
// (pack-build-process.ts, TypeScript through tsx as the server itself runs), with the Node flags below;
// the job keeps its heartbeat, progress and final transaction in the app, and ends the process when
// the job is cancelled, lost or the app shuts down. On the embedded single-session database the build
// runs in the app's own process: a second process cannot share that one session.

/**
 * The build process's V8 flags. Its live heap stays ≈ 50–80 MiB whatever the pack's size (every
 * dataset is streamed; docs/benchmarks.md "Evidence packs"), but with V8's default limit the old
 * generation fills with dead rows up to ≈ 250 MiB before a full collection: a limit well above the live
 * heap keeps the resident set flat without risking the build.
 */
export const PACK_BUILD_NODE_FLAGS = ["--max-old-space-size=192", "--max-semi-space-size=16"];

export const PACK_BUILD_ENTRY = "app/modules/evidence/pack-build-process.ts";

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
  // Run from the project's root, as `npm start` is (server.ts finds its build there too).
  const child = fork(path.resolve(PACK_BUILD_ENTRY), [], {
    execArgv: [...PACK_BUILD_NODE_FLAGS, "--import", "tsx"],
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
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
