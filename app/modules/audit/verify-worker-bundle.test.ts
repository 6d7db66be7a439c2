import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { verifierWorkerEntry } from "./verify-worker-bundle.server";
import { withoutTypeScriptLoader } from "./verify-workers.server";

// The verifier's worker threads run a bundle of verify-worker.ts built with esbuild and cached until one
// of its inputs changes (verify-worker-bundle.server.ts): it must be plain JavaScript a worker loads
// without tsx, speak the worker's protocol, and be built again when a source file changes.

const manifestOf = (entry: URL) => JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(entry)), "manifest.json"), "utf8")) as { bundle: string; inputs: Record<string, [number, number]> };

describe("the verifier worker bundle", () => {
  it("is a CommonJS file that a worker thread runs without a TypeScript loader, answering the worker protocol", async () => {
    const entry = verifierWorkerEntry();
    expect(entry.pathname).toMatch(/\/\.cache\/attest-verifier\/verify-worker\.[0-9a-f]{16}\.cjs$/);
    const code = fs.readFileSync(entry, "utf8");
    // pg is inside, not imported from a path the worker would resolve through tsx.
    expect(code).not.toMatch(/require\("pg"\)/);
    expect(code).not.toMatch(/\btsx\b/);

    const worker = new Worker(entry, { execArgv: [] });
    try {
      // A run that cannot connect: the worker reports it with the chunk asked of it.
      worker.postMessage({ run: { databaseUrl: "postgresql://nobody@127.0.0.1:1/none", snapshot: "x", head: 0, isCopySupported: true, tagKeys: [] } });
      worker.postMessage({ id: 7, request: { fromSeq: 0, toSeq: 1, checkpointSizes: [] } });
      const answer = await new Promise<{ id: number; error?: string }>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      expect(answer.id).toBe(7);
      expect(answer.error).toMatch(/the verifier worker could not start: .*ECONNREFUSED/);
    } finally {
      await worker.terminate();
    }
  });

  it("is reused while its inputs are unchanged and built again when one changes", () => {
    const first = verifierWorkerEntry();
    const builtAt = fs.statSync(first).mtimeMs;
    expect(verifierWorkerEntry().href).toBe(first.href);
    expect(fs.statSync(first).mtimeMs).toBe(builtAt);

    const manifest = manifestOf(first);
    const input = Object.keys(manifest.inputs).find((file) => file.endsWith(path.join("audit", "event-tag.ts")))!;
    expect(input).toBeDefined();
    const { atime, mtime } = fs.statSync(input);
    try {
      const touched = new Date(mtime.getTime() - 60_000);
      fs.utimesSync(input, atime, touched);
      const rebuilt = verifierWorkerEntry();
      // Same sources, same bundle name; the manifest now records the input's new time.
      expect(rebuilt.href).toBe(first.href);
      expect(manifestOf(rebuilt).inputs[input]![1]).toBe(fs.statSync(input).mtimeMs);
    } finally {
      fs.utimesSync(input, atime, mtime);
    }
  });
});

describe("the worker threads' Node options", () => {
  it("leave out a preloaded TypeScript loader and keep everything else", () => {
    expect(withoutTypeScriptLoader(["--import", "tsx"])).toEqual([]);
    expect(withoutTypeScriptLoader(["--import=tsx", "--enable-source-maps"])).toEqual(["--enable-source-maps"]);
    expect(withoutTypeScriptLoader(["--require", "tsx/cjs", "--no-warnings"])).toEqual(["--no-warnings"]);
    expect(withoutTypeScriptLoader(["--import", "/srv/app/node_modules/tsx/dist/esm/index.mjs"])).toEqual([]);
    expect(withoutTypeScriptLoader(["--import", "./instrumentation.mjs", "--import", "tsxtra"])).toEqual(["--import", "./instrumentation.mjs", "--import", "tsxtra"]);
  });
});
