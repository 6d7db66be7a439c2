// A stand-alone app instance that only runs the evidence pack builder's workers: the crash test starts
// it, waits until a pack is half built, and kills it with SIGKILL (tests/integration/evidence-pack-crash.test.ts).
import { evidencePackJob } from "~/modules/evidence/evidence.jobs.server";
import { startJobWorkers } from "~/modules/jobs/worker.server";

await startJobWorkers([evidencePackJob] as never);
console.log("workers ready");
setInterval(() => {}, 60_000);
