import { logger } from "~/utils/logger.server";
import { activateDueVersions } from "./lifecycle.server";

// Scheduled activation (issue 9): every app instance looks for approved versions whose effective time
// has come, every few seconds. Two instances finding the same version serialise on the region's row
// lock; the one-active index guarantees a single winner (ADR 010). The API also resolves the version
// in force by time, so an engine never waits for this timer.

const intervalMs = 5_000;

export function startActivationWorker() {
  let isRunning = false;
  const tick = async () => {
    if (isRunning) return;
    isRunning = true;
    try {
      const activated = await activateDueVersions();
      if (activated.length > 0) logger.info(`rule-set versions activated: ${activated.map((version) => `v${version}`).join(", ")}`);
    } catch (error) {
      logger.error({ err: error }, "rule-set activation failed");
    } finally {
      isRunning = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}
