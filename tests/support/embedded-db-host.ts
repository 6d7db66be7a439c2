// Hosts an embedded PGlite database for one test run, through the app's own startEmbeddedDatabase
// (pglite-socket on a local port), so migrations, fixtures, the test process and the app server all
// connect to it by DATABASE_URL exactly as they would to PostgreSQL.
//   node --import tsx tests/support/embedded-db-host.ts <dataDir> <port>
// Prints "ready <url>" once it accepts connections; stops on SIGTERM/SIGINT or when its parent goes away.
import { startEmbeddedDatabase } from "../../app/utils/embedded-db.server";

const [dataDir, port] = process.argv.slice(2);
if (!dataDir || !port) {
  console.error("usage: embedded-db-host.ts <dataDir> <port>");
  process.exit(2);
}

const database = await startEmbeddedDatabase({ dataDir, port: Number(port) });
process.stdout.write(`ready ${database.url}\n`);

let isStopping = false;
async function stop() {
  if (isStopping) return;
  isStopping = true;
  await database.stop().catch(() => {});
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
// The parent holds our stdin open; when it exits (even killed), stdin ends and we stop too.
process.stdin.on("end", () => void stop());
process.stdin.resume();
