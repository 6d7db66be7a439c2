// The evidence pack build in a process of its own (ADR 021), forked by runEvidencePackBuild
// (pack-build-runner.server.ts) with the flags it names: the build's memory is its own, measured and
// bounded apart from the app server's (pages, other jobs), and a build that runs out of it fails
// alone. It loads only what the build needs (the builder and the database client, not the web build).
//
// Messages: the parent sends {type: "build", input} once; this process answers with {type: "progress"}
// as the build goes, then {type: "built", built, peakRssKiB} or {type: "failed", message}, and exits.
// When the parent goes away (killed, crashed) this process exits at once: nothing is left running.
import { disconnectDatabase } from "~/utils/db.server";
import { buildEvidencePack, type PackInput } from "./pack-builder.server";

export type PackBuildRequest = { type: "build"; input: PackInput };
export type PackBuildMessage =
  | { type: "progress"; done: number; total: number | null; message: string; heapUsed: number }
  | { type: "built"; built: Awaited<ReturnType<typeof buildEvidencePack>>; peakRssKiB: number }
  | { type: "failed"; message: string; stack?: string };

let isFinished = false;
process.once("disconnect", () => {
  if (!isFinished) process.exit(1);
});

function send(message: PackBuildMessage) {
  return new Promise<void>((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));
}

process.once("message", (request: PackBuildRequest) => {
  void (async () => {
    let outcome: PackBuildMessage;
    try {
      // Progress goes to the parent when the stage changes and at most every 100 ms otherwise.
      let lastMessage = "";
      let lastSentAt = 0;
      const built = await buildEvidencePack(request.input, {
        // The parent ends this process when the job is cancelled.
        throwIfCancelled() {},
        report(done, total, message) {
          const now = Date.now();
          if (message === lastMessage && now - lastSentAt < 100) return;
          lastMessage = message;
          lastSentAt = now;
          void send({ type: "progress", done, total, message, heapUsed: process.memoryUsage().heapUsed }).catch(() => {});
        },
      });
      outcome = { type: "built", built, peakRssKiB: process.resourceUsage().maxRSS };
    } catch (error) {
      outcome = { type: "failed", message: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? error.stack : undefined };
    }
    await send(outcome).catch(() => {});
    isFinished = true;
    await disconnectDatabase().catch(() => {});
    process.disconnect();
  })();
});
