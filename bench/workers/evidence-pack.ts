// Builds one evidence pack of about TARGET_DECISIONS decisions (the most recent ones) with their reasons,
// customers, reviews and ledger events, exactly as the evidence_pack.build job does, and prints one JSON
// line: {ms, rows, sizeBytes, decisions, from, to}. Run by bench/measurements/evidence-pack-*.ts under
// /usr/bin/time for its peak RSS. The pack row and file are removed afterwards.
import fs from "node:fs";
import { buildEvidencePack, packFilePath } from "~/modules/evidence/pack-builder.server";
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
let lastMessage = "";
const built = await buildEvidencePack(
  { packId: pack.id, jobId: pack.id, scope, createdAt: pack.createdAt, requester: { id: auditor.id, email: auditor.email, displayName: auditor.displayName, role: auditor.role, regions } },
  { throwIfCancelled() {}, report: (_done, _total, message) => { if (process.env.BENCH_TRACE && message !== lastMessage) { lastMessage = message; console.error(`${(Number(process.hrtime.bigint() - startedAt) / 1e6).toFixed(0)} ms ${message} rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`); } } },
);
const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
fs.rmSync(packFilePath(built.storageKey), { force: true });
await db.evidencePack.delete({ where: { id: pack.id } });
const manifestCounts = built.rowCount;
console.log(JSON.stringify({ ms, rows: manifestCounts, sizeBytes: built.sizeBytes, from: scope.from, to: scope.to }));
await disconnectDatabase();
