import { parentPort, workerData } from "node:worker_threads";
import pg from "pg";
import { checkEventChunk } from "./verify.server";

// A verifier worker thread: recomputes the leaves of the chunks it is sent, reading the same
// snapshot as the main thread (SET TRANSACTION SNAPSHOT), and sends back the leaf hashes.
const { databaseUrl, snapshot, head } = workerData as { databaseUrl: string; snapshot: string; head: number };
const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
await client.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/'/g, "")}'`);

parentPort!.on("message", async (message: { id: number; fromSeq: number; toSeq: number }) => {
  try {
    const chunk = await checkEventChunk(client, message.fromSeq, message.toSeq, head);
    const leaves = chunk.leaves.slice();
    parentPort!.postMessage({ id: message.id, chunk: { ...chunk, leaves } }, [leaves.buffer]);
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
