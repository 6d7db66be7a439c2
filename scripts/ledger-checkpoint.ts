// npm run ledger:checkpoint — signs a checkpoint of the ledger now (activating a key on first use).
import { disconnectDatabase } from "../app/utils/db.server";
import { createCheckpoint, ensureActiveSigningKey } from "../app/modules/audit/checkpoints.server";

try {
  const key = await ensureActiveSigningKey();
  const checkpoint = await createCheckpoint({ force: true });
  console.log(checkpoint ? `checkpoint of ${checkpoint.treeSize} events signed by ${key.fingerprint}` : "another instance is signing a checkpoint right now; try again");
  await disconnectDatabase();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await disconnectDatabase().catch(() => {});
  process.exit(1);
}
