import fs from "node:fs";
import net from "node:net";
import path from "node:path";

// The embedded database (DESIGN.md §2): PGlite behind pglite-socket on a local port, reached through
// the same pg driver adapter as a real server. One process owns the data directory; others that need
// it while that process runs (a seed while the app is up) connect to its port, found in the lock file.

interface EmbeddedLock {
  pid: number;
  port: number;
}

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(error: unknown): void;
  onData(data: Uint8Array): void;
}

interface QueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: { isInTransaction(): boolean; runExclusive<T>(fn: () => Promise<T>): Promise<T>; execProtocolRawStream(message: Uint8Array, options: { onRawData(data: Uint8Array): void }): Promise<void> };
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

// Message types that end an exchange: Sync (extended protocol), Query (simple protocol), Terminate,
// PasswordMessage; a startup packet has no type byte (its first byte is 0).
const EXCHANGE_ENDS = new Set([0x53, 0x51, 0x58, 0x70, 0x00]);

/**
 * pglite-socket queues single protocol messages from all connections into PGlite's one session, so one
 * connection's Bind could run against another's Parse. Serve each connection's exchange whole (up to its
 * Sync or Query) and, as pglite-socket already does, a connection's open transaction to its end.
 */
function serveWholeExchanges(server: object) {
  const queue = (server as { queryQueue: QueryQueue }).queryQueue;
  let ownerId: number | null = null;
  queue.processQueue = async function processQueue(this: QueryQueue) {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const owner = ownerId ?? (this.db.isInTransaction() ? this.lastHandlerId : null);
        const index = owner === null ? 0 : this.queue.findIndex((item) => item.handlerId === owner);
        // The session belongs to a connection mid-exchange or mid-transaction: wait for its next message.
        if (index === -1) break;
        const item = this.queue.splice(index, 1)[0]!;
        let bytes = 0;
        try {
          await this.db.runExclusive(() => this.db.execProtocolRawStream(item.message, { onRawData: (data) => ((bytes += data.length), item.onData(data)) }));
        } catch (error) {
          ownerId = null;
          item.reject(error);
          continue;
        }
        this.lastHandlerId = item.handlerId;
        ownerId = EXCHANGE_ENDS.has(item.message[0] ?? 0) ? null : item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
  // A connection that goes away mid-exchange must not keep the session.
  const clearQueueForHandler = queue.clearQueueForHandler.bind(queue);
  queue.clearQueueForHandler = (handlerId: number) => {
    clearQueueForHandler(handlerId);
    if (ownerId === handlerId) {
      ownerId = null;
      void queue.processQueue();
    }
  };
}

export interface EmbeddedDatabase {
  url: string;
  isOwner: boolean;
  stop(): Promise<void>;
}

function urlFor(port: number) {
  return `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
}

function isProcessAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function canConnect(port: number) {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function readLock(lockPath: string): EmbeddedLock | null {
  try {
    return JSON.parse(fs.readFileSync(lockPath, "utf8")) as EmbeddedLock;
  } catch {
    return null;
  }
}

// One embedded server per data directory and process, even when the module is loaded twice (the
// server build and a script importing the sources each have their own copy of this module).
const running = ((globalThis as { __attestEmbeddedDatabases?: Map<string, Promise<EmbeddedDatabase>> }).__attestEmbeddedDatabases ??= new Map());

export function startEmbeddedDatabase(options: { dataDir: string; port: number; log?: (message: string) => void }): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  let database = running.get(dataDir);
  if (!database) {
    database = openEmbeddedDatabase({ ...options, dataDir });
    running.set(dataDir, database);
    database.catch(() => running.delete(dataDir));
  }
  return database;
}

async function openEmbeddedDatabase(options: { dataDir: string; port: number; log?: (message: string) => void }): Promise<EmbeddedDatabase> {
  const { dataDir } = options;
  const lockPath = `${dataDir}.lock`;
  const existing = readLock(lockPath);
  if (existing && existing.pid !== process.pid && isProcessAlive(existing.pid) && (await canConnect(existing.port))) {
    return { url: urlFor(existing.port), isOwner: false, stop: async () => {} };
  }

  fs.mkdirSync(dataDir, { recursive: true });
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const db = await PGlite.create({ dataDir });
  // PGlite runs one session at a time; the socket server queues other connections' queries and
  // keeps a connection's transaction exclusive until it ends.
  const server = new PGLiteSocketServer({ db, port: options.port, host: "127.0.0.1", maxConnections: 64 });
  serveWholeExchanges(server);
  await server.start();
  fs.writeFileSync(lockPath, JSON.stringify({ pid: process.pid, port: options.port } satisfies EmbeddedLock));
  options.log?.(`embedded PGlite database at ${dataDir}, listening on 127.0.0.1:${options.port}`);

  let isStopped = false;
  const stop = async () => {
    if (isStopped) return;
    isStopped = true;
    running.delete(dataDir);
    await server.stop();
    await db.close();
    const lock = readLock(lockPath);
    if (lock?.pid === process.pid) fs.rmSync(lockPath, { force: true });
  };
  return { url: urlFor(options.port), isOwner: true, stop };
}
