import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { migrateDatabase, runCommand } from "./processes";

// The databases a benchmark run uses on one PostgreSQL server, all named after BENCH_DATABASE_URL's
// database (default attest_bench):
//   attest_bench            the reference book (1,000,000 decisions), built once and reused
//   attest_bench_template   migrated and empty; scratch databases are cloned from it in a second
//   attest_bench_scratch_*  one per timed run, dropped afterwards
// Each long-lived database carries a marker in its COMMENT saying what it holds, so a later run can
// tell whether it is still what it needs (same book, same migrations).

export interface ReferenceBook {
  decisions: number;
  seed: number;
  now: string;
}

interface Marker {
  migrations: string;
  book?: ReferenceBook;
}

function migrationsFingerprint() {
  const dir = path.resolve("prisma/migrations");
  const hash = crypto.createHash("sha256");
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name, "migration.sql");
    if (fs.existsSync(file)) hash.update(name).update(fs.readFileSync(file));
  }
  return hash.digest("hex").slice(0, 16);
}

function withDatabase(url: string, database: string) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export class BenchDatabases {
  readonly referenceName: string;
  private readonly templateName: string;
  private readonly migrations = migrationsFingerprint();
  private scratchCount = 0;

  constructor(
    private readonly referenceUrl: string,
    private readonly log: (message: string) => void,
  ) {
    this.referenceName = decodeURIComponent(new URL(referenceUrl).pathname.slice(1)) || "attest_bench";
    this.templateName = `${this.referenceName}_template`;
  }

  private async admin<T>(use: (client: pg.Client) => Promise<T>) {
    const client = new pg.Client({ connectionString: withDatabase(this.referenceUrl, "postgres") });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  }

  async serverVersion() {
    return this.admin(async (client) => (await client.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version);
  }

  private async readMarker(name: string): Promise<Marker | null> {
    return this.admin(async (client) => {
      const { rows } = await client.query<{ comment: string | null }>(
        "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
        [name],
      );
      if (rows.length === 0) return null;
      try {
        return JSON.parse(rows[0]!.comment ?? "") as Marker;
      } catch {
        return { migrations: "unknown" };
      }
    });
  }

  private async writeMarker(name: string, marker: Marker) {
    const text = JSON.stringify(marker).replace(/'/g, "''");
    await this.admin((client) => client.query(`COMMENT ON DATABASE "${name}" IS '${text}'`));
  }

  private async recreate(name: string, template?: string) {
    await this.admin(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ""}`);
    });
  }

  private async drop(name: string) {
    await this.admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }

  /** The reference book, built with the seed CLI if missing or different; migrated to the current schema. */
  async ensureReference(book: ReferenceBook, options: { isRebuild: boolean }) {
    const url = withDatabase(this.referenceUrl, this.referenceName);
    const marker = await this.readMarker(this.referenceName);
    const isSameBook = JSON.stringify(marker?.book) === JSON.stringify(book);
    if (marker && isSameBook && !options.isRebuild) {
      if (marker.migrations !== this.migrations) {
        this.log(`${this.referenceName}: applying new migrations`);
        await migrateDatabase(url);
        await this.writeMarker(this.referenceName, { migrations: this.migrations, book });
      }
      return url;
    }
    this.log(
      `${this.referenceName}: building the reference book (${book.decisions.toLocaleString("en")} decisions, seed ${book.seed}); a few minutes, once`,
    );
    await this.recreate(this.referenceName);
    await migrateDatabase(url);
    await runCommand("npx", ["tsx", "prisma/seed/index.ts", ...seedArguments(book)], {
      env: { DATABASE_URL: url },
      label: "seeding the reference database",
      log: (line) => this.log(`  ${line}`),
    });
    await this.writeMarker(this.referenceName, { migrations: this.migrations, book });
    return url;
  }

  private async ensureTemplate() {
    const marker = await this.readMarker(this.templateName);
    if (marker?.migrations === this.migrations) return;
    this.log(`${this.templateName}: creating the empty migrated template`);
    await this.recreate(this.templateName);
    await migrateDatabase(withDatabase(this.referenceUrl, this.templateName));
    await this.writeMarker(this.templateName, { migrations: this.migrations });
  }

  /**
   * A writable copy of the reference book (CREATE DATABASE … TEMPLATE), for measurements that write to
   * it (a rollup rebuild): the reference itself is only ever read. PostgreSQL refuses to copy a database
   * anyone is connected to, so this retries for up to ten minutes while other benchmarks read it.
   */
  async copyReference(referenceUrl: string, purpose: string) {
    const name = `${this.referenceName}_copy_${process.pid}_${++this.scratchCount}`;
    const deadline = Date.now() + 10 * 60_000;
    let reported = false;
    for (;;) {
      try {
        await this.admin((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${this.referenceName}"`));
        break;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== "55006" || Date.now() > deadline) throw error;
        if (!reported) this.log(`${this.referenceName}: in use by other sessions; waiting to copy it for ${purpose}`);
        reported = true;
        await new Promise((resolve) => setTimeout(resolve, 3_000));
      }
    }
    return { url: withDatabase(referenceUrl, name), drop: () => this.drop(name) };
  }

  /** A fresh migrated database for one run (cloned from the template), dropped afterwards. */
  async withScratch<T>(use: (url: string) => Promise<T>): Promise<T> {
    await this.ensureTemplate();
    const name = `${this.referenceName}_scratch_${process.pid}_${++this.scratchCount}`;
    await this.recreate(name, this.templateName);
    try {
      return await use(withDatabase(this.referenceUrl, name));
    } finally {
      await this.drop(name);
    }
  }
}

export function seedArguments(book: ReferenceBook) {
  return ["--decisions", String(book.decisions), "--seed", String(book.seed), "--now", book.now];
}
