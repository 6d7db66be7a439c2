// npm run kek:rotate [-- --batch 500] [-- --resume]
// Rotates the key-encryption key now (ADR 015, docs/operations.md "Rotating the key-encryption key"):
// a new KEK (a new file in ATTEST_KEK_DIR, or the one put first in ATTEST_KEK), every live subject key
// re-wrapped, blind indexes recomputed, the key tables vacuumed, the old KEK destroyed. Resumable: an
// interrupted run is finished by running it again with --resume (no second new KEK). Exit 0 when the old
// KEK was destroyed, 1 when keys under it are left, 2 when it could not run.
import { disconnectDatabase } from "../app/utils/db.server";
import { rotateKeyEncryptionKey } from "../app/modules/customers/kek-rotation.server";

const args = process.argv.slice(2);
const batchIndex = args.indexOf("--batch");
const batchSize = batchIndex >= 0 ? Number(args[batchIndex + 1]) : 500;

async function main() {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch ${args[batchIndex + 1] ?? ""} is not a positive whole number`);
  let last = "";
  const result = await rotateKeyEncryptionKey({
    batchSize,
    startNewKek: !args.includes("--resume"),
    progress: ({ step, done }) => {
      const line = `${step}: ${done.toLocaleString("en")}`;
      if (line !== last) console.log(line);
      last = line;
    },
  });
  console.log(JSON.stringify(result));
  const [{ n }] = (await (await import("../app/utils/db.server")).db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM key_encryption_key WHERE retired_at IS NOT NULL AND destroyed_at IS NULL`) as [{ n: number }];
  return n === 0;
}

main()
  .then(async (isDone) => {
    await disconnectDatabase();
    if (!isDone) console.error("a retired key-encryption key still wraps keys: run npm run kek:rotate -- --resume");
    process.exit(isDone ? 0 : 1);
  })
  .catch(async (error: unknown) => {
    console.error(`kek:rotate could not run: ${error instanceof Error ? error.message : String(error)}`);
    await disconnectDatabase().catch(() => {});
    process.exit(2);
  });
