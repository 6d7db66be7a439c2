import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateKeyEncryptionKeyFile } from "../../app/modules/customers/kek-files";

/**
 * A key-encryption key directory for one test database (ADR 009), given to every process that touches
 * that database through ATTEST_KEK_DIR, as production would: a test process is not in demo mode, so it
 * never generates one itself. Rotation tests add and destroy files in it, as Attest does in production.
 */
export function createTestKeyDirectory() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "attest-kek-"));
  generateKeyEncryptionKeyFile(dir);
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
