// Builds one evidence pack of about TARGET_DECISIONS decisions (the most recent ones) with their reasons,
// customers, reviews and ledger events, exactly as the evidence_pack.build job does — in the build
// process the job starts, with its flags (runEvidencePackBuild, ADR 021) — and prints one JSON line:
// {ms, rows, sizeBytes, from, to, buildPeakRssKiB}, the last being the build process's own peak RSS. Run
// by bench/lib/evidence-pack.ts under /usr/bin/time. The pack row and file are removed afterwards.
import fs from "node:fs";
import { runEvidencePackBuild } from "~/modules/evidence/pack-build-runner.server";
import { packFilePath } from "~/modules/evidence/pack-builder.server";
import type { PackScope } from "~/modules/evidence/schema";
import { db, disconnectDatabase, queryRows } from "~/utils/db.server";

const target = Number(process.env.TARGET_DECISIONS ?? 100_000);
const auditor = await db.staffUser.findFirstOrThrow({ where: { role: "auditor", isActive: true }, include: { regions: true } });
const regions = auditor.regions.map((region) => region.regionCode).sort();
const [bounds] = await queryRows<{ first: Date; last: Date }>(
  `SELECT (SELECT decided_at FROM decision ORDER BY decided_at DESC OFFSET $1 LIMIT 1) AS first, (SELECT max(decided_at) FROM decision) AS last`,
  [Math.max(0, target - 1)],
);
const from = (bounds?.first ?? new Date(0)).toISOString().slice(0, 10);
const to = (bounds?.last ?? new Date()).toISOString().slice(0, 10);
const scope: PackScope = {
  from: target >= 1_000_000 ? "2000-01-01" : from,
  to,
  regions,
  include: { decisions: true, reviews: true, contests: false, privacyRequests: false, ruleSets: true, staffChanges: false, ledger: false },
  decisionFilter: {},
  sample: null,
};
const pack = await db.evidencePack.create({ data: { requestedById: auditor.id, scope: scope as never, regionCodes: regions, state: "running" } });
const startedAt = process.hrtime.bigint();
const elapsedMs = () => Number(process.hrtime.bigint() - startedAt) / 1e6;
// BENCH_TRACE=1: each stage's start, and the build process's peak RSS (sampled every 25 ms from /proc)
// and V8 heap (reported with its progress) seen while the stage ran.
const trace = Boolean(process.env.BENCH_TRACE);
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;
let buildPid: number | null = null;
let heap = 0;
const buildRss = () => {
  if (buildPid === null) return 0;
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${buildPid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
};
let stage = { name: "process start", at: 0, peakRss: 0, peakHeap: 0 };
const sample = () => {
  stage.peakRss = Math.max(stage.peakRss, buildRss());
  stage.peakHeap = Math.max(stage.peakHeap, heap);
};
const endStage = (next: string) => {
  sample();
  const now = elapsedMs();
  console.error(`${stage.at.toFixed(0).padStart(7)} ms  ${stage.name.padEnd(26)} ${(now - stage.at).toFixed(0).padStart(6)} ms  peak rss ${mib(stage.peakRss)}, heap ${mib(stage.peakHeap)}`);
  stage = { name: next, at: now, peakRss: buildRss(), peakHeap: heap };
};
const sampler = trace ? setInterval(sample, 25) : null;
sampler?.unref();
let buildPeakRssKiB = 0;
const built = await runEvidencePackBuild(
  { packId: pack.id, jobId: pack.id, scope, createdAt: pack.createdAt, requester: { id: auditor.id, email: auditor.email, displayName: auditor.displayName, role: auditor.role, regions } },
  { throwIfCancelled() {}, report: (_done, _total, message) => { if (trace && message !== stage.name) endStage(message); } },
  new AbortController().signal,
  {
    onStart: (pid) => (buildPid = pid),
    onHeap: (bytes) => (heap = bytes),
    onPeakRss: (kib) => (buildPeakRssKiB = kib),
  },
);
const ms = elapsedMs();
if (sampler) {
  endStage("");
  clearInterval(sampler);
}
fs.rmSync(packFilePath(built.storageKey), { force: true });
await db.evidencePack.delete({ where: { id: pack.id } });
const manifestCounts = built.rowCount;
console.log(JSON.stringify({ ms, rows: manifestCounts, sizeBytes: built.sizeBytes, from: scope.from, to: scope.to, buildPeakRssKiB }));
await disconnectDatabase();
