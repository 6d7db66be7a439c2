import { parentPort, workerData } from "node:worker_threads";
import pg from "pg";
import { EventTagChecker } from "./event-tag";
import { checkEventChunk, type ChunkRequest } from "./verify-chunk.server";

// A verifier worker thread: checks the chunks it is sent — leaves recomputed from the events' columns
// and the chunk's subtree rebuilt and compared with the stored nodes — reading the same snapshot as
// the main thread (SET TRANSACTION SNAPSHOT), and sends back the chunk's subtree roots.
const { databaseUrl, snapshot, head, isCopySupported, tagKeys } = workerData as { databaseUrl: string; snapshot: string; head: number; isCopySupported: boolean; tagKeys: { id: string; secret: Uint8Array }[] };
const tags = tagKeys.length > 0 ? new EventTagChecker(tagKeys) : null;
const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
await client.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/'/g, "")}'`);

// Chunks are sent ahead of need; this worker's one connection checks them one after another.
let queue = Promise.resolve();
parentPort!.on("message", (message: { id: number; request: ChunkRequest }) => {
  queue = queue.then(async () => {
    try {
      parentPort!.postMessage({ id: message.id, chunk: await checkEventChunk({ client, isCopySupported }, message.request, head, tags) });
    } catch (error) {
      parentPort!.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
    }
  });
});
