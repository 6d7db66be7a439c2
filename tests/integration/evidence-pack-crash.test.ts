import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.JOB_HEARTBEAT_MS = "200";
  process.env.JOB_STALE_AFTER_MS = "1500";
  process.env.JOB_POLL_INTERVAL_SECONDS = "0.5";
  process.env.EVIDENCE_PACK_DIR = `${process.env.TMPDIR ?? "/tmp"}/attest-evidence-crash-${process.pid}`;
});

import { evidencePackJob } from "~/modules/evidence/evidence.jobs.server";
import { openEvidencePackDownload, requestEvidencePack } from "~/modules/evidence/evidence-packs.server";
import { installJobQueue } from "~/modules/jobs/install.server";
import { startJobWorkers, superviseJobs, type JobWorkers } from "~/modules/jobs/worker.server";
import { db } from "~/utils/db.server";
import { fixtureIds as ids } from "../fixtures/ids";
import { rootDir } from "../support/paths";
import { databaseEnv } from "../support/test-database";
import { waitFor } from "../support/test-jobs";
import { actorFor, thrownResponse } from "./helpers/actors";

// Killing the app while it builds a pack (issue 11): nothing half-built is offered, and the job starts
// again on another instance and finishes — or fails visibly once its attempts are spent.

const packDir = process.env.EVIDENCE_PACK_DIR!;
const BULK = 30_000;
let child: ChildProcess | null = null;
let workers: JobWorkers | null = null;

beforeAll(async () => {
  await installJobQueue(inject("databaseUrl"), ["evidence_pack.build"]);
  // Enough decisions that a build takes a few seconds: time to kill it half-way.
  await db.$executeRawUnsafe(`
    INSERT INTO decision (id, external_id, customer_id, kind, region_code, model_name, model_version, score, outcome, amount, currency, features, decided_at)
    SELECT gen_random_uuid(), 'CRASH-' || n, '${ids.customers.SE}'::uuid, 'credit', 'SE', 'credit-risk', '1.0.0', (n % 100) / 100.0, 'approved', 100 + n % 900, 'SEK', '{}'::jsonb, now() - make_interval(mins => n)
      FROM generate_series(1, ${BULK}) AS n`);
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await workers?.stop();
  await db.$executeRawUnsafe(`DELETE FROM decision WHERE external_id LIKE 'CRASH-%'`);
  fs.rmSync(packDir, { recursive: true, force: true });
});

function startWorkerProcess() {
  const spawned = spawn(process.execPath, ["--import", "tsx", "tests/support/evidence-worker-cli.ts"], {
    cwd: rootDir,
    env: databaseEnv(inject("databaseUrl"), { NODE_ENV: "test", LOG_LEVEL: "warn", JOB_HEARTBEAT_MS: "200", JOB_POLL_INTERVAL_SECONDS: "0.5", EVIDENCE_PACK_DIR: packDir }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = spawned;
  return new Promise<void>((resolve, reject) => {
    let output = "";
    spawned.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("workers ready")) resolve();
    });
    spawned.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    spawned.once("exit", (code) => reject(new Error(`worker process exited (${code}):\n${output}`)));
  });
}

describe("a pack build killed half-way", () => {
  it("offers nothing half-built, then starts again on another instance and finishes", async () => {
    await startWorkerProcess();
    const auditor = await actorFor("auditor");
    const { packId, jobId } = await requestEvidencePack(auditor, {
      from: "2000-01-01",
      to: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10),
      regions: ["SE"],
      include: { decisions: true, reviews: false, contests: false, privacyRequests: false, ruleSets: false, staffChanges: false, ledger: false },
      decisionFilter: {},
      sample: null,
    });
    await waitFor("the build to be under way", async () => {
      const job = await db.backgroundJob.findUniqueOrThrow({ where: { id: jobId } });
      return job.state === "running" && Number(job.progressDone) > 0;
    }, 60_000);
    child!.kill("SIGKILL");
    await new Promise((resolve) => child!.once("exit", resolve));

    const halfway = await db.evidencePack.findUniqueOrThrow({ where: { id: packId } });
    expect(halfway.state).toBe("running");
    expect(halfway.storageKey).toBeNull();
    expect(fs.existsSync(path.join(packDir, `${packId}.zip`))).toBe(false);
    expect((await thrownResponse(() => openEvidencePackDownload(auditor, packId))).status).toBe(404);

    // Another instance: its supervisor notices the silent worker and the job starts again from nothing.
    await new Promise((resolve) => setTimeout(resolve, 1800));
    await superviseJobs(1500);
    const restarted = await db.auditEvent.findMany({ where: { subjectType: "BackgroundJob", subjectId: jobId, action: "job.restarted" } });
    expect(restarted).toHaveLength(1);
    workers = await startJobWorkers([evidencePackJob] as never);
    await waitFor("the pack to be built on the second attempt", async () => {
      const pack = await db.evidencePack.findUniqueOrThrow({ where: { id: packId } });
      if (pack.state === "failed") throw new Error(`the pack failed: ${pack.error}`);
      return pack.state === "completed";
    }, 120_000);
    const job = await db.backgroundJob.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ state: "succeeded", attempt: 2 });
    const pack = await db.evidencePack.findUniqueOrThrow({ where: { id: packId } });
    expect(Number(pack.rowCount)).toBeGreaterThanOrEqual(BULK);
    const download = await openEvidencePackDownload(auditor, packId);
    expect(download.size).toBe(Number(pack.sizeBytes));
    // What the killed attempt left behind is gone.
    expect(fs.existsSync(path.join(packDir, ".building", packId))).toBe(false);
    expect(fs.existsSync(path.join(packDir, `${packId}.zip.partial`))).toBe(false);
  }, 240_000);
});
