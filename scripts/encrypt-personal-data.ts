// npm run data:encrypt [-- --batch 500] [-- --verify-only]
// Encrypts in place the personal data a database from before encryption at rest holds in plain text
// (ADR 009), wraps its raw ledger keys, then verifies: counts what is still plain per table (all zero)
// and decrypts every value once. Resumable: interrupt it and run it again. Exit 0 when nothing plain is
// left and everything decrypts, 1 when something is left, 2 if it could not run.
import { disconnectDatabase } from "../app/utils/db.server";
import { countPlaintext, encryptExistingPersonalData, verifyEncrypted } from "../app/modules/customers/encrypt-at-rest.server";

const args = process.argv.slice(2);
const batchIndex = args.indexOf("--batch");
const batchSize = batchIndex >= 0 ? Number(args[batchIndex + 1]) : 500;

async function main() {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch ${args[batchIndex + 1] ?? ""} is not a positive whole number`);
  const before = await countPlaintext();
  console.log("still in plain text before:", JSON.stringify(before));
  if (!args.includes("--verify-only")) {
    const controller = new AbortController();
    process.once("SIGINT", () => {
      console.log("stopping after the current batch (run again to continue)…");
      controller.abort();
    });
    let lastLine = "";
    const result = await encryptExistingPersonalData({
      batchSize,
      signal: controller.signal,
      progress: (step, done, total) => {
        const line = `${step}: ${done.toLocaleString("en")}${total ? ` of ${total.toLocaleString("en")}` : ""}`;
        if (line !== lastLine) console.log(line);
        lastLine = line;
      },
    });
    console.log("encrypted:", JSON.stringify(result));
  }
  const after = await countPlaintext();
  console.log("still in plain text after:", JSON.stringify(after));
  const verified = await verifyEncrypted();
  console.log(`verified: ${verified.keysUnwrapped.toLocaleString("en")} subject key rows unwrap, ${verified.personalValuesDecrypted.toLocaleString("en")} personal values and ${verified.reviewTextsDecrypted.toLocaleString("en")} review texts decrypt`);
  return Object.values(after).every((count) => count === 0);
}

main()
  .then(async (isDone) => {
    await disconnectDatabase();
    if (!isDone) console.error("plain text is left: run npm run data:encrypt again");
    process.exit(isDone ? 0 : 1);
  })
  .catch(async (error: unknown) => {
    console.error(`data:encrypt could not run: ${error instanceof Error ? error.message : String(error)}`);
    await disconnectDatabase().catch(() => {});
    process.exit(2);
  });
