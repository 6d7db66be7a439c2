// npm run ledger:witness -- serve --dir DIR --name NAME [--port 3112] (--log-vkey VKEY … | --log-url URL --trusted-keys FPR[,FPR])
// npm run ledger:witness -- poll  --dir DIR --name NAME --log-url URL --token TOKEN (--trusted-keys FPR[,FPR] | --log-vkey VKEY …) [--interval 10] [--once]
//
// An independent witness of the Attest ledger (docs/ledger.md "Witnesses"), run by someone other than
// the log's operators on another host. It needs no database and none of Attest's secrets: only its
// own directory (its Ed25519 key, every checkpoint it accepted, alerts.log) and the log's pinned key.
//
//   serve  speaks C2SP tlog-witness: POST /add-checkpoint (the app submits each new checkpoint with a
//          consistency proof from the witness's last one; ATTEST_WITNESSES on the app's side) and
//          answers with a tlog-cosignature; any other witness implementation can take its place.
//   poll   fetches GET /api/v1/audit/checkpoint and /api/v1/audit/proof/consistency itself (an API
//          token with the audit:read scope) every --interval seconds; exits 1 on the first
//          inconsistency (truncation, rewrite, fork, unknown key) after writing it to alerts.log.
//
// The log's keys: --log-vkey (its note verifier keys, /api/v1/audit/keys?format=json "noteVerifierKey"),
// or --trusted-keys (pinned OpenPGP fingerprints): the key chain is then fetched from --log-url and
// followed through the signed key transitions, trusting nothing the log merely lists.
import http from "node:http";
import os from "node:os";
import { evaluateKeyTrust, parseTrustedFingerprints } from "../app/modules/audit/key-trust";
import { ed25519KeyMaterial, readArmoredPublicKey } from "../app/modules/audit/openpgp";
import { parseVerifierKey, SIGNATURE_TYPE_ED25519, verifierKey, type VerifierKey } from "../app/modules/audit/signed-note";
import { addCheckpoint, loadWitnessKey, pollOnce, WitnessStore } from "../app/modules/audit/witness";

const argv = process.argv.slice(2);
const mode = argv[0];
const options = new Map<string, string[]>();
const flags = new Set<string>();
for (let i = 1; i < argv.length; i++) {
  const name = argv[i]!;
  if (!name.startsWith("--")) throw new Error(`unexpected argument ${name}`);
  if (name === "--once") flags.add(name);
  else options.set(name, [...(options.get(name) ?? []), argv[++i] ?? ""]);
}
const option = (name: string) => options.get(name)?.at(-1);
const required = (name: string) => {
  const value = option(name);
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const log = (message: string) => console.log(`${new Date().toISOString()} ${message}`);

async function logKeysResolver(): Promise<(origin: string) => VerifierKey[] | null> {
  const vkeys = (options.get("--log-vkey") ?? []).map(parseVerifierKey);
  const pins = option("--trusted-keys");
  let fromChain: { origin: string; keys: VerifierKey[] }[] = [];
  const refresh = async () => {
    if (!pins) return;
    const url = required("--log-url").replace(/\/+$/, "");
    const response = await fetch(`${url}/api/v1/audit/keys?format=json`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`GET /api/v1/audit/keys answered ${response.status}`);
    const { keys } = (await response.json()) as { keys: { fingerprint: string; armoredPublicKey: string; validFrom: string | null; validUntil: string | null; transition: { body: string; signature: string } | null; noteVerifierKey: string | null }[] };
    const trust = await evaluateKeyTrust(
      keys.map((key) => ({
        fingerprint: key.fingerprint,
        armoredPublicKey: key.armoredPublicKey,
        activatedAt: key.validFrom ? new Date(key.validFrom) : null,
        retiredAt: key.validUntil ? new Date(key.validUntil) : null,
        transitionBody: key.transition?.body ?? null,
        transitionSignature: key.transition?.signature ?? null,
      })),
      parseTrustedFingerprints(pins, "--trusted-keys"),
    );
    if (trust.problem) throw new Error(`the log's key chain does not verify from the pinned keys: ${trust.problem.message}`);
    const origins = new Set(keys.map((key) => key.noteVerifierKey?.split("+")[0]).filter((origin): origin is string => Boolean(origin)));
    fromChain = [];
    for (const origin of origins) {
      const trusted: VerifierKey[] = [];
      for (const key of trust.trusted.values()) trusted.push(verifierKey(origin, SIGNATURE_TYPE_ED25519, ed25519KeyMaterial(await readArmoredPublicKey(key.armoredPublicKey)).publicKey));
      fromChain.push({ origin, keys: trusted });
    }
  };
  await refresh();
  if (pins) setInterval(() => void refresh().catch((error: unknown) => log(`ALERT key chain: ${error instanceof Error ? error.message : String(error)}`)), 60_000).unref();
  return (origin) => {
    const keys = [...vkeys.filter((key) => key.name === origin), ...(fromChain.find((entry) => entry.origin === origin)?.keys ?? [])];
    return keys.length > 0 ? keys : null;
  };
}

async function serve() {
  const store = new WitnessStore(required("--dir"));
  const witness = loadWitnessKey(store.dir, option("--name") ?? `witness.attest.invalid/${os.hostname()}`);
  const trustedKeys = await logKeysResolver();
  const port = Number(option("--port") ?? 3112);
  const server = http.createServer((request, response) => {
    if (request.method !== "POST" || !request.url?.endsWith("/add-checkpoint")) {
      response.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > 64 * 1024) request.destroy();
      else chunks.push(chunk);
    });
    request.on("end", () => {
      // Synchronous from check to store: one request at a time is checked and recorded (spec: atomic).
      const answer = addCheckpoint(store, witness, trustedKeys, Buffer.concat(chunks).toString("utf8"));
      if (answer.status === 200) log(`cosigned: ${answer.body.trim()}`);
      else log(`refused (${answer.status}): ${answer.body.trim()}`);
      response.writeHead(answer.status, { "Content-Type": answer.contentType }).end(answer.body);
    });
  });
  server.listen(port, () => log(`witness ${witness.name} listening on :${port}; its cosignature key (for the log's ATTEST_WITNESSES): ${witness.vkey.text}`));
}

async function poll() {
  const store = new WitnessStore(required("--dir"));
  const witness = loadWitnessKey(store.dir, option("--name") ?? `witness.attest.invalid/${os.hostname()}`);
  const trustedKeys = await logKeysResolver();
  const url = required("--log-url").replace(/\/+$/, "");
  const headers = { Authorization: `Bearer ${required("--token")}` };
  const source = {
    latestNote: async () => {
      const response = await fetch(`${url}/api/v1/audit/checkpoint`, { headers, signal: AbortSignal.timeout(10_000) });
      if (response.status === 404) return null;
      if (!response.ok) throw new Error(`GET /api/v1/audit/checkpoint answered ${response.status}`);
      return response.text();
    },
    consistencyProof: async (from: number, to: number) => {
      const response = await fetch(`${url}/api/v1/audit/proof/consistency?from=${from}&to=${to}`, { headers, signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`GET /api/v1/audit/proof/consistency answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { proof: string[] }).proof.map((hash) => Buffer.from(hash, "hex"));
    },
  };
  const interval = Number(option("--interval") ?? 10) * 1000;
  log(`witness ${witness.name} polling ${url}; its cosignature key: ${witness.vkey.text}`);
  for (;;) {
    const result = await pollOnce(store, witness, source, trustedKeys);
    if (!result.ok) {
      log(`ALERT: ${result.message} (recorded in ${store.dir}/alerts.log)`);
      process.exit(1);
    }
    log(result.message);
    if (flags.has("--once")) return;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

const run = mode === "serve" ? serve : mode === "poll" ? poll : null;
if (!run) {
  console.error("usage: npm run ledger:witness -- serve|poll --dir DIR --name NAME … (see the head of scripts/ledger-witness.ts)");
  process.exit(2);
}
run().catch((error: unknown) => {
  console.error(`ledger:witness could not run: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
});
