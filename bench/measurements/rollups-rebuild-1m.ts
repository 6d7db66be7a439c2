import pg from "pg";
import { elapsedSince, type Measurement } from "../lib/measurement";
import { runCommand, runPsql, workerEnvironment } from "../lib/processes";

// `npm run rollups:rebuild` over the million-decision reference book (issue 10: ≤ 60 s), run as an
// operator runs it (the CLI, process start-up and the ledger event included) on a copy of the book, as
// the rebuild rewrites every fact and rollup. The floor is the plain GROUP BY over the raw tables that
// the rebuild cannot do without: every decision joined with its repayment and fraud outcomes and
// grouped by the daily rollup's keys, nothing written.

let copy: { url: string; drop(): Promise<void> } | null = null;
const insideTransaction: number[] = [];

const RAW_GROUP_BY = `
  SELECT count(*) FROM (
    SELECT (d.decided_at AT TIME ZONE 'UTC')::date, d.region_code, d.kind, d.model_name, d.model_version, d.outcome, d.review_state,
           CASE WHEN f.confirmed THEN 'confirmed' WHEN f.cleared THEN 'cleared' ELSE 'none' END,
           count(*), sum(d.amount), sum(coalesce(r.latest, d.amount)), sum(coalesce(f.chargebacks, 0))
      FROM decision d
      LEFT JOIN (SELECT decision_id, (array_agg(outstanding_amount ORDER BY observed_at DESC, id DESC))[1] AS latest
                   FROM repayment_outcome GROUP BY 1) r ON r.decision_id = d.id
      LEFT JOIN (SELECT decision_id, bool_or(outcome = 'confirmed_fraud') AS confirmed, bool_or(outcome = 'cleared') AS cleared,
                        count(*) FILTER (WHERE outcome = 'chargeback') AS chargebacks
                   FROM fraud_outcome GROUP BY 1) f ON f.decision_id = d.id
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) grouped`;

async function expectRollupsCoverTheBook(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ decisions: string; rolled: string; facts: string }>(
      `SELECT (SELECT count(*) FROM decision) AS decisions, (SELECT coalesce(sum(decisions), 0) FROM rollup_decision_daily) AS rolled,
              (SELECT count(*) FROM decision_fact) AS facts`,
    );
    const { decisions, rolled, facts } = rows[0]!;
    if (decisions !== rolled || decisions !== facts) {
      throw new Error(`after the rebuild: ${decisions} decisions, ${facts} facts, ${rolled} in the daily rollup`);
    }
  } finally {
    await client.end();
  }
}

const rebuild: Measurement = {
  name: "rollups.rebuild-1m",
  description:
    "`npm run rollups:rebuild` (the CLI, start-up and ledger event included) over a copy of the 1,000,000-decision reference book: " +
    "every decision fact and the four rollups recomputed from the raw tables in one transaction (target ≤ 60 s).",
  runs: 3,
  async setup(context) {
    copy = await context.copyOfReference("the rollup rebuild");
  },
  async measure() {
    const startedAt = process.hrtime.bigint();
    const output = await runCommand("npx", ["tsx", "scripts/rollups-rebuild.ts"], {
      env: workerEnvironment(copy!.url),
      label: "npm run rollups:rebuild",
    });
    const ms = elapsedSince(startedAt);
    const reported = /in ([\d.]+) s/.exec(output);
    if (reported) insideTransaction.push(Number(reported[1]) * 1000);
    await expectRollupsCoverTheBook(copy!.url);
    return ms;
  },
  floor: {
    name: "pg.raw-group-by",
    description: "The raw GROUP BY the rebuild cannot avoid: decisions joined with their outcomes and grouped by the daily rollup's keys, sent by psql, nothing written.",
    async measure() {
      const startedAt = process.hrtime.bigint();
      await runPsql(copy!.url, RAW_GROUP_BY, "raw GROUP BY");
      return elapsedSince(startedAt);
    },
  },
  notes() {
    if (insideTransaction.length === 0) return "";
    return `rebuild transaction alone (as the CLI reports it) ${insideTransaction.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(", ")}`;
  },
  async teardown() {
    await copy?.drop();
    copy = null;
  },
};

export default rebuild;
