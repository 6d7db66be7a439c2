// A stand-alone app instance that only runs the test job kinds' workers: the crash tests start it,
// wait for a job to be running, and kill it with SIGKILL (tests/integration/job-queue.test.ts).
import "./test-jobs";
import { startJobWorkers } from "~/modules/jobs/worker.server";
import { countJob, fragileJob, hangJob } from "./test-jobs";

await startJobWorkers([countJob, fragileJob, hangJob] as never);
console.log("workers ready");
setInterval(() => {}, 60_000);
