import { z } from "zod";

// The environment, validated once at start-up (a wrong value stops the process with the variable's name).
const booleanFlag = z
  .enum(["true", "false", "1", "0"])
  .transform((value) => value === "true" || value === "1");

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  // Unset → the embedded PGlite server under EMBEDDED_DB_DIR (demo and small teams only).
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  EMBEDDED_DB_DIR: z.string().default("./data/pglite"),
  EMBEDDED_DB_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  SESSION_SECRET: z.string().min(32, "SESSION_SECRET must be at least 32 characters").optional(),
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().min(1).default(12),
  // Secure cookies everywhere but development (browsers treat http://localhost as secure anyway).
  SESSION_COOKIE_SECURE: booleanFlag.optional(),
  // Production default: privileged roles must enrol TOTP. The demo runs with it off.
  AUTH_REQUIRE_MFA: booleanFlag.default("true"),
  // Extra origins accepted by the Origin check on mutations, comma-separated.
  TRUSTED_ORIGINS: z.string().default(""),
  LOGIN_MAX_FAILURES_PER_EMAIL: z.coerce.number().int().min(1).default(5),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).default(30),
  LOGIN_WINDOW_MINUTES: z.coerce.number().int().min(1).default(15),
  // Issue 13: growing delays per address+account start after LOGIN_MAX_FAILURES_PER_EMAIL failures,
  // doubling from this many seconds; above the global ceiling (failures per minute, all addresses),
  // only addresses without a recent failure may try.
  LOGIN_DELAY_BASE_SECONDS: z.coerce.number().int().min(1).default(30),
  LOGIN_GLOBAL_MAX_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(300),
  // Shows the demo accounts on the sign-in page. Defaults to on for the embedded database only.
  ATTEST_DEMO: booleanFlag.optional(),
  // Checkpoint signing keys (OpenPGP Ed25519, armored, unencrypted or with the passphrase below): one
  // in the environment or a file, and/or a directory of *.asc keys staged for rotation. In embedded
  // mode a key is generated into the directory on first start, with a warning.
  ATTEST_SIGNING_KEY: z.string().optional(),
  ATTEST_SIGNING_KEY_FILE: z.string().optional(),
  ATTEST_SIGNING_KEY_PASSPHRASE: z.string().optional(),
  ATTEST_SIGNING_KEYS_DIR: z.string().default("./data/keys"),
  // The log's identity in its C2SP signed-note checkpoints (first line, and the note key's name): a
  // schema-less URL that never changes for the life of the ledger, e.g. attest.example.com/ledger.
  // Unset: the origin of the ledger's previous checkpoint, or attest.invalid/ledger for a new one.
  ATTEST_LEDGER_ORIGIN: z
    .string()
    .regex(/^[^\s+]+$/u, "ATTEST_LEDGER_ORIGIN must be non-empty, without spaces or '+' (e.g. attest.example.com/ledger)")
    .optional(),
  // Event authentication tag keys (HMAC-SHA-256, base64, at least 32 bytes; docs/ledger.md): never in
  // the database. Comma-separated in the variable, one per line in the file; the first one tags new
  // events, the others only verify older ones (rotation). Demo mode generates one next to the signing key.
  ATTEST_LEDGER_HMAC_KEY: z.string().optional(),
  ATTEST_LEDGER_HMAC_KEY_FILE: z.string().optional(),
  // Trust beyond the database (issue 12, docs/ledger.md "Trusted keys"): the checkpoint signing keys a
  // verifier trusts, pinned by OpenPGP fingerprint (comma-separated; the file one per line). Later keys
  // are trusted through transition statements signed by their predecessor. Unset: the keys this
  // process holds privately (key files outside the database), with a warning in the report.
  ATTEST_TRUSTED_KEYS: z.string().optional(),
  ATTEST_TRUSTED_KEYS_FILE: z.string().optional(),
  // Events not yet covered by a signed checkpoint may be at most this old when the ledger is verified.
  ATTEST_LEDGER_MAX_PENDING_SECONDS: z.coerce.number().int().min(1).default(300),
  // External checkpoint sink: every signed checkpoint is also written to this directory (separate,
  // ideally write-once storage) and/or POSTed to this URL, retried in the background, never blocking
  // appends. ledger:verify reads the newest checkpoint in the directory as a trusted checkpoint.
  // Default ./data/checkpoints; "off" disables it.
  ATTEST_CHECKPOINT_SINK_DIR: z.string().default("./data/checkpoints"),
  ATTEST_CHECKPOINT_SINK_URL: z.string().url().optional(),
  // Witnesses (C2SP tlog-witness): "<witness vkey> <URL prefix of add-checkpoint>" entries,
  // comma-separated; every new checkpoint is submitted to each, and their verified cosignatures stored.
  // A checkpoint is "witnessed" once ATTEST_WITNESS_QUORUM distinct witnesses cosigned it (0: no quorum).
  ATTEST_WITNESSES: z.string().optional(),
  ATTEST_WITNESS_QUORUM: z.coerce.number().int().min(0).default(0),
  // Key-encryption keys for personal data (ADR 009, docs/operations.md): ATTEST_KEK is
  // "kid:base64key[,kid:base64key…]" (active first; rotated by the operator), else key files in
  // ATTEST_KEK_DIR (generated in demo mode; rotated and destroyed by Attest every
  // ATTEST_KEK_ROTATION_DAYS). Never stored with, or backed up with, the database.
  ATTEST_KEK: z.string().optional(),
  ATTEST_KEK_DIR: z.string().default("./data/keys/kek"),
  ATTEST_KEK_ROTATION_DAYS: z.coerce.number().int().min(1).max(366).default(30),
  // ADR 020: how long an instance keeps an unwrapped data key or a decrypted value it read (0 = never).
  // An erasure is never served from it (the key row is read with the data); this bounds only how long
  // what was read stays in the process's memory.
  PERSONAL_DATA_CACHE_SECONDS: z.coerce.number().int().min(0).max(600).default(60),
  // ADR 004: whether an audited transaction waits for its WAL flush while it holds the ledger head.
  // "on" (default): every acknowledged action is durable. "off": the lock is not held over a disk flush
  // (about 3× the audited actions per second for the database); a database crash may lose the last few
  // hundred ms of acknowledged actions — each with its event, never one without the other, never an
  // event a signed checkpoint covers.
  AUDIT_SYNCHRONOUS_COMMIT: z.enum(["on", "off"]).default("on"),
  // A signed checkpoint at least this often while events arrive (at most 1000: DESIGN.md §6).
  CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(50).max(1000).default(1000),
  // Background jobs (ADR 008): whether this instance runs workers, how often a running job proves it is
  // alive, and after how long without that proof another instance takes the job over.
  JOB_WORKERS: booleanFlag.default("true"),
  JOB_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  JOB_STALE_AFTER_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  JOB_POLL_INTERVAL_SECONDS: z.coerce.number().min(0.5).max(60).default(1),
  // Evidence packs (issue 11, ADR 012): where finished packs are kept, and for how long they can be downloaded again.
  EVIDENCE_PACK_DIR: z.string().default("./data/evidence-packs"),
  EVIDENCE_PACK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Env = z.infer<typeof EnvSchema>;

export function parseEnv(source: NodeJS.ProcessEnv): Env {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid environment:\n${problems.join("\n")}`);
  }
  return result.data;
}

export const env = parseEnv(process.env);

export const isDemoMode = env.ATTEST_DEMO ?? !env.DATABASE_URL;

export const isDevelopment = env.NODE_ENV === "development";
export const isSecureCookie = env.SESSION_COOKIE_SECURE ?? !isDevelopment;
