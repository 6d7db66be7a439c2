import { Worker } from "node:worker_threads";
import type { CheckedChunk, ChunkRequest } from "./verify-chunk.server";
import { verifierWorkerEntry } from "./verify-worker-bundle.server";

// The ledger verifier's worker threads (verify-worker.ts), which check chunks of events in parallel.
// They can be started before the verifier knows what to read — `npm run ledger:verify` starts them
// first thing, so that they load their modules while the main thread loads its own — and are told the
// database, snapshot and tag keys when the run begins. This module loads nothing else, to be cheap
// to import that early (and the worker's code comes bundled, verify-worker-bundle.server.ts).

/** What every worker needs to read and check its chunks: the run's snapshot and the tag keys. */
export interface VerifierRun {
  databaseUrl: string | undefined;
  snapshot: string;
  head: number;
  isCopySupported: boolean;
  tagKeys: { id: string; secret: Uint8Array }[];
}

export class VerifierWorkers {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (chunk: CheckedChunk) => void; reject: (error: Error) => void }>();
  private nextWorker = 0;
  private nextRequest = 0;
  private hasBegun = false;
  /** A worker that failed (e.g. could not load its modules) fails every chunk after it, too. */
  private failure: Error | null = null;

  constructor(count: number) {
    const entry = verifierWorkerEntry();
    // Workers inherit the process's Node options; a TypeScript loader preloaded with --import (how
    // `npm run ledger:verify` starts) would be loaded again in each, for a bundle that needs none.
    const execArgv = entry.pathname.endsWith(".cjs") ? withoutTypeScriptLoader(process.execArgv) : process.execArgv;
    const start = () => {
      try {
        return new Worker(entry, { execArgv });
      } catch (error) {
        // An option Node accepts only per process (a heap limit, say) may not be given to a worker
        // explicitly, only inherited: then the worker inherits them all, loader included.
        if ((error as { code?: string }).code === "ERR_WORKER_INVALID_EXEC_ARGV") return new Worker(entry);
        throw error;
      }
    };
    this.workers = Array.from({ length: count }, start);
    for (const worker of this.workers) {
      worker.on("message", (message: { id: number; chunk?: CheckedChunk; error?: string }) => {
        const waiting = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) waiting?.reject(new Error(message.error));
        else waiting?.resolve(message.chunk!);
      });
      worker.on("error", (error) => {
        this.failure ??= error;
        for (const waiting of this.pending.values()) waiting.reject(error);
        this.pending.clear();
      });
    }
  }

  get count() {
    return this.workers.length;
  }

  /** Starts the run: each worker connects and joins the snapshot, then checks the chunks it is sent. One run per set of workers. */
  begin(run: VerifierRun) {
    if (this.hasBegun) throw new Error("these verifier workers have already checked a run");
    this.hasBegun = true;
    for (const worker of this.workers) worker.postMessage({ run: { ...run, tagKeys: run.tagKeys.map((key) => ({ id: key.id, secret: Uint8Array.from(key.secret) })) } });
  }

  /** Sends a chunk to the next worker in turn. */
  check(request: ChunkRequest) {
    return new Promise<CheckedChunk>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const id = this.nextRequest++;
      this.pending.set(id, { resolve, reject });
      this.workers[this.nextWorker++ % this.workers.length]!.postMessage({ id, request });
    });
  }

  async close() {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/** Node options without `--import tsx` / `--require tsx` / `--loader tsx` (or any tsx entry point). */
export function withoutTypeScriptLoader(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  const isTsx = (value: string | undefined) => value !== undefined && /(^|[\\/])tsx([\\/]|$)/.test(value);
  for (let i = 0; i < execArgv.length; i++) {
    const option = execArgv[i]!;
    const [name, inline] = option.split(/=(.*)/s, 2);
    if (name === "--import" || name === "--require" || name === "-r" || name === "--loader" || name === "--experimental-loader") {
      if (inline !== undefined ? isTsx(inline) : isTsx(execArgv[i + 1])) {
        if (inline === undefined) i += 1;
        continue;
      }
    }
    kept.push(option);
  }
  return kept;
}
