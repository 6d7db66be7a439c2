import { disconnectDatabase } from "./db.server";
import { logger } from "./logger.server";

// Work the app does beside serving requests: signing ledger checkpoints and erasing retained records
// whose retention period ended. Started once per process by the server build (entry.server.tsx), so
// it shares the build's database client; server.ts stops it on shutdown through the hook registered here.

interface BackgroundHooks {
  stop(): Promise<void>;
}

const slot = globalThis as { __attestBackground?: Promise<BackgroundHooks> };

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
    return {
      async stop() {
        stopCheckpoints();
        stopRetention();
        await disconnectDatabase();
      },
    };
  })();
  return slot.__attestBackground;
}
