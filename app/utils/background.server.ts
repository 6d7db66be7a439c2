import { disconnectDatabase } from "./db.server";
import { env } from "./env.server";
import { logger } from "./logger.server";

// Work the app does beside serving requests: signing ledger checkpoints, erasing retained records
// whose retention period ended, and running background jobs. Started once per process by the server
// build (entry.server.tsx), so it shares the build's database client; server.ts stops it on shutdown
// through the hook registered here.

interface BackgroundHooks {
  stop(): Promise<void>;
}

const slot = globalThis as { __attestBackground?: Promise<BackgroundHooks> };

async function startJobs() {
  try {
    await import("~/modules/jobs/handlers.server");
    const { startJobWorkers } = await import("~/modules/jobs/worker.server");
    return await startJobWorkers();
  } catch (error) {
    logger.error(`background jobs cannot run on this instance: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

export function startBackgroundWork() {
  slot.__attestBackground ??= (async () => {
    const { ensureActiveSigningKey, startCheckpointWorker } = await import("~/modules/audit/checkpoints.server");
    try {
      const key = await ensureActiveSigningKey();
      logger.info(`checkpoints are signed with OpenPGP key ${key.fingerprint}`);
    } catch (error) {
      logger.error(`checkpoints cannot be signed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const stopCheckpoints = startCheckpointWorker();
    // Retention sweep (issue 5 part 4); importing it validates policies/retention.yaml at start-up.
    const { startRetentionWorker } = await import("~/modules/privacy/retention.server");
    await import("~/modules/privacy/retention-policy.server");
    const stopRetention = startRetentionWorker();
    // Key-encryption key rotation every ATTEST_KEK_ROTATION_DAYS (ADR 015): bounds how long a backup
    // taken before an erasure stays readable for the erased subject.
    const { startKeyRotationWorker } = await import("~/modules/customers/kek-rotation.server");
    const stopKeyRotation = startKeyRotationWorker();
    // Rule-set versions reach their effective time (issue 9): every instance checks; the region lock decides.
    const { startActivationWorker } = await import("~/modules/rulesets/activation.server");
    const stopActivation = startActivationWorker();
    // Background jobs (ADR 008): evidence packs, backtests, rollup rebuilds. JOB_WORKERS=false runs an
    // instance that only serves pages; any other instance picks its jobs up.
    const jobs = env.JOB_WORKERS ? await startJobs() : null;
    return {
      async stop() {
        stopCheckpoints();
        stopRetention();
        stopKeyRotation();
        stopActivation();
        await jobs?.stop();
        await disconnectDatabase();
      },
    };
  })();
  return slot.__attestBackground;
}
