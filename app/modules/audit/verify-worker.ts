import { parentPort } from "node:worker_threads";
import pg from "pg";
import { EventTagChecker } from "./event-tag";
import { checkEventChunk, VERIFIER_SEARCH_PATH, type ChunkRequest } from "./verify-chunk.server";
import type { VerifierRun } from "./verify-workers.server";

// A verifier worker thread (verify-workers.server.ts): told the run first — it connects and reads the
// same snapshot as the main thread (SET TRANSACTION SNAPSHOT) — then checks the chunks it is sent —
// leaves recomputed from the events' columns and the chunk's subtree rebuilt and compared with the
// stored nodes — and sends back each chunk's subtree roots.
let checker: ((request: ChunkRequest) => ReturnType<typeof checkEventChunk>) | null = null;
let startError: string | null = null;

async function begin({ databaseUrl, snapshot, head, isCopySupported, tagKeys }: VerifierRun) {
  const tags = tagKeys.length > 0 ? new EventTagChecker(tagKeys) : null;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`SET search_path = ${VERIFIER_SEARCH_PATH}`);
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  await client.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/'/g, "")}'`);
  checker = (request) => checkEventChunk({ client, isCopySupported }, request, head, tags);
}

// Messages are handled one after another: the run's start, then the chunks (sent ahead of need), on
// this worker's one connection.
let queue: Promise<unknown> = Promise.resolve();
parentPort!.on("message", (message: { run: VerifierRun } | { id: number; request: ChunkRequest }) => {
  queue = queue.then(async () => {
    if ("run" in message) {
      // A failed start is reported with each chunk: the checker stays unset.
      await begin(message.run).catch((error: unknown) => {
        startError = error instanceof Error ? error.message : String(error);
      });
      return;
    }
    try {
      if (!checker) throw new Error(`the verifier worker could not start: ${startError ?? "no run was given"}`);
      parentPort!.postMessage({ id: message.id, chunk: await checker(message.request) });
    } catch (error) {
      parentPort!.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
    }
  });
});
