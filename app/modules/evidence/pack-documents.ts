import type { SignedCheckpoint } from "~/modules/audit/checkpoints.server";
import { includeOptions, type PackScope } from "./schema";

// The two files of a pack written for people: VERIFY.md (how to check it with standard tools) and
// index.html (a summary that opens offline: no script, no external resource).

export function verifyMarkdown(input: { packId: string; fingerprint: string; checkpoint: SignedCheckpoint; origin: string }) {
  return `# Verifying this evidence pack

Pack \`${input.packId}\`, signed by the Attest ledger key \`${input.fingerprint}\`.
Compare that fingerprint with the one the organisation published (\`GET /api/v1/audit/keys\`) or
gave you directly: a pack can only be as trustworthy as the key you check it against.

Unzip the pack and run every command below inside its directory.

## 1. Everything at once (Node.js 18 or later, no dependencies)

    node verify.mjs --fingerprint ${input.fingerprint}

It checks every file's SHA-256 and size against \`SHA256SUMS\` and \`manifest.json\` (and that no file
was added or removed), the OpenPGP signatures with \`gpg\` when it is installed, the checkpoints' Ed25519
note signatures, the checkpoint roots recomputed from \`audit/leaf-hashes.bin\`, the RFC 6962 consistency
proof to the latest checkpoint, every event's content hash, leaf hash and RFC 6962 inclusion proof, the
row counts, and it redraws the audit sample from its population file and seed. It exits 1 naming the
first file, event or proof that fails.

If you kept a checkpoint of this ledger earlier (its C2SP signed note from \`/api/v1/audit/checkpoint\`,
or its JSON from \`/api/v1/audit/checkpoints/latest\` — the forms \`ledger:verify --trusted-checkpoint\`
takes), prove the ledger in this pack extends it — nothing was rewritten or removed since:

    node verify.mjs --trusted-checkpoint my-kept-checkpoint.note

The verifier checks the kept checkpoint's signature with the keys in \`keys/\` (the note's Ed25519
signature; the JSON's OpenPGP signature with gpg), then recomputes the root of its first tree-size
leaves from \`audit/leaf-hashes.bin\` (whose roots at this pack's checkpoints it has already matched)
and compares it with the kept root. It fails on a fork ("not consistent with the trusted checkpoint …
a fork": the history up to the kept size differs) and on a truncation ("it covers N events, more than
this pack's ledger"). By hand: the root of the first \`treeSize\` 32-byte leaves of
\`audit/leaf-hashes.bin\`, computed as in section 3, must equal the kept root.

## 2. With standard tools only

    gpg --import keys/signing-keys.asc
    gpg --verify manifest.json.asc manifest.json
    sha256sum -c SHA256SUMS
    gpg --verify audit/checkpoint.body.asc audit/checkpoint.body

\`manifest.json\` lists every file with its SHA-256 and size, the scope, the exact queries with their
parameters, who asked, when, the app version and the checkpoint used; its signature therefore covers
the whole pack.

## 3. The ledger proofs with any RFC 6962 implementation

- Leaf hash: SHA-256(0x00 ‖ RFC 8785 canonical JSON of \`leaf\`) — each line of \`audit/events.jsonl\`
  holds \`leaf\`, \`leafHash\` and, for leaf format v2, \`content\`, whose canonical JSON's SHA-256 is
  \`leaf.content\`.
- Interior node: SHA-256(0x01 ‖ left ‖ right).
- \`inclusionProof\` is the RFC 6962 audit path of leaf index \`seq − 1\` in the tree of
  ${input.checkpoint.treeSize} leaves whose root is \`${input.checkpoint.rootHash}\` (checkpoint
  ${input.checkpoint.number} of log \`${input.origin}\`, \`audit/checkpoint.json\`).
- \`audit/consistency.json\` is the RFC 6962 consistency proof from that tree to the latest checkpoint
  (\`audit/latest-checkpoint.json\`).
- \`audit/leaf-hashes.bin\` holds every leaf hash (32 bytes each, in order) up to the latest checkpoint,
  so the root of any earlier tree size can be recomputed.
- The checkpoints' \`signedNote\` is a C2SP signed note (tlog-checkpoint); \`keys/keys.json\` gives each
  key's note verifier key.

## 4. The audit sample

\`manifest.json\` → \`sample\` names the method (attest-sample/v1, described in full there), the seed and the
population file. Anyone can redraw \`samples/sample.csv\` from \`samples/population.csv\` with them.

## Personal data

Personal data appears only where the requester may read it; elsewhere it is masked (\`••••••\`) and free
text that may hold personal data is withheld, as on screen. Ledger events carry personal data only
sealed under each customer's own key.
`;
}

const escapeHtml = (value: unknown) =>
  String(value ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");

export function indexHtml(input: {
  packId: string;
  createdAt: string;
  requester: { displayName: string; email: string; role: string };
  scope: PackScope;
  counts: Record<string, number>;
  checkpoint: SignedCheckpoint;
  latest: SignedCheckpoint;
  fingerprint: string;
  sample: Record<string, unknown> | null;
  sampleRows: string[];
}) {
  const { scope } = input;
  const included = (Object.keys(includeOptions) as (keyof typeof includeOptions)[]).filter((key) => scope.include[key]);
  const filter = Object.entries(scope.decisionFilter ?? {}).filter(([, value]) => value);
  const rows = Object.entries(input.counts)
    .map(([name, count]) => `<tr><td>${escapeHtml(name)}</td><td class="n">${count.toLocaleString("en")}</td></tr>`)
    .join("");
  const sample = input.sample
    ? `<h2>Audit sample</h2>
<p>${escapeHtml(input.sample.drawn)} of ${escapeHtml(input.sample.populationSize)} decisions drawn with seed <code>${escapeHtml(input.sample.seed)}</code> by ${escapeHtml(input.sample.method)}
from <code>samples/population.csv</code>${input.sampleRows.length < Number(input.sample.drawn) ? ` (the first ${input.sampleRows.length} shown; all in <code>samples/sample.csv</code>)` : ""}.</p>
<table><thead><tr><th>#</th><th>decision</th><th>external id</th><th>decided at</th><th>region</th><th>outcome</th><th>review</th></tr></thead><tbody>
${input.sampleRows
  .map((line, index) => {
    const cells = line.split(",");
    return `<tr><td class="n">${index + 1}</td>${cells.slice(0, 6).map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`;
  })
  .join("\n")}
</tbody></table>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evidence pack ${escapeHtml(input.packId)}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; color: #1b1f24; max-width: 960px; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; width: 100%; font-size: 14px; } th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #eaeef2; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } code { font-size: 13px; background: #f6f8fa; padding: 0 .25rem; word-break: break-all; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; } dt { color: #57606a; }
</style>
</head>
<body>
<h1>Evidence pack</h1>
<p>Built ${escapeHtml(input.createdAt)} for ${escapeHtml(input.requester.displayName)} (${escapeHtml(input.requester.role)}), pack <code>${escapeHtml(input.packId)}</code>.</p>
<h2>Scope</h2>
<dl>
<dt>Period</dt><dd>${escapeHtml(scope.from)} to ${escapeHtml(scope.to)} (whole days, UTC)</dd>
<dt>Regions</dt><dd>${escapeHtml(scope.regions.join(", "))}</dd>
<dt>Included</dt><dd>${included.map((key) => escapeHtml(includeOptions[key])).join("<br>")}</dd>
<dt>Decision filters</dt><dd>${filter.length ? filter.map(([key, value]) => `${escapeHtml(key)} = ${escapeHtml(value)}`).join(", ") : "none"}</dd>
</dl>
<h2>Contents</h2>
<table><thead><tr><th>dataset</th><th class="n">rows</th></tr></thead><tbody>${rows}</tbody></table>
<p>Every file, with its SHA-256 and size, and the exact queries that selected the rows are listed in <code>manifest.json</code>.</p>
${sample}
<h2>Ledger</h2>
<p>Events are proven against signed checkpoint ${input.checkpoint.number} (${input.checkpoint.treeSize.toLocaleString("en")} events, root <code>${escapeHtml(input.checkpoint.rootHash)}</code>),
which is consistent with the latest checkpoint ${input.latest.number} (${input.latest.treeSize.toLocaleString("en")} events) when the pack was built.</p>
<h2>How to verify</h2>
<p>Signing key <code>${escapeHtml(input.fingerprint)}</code>. In the unzipped directory:</p>
<pre><code>node verify.mjs --fingerprint ${escapeHtml(input.fingerprint)}
gpg --import keys/signing-keys.asc &amp;&amp; gpg --verify manifest.json.asc manifest.json
sha256sum -c SHA256SUMS</code></pre>
<p>See <code>VERIFY.md</code> for the details, a checkpoint you kept earlier, and the sample method.</p>
</body>
</html>
`;
}
