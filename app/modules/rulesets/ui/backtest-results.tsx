import { Link } from "@remix-run/react";
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis, ResponsiveContainer } from "recharts";
import type { BacktestResult, SegmentSummary } from "../backtest.server";
import { formatDate, formatDateTime, formatMoney, formatPercent } from "~/utils/format";

// A stored backtest: what changes (counts per outcome transition), the approval-, referral-rate and
// exposure deltas overall and by segment, charts of both, and a sample of changed decisions.

const segmentTitles: Record<keyof BacktestResult["segments"], string> = {
  region: "Region",
  model: "Model version",
  ageBand: "Age band",
  amountBand: "Amount band (region's currency)",
  merchantCategory: "Merchant category",
};

const outcomeWords: Record<string, string> = { approved: "approved", declined: "declined", referred: "referred", fraud_hold: "fraud hold" };

function signedPercent(delta: number) {
  const text = formatPercent(Math.abs(delta), 2);
  return delta > 0 ? `+${text}` : delta < 0 ? `−${text}` : text;
}

function signedMoney(delta: number, currency: string) {
  const text = formatMoney(Math.abs(delta), currency);
  return delta > 0 ? `+${text}` : delta < 0 ? `−${text}` : text;
}

function SegmentTable({ title, rows, currency }: { title: string; rows: SegmentSummary[]; currency: string }) {
  return (
    <div className="table-scroll">
      <table className="data">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Segment</th>
            <th scope="col">Decisions</th>
            <th scope="col">Changed</th>
            <th scope="col">Approval rate</th>
            <th scope="col">Referral rate</th>
            <th scope="col">Approved amount Δ</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.segment}>
              <th scope="row">{row.segment}</th>
              <td>{row.decisions.toLocaleString("en")}</td>
              <td>{row.changed.toLocaleString("en")}</td>
              <td>
                {formatPercent(row.approvalRate.replayed)} <span className="muted">({signedPercent(row.approvalRate.delta)})</span>
              </td>
              <td>
                {formatPercent(row.referralRate.replayed)} <span className="muted">({signedPercent(row.referralRate.delta)})</span>
              </td>
              <td>{signedMoney(row.exposure.delta, currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function BacktestResults({ result, isCurrent, currency }: { result: BacktestResult; isCurrent: boolean; currency: string }) {
  const { overall } = result;
  const outcomeData = result.outcomeCounts.map((entry) => ({ outcome: outcomeWords[entry.outcome], Actual: entry.actual, "Under this version": entry.replayed }));
  const modelData = result.segments.model.map((row) => ({ segment: row.segment, "Approval rate Δ (pp)": Math.round(row.approvalRate.delta * 10_000) / 100 }));
  return (
    <section className="card section" aria-labelledby="backtest-title">
      <h2 id="backtest-title">Backtest result</h2>
      {!isCurrent ? (
        <div className="alert alert--warn" role="status">
          The parameters changed since this backtest ran; run it again before submitting or approving.
        </div>
      ) : null}
      <p>
        {result.decisions.toLocaleString("en")} stored decisions in {result.regions.join(", ")} decided from {formatDate(result.period.from)} to{" "}
        {formatDate(result.period.to)} replayed under this version ({formatDateTime(result.ranAt)}; parameters SHA-256 <code>{result.parametersHash.slice(0, 16)}…</code>).
      </p>
      <dl className="facts">
        <dt>Decisions that change</dt>
        <dd>
          {result.changed.toLocaleString("en")} ({formatPercent(result.decisions ? result.changed / result.decisions : 0, 2)})
        </dd>
        <dt>Approval rate</dt>
        <dd>
          {formatPercent(overall.approvalRate.actual, 2)} → {formatPercent(overall.approvalRate.replayed, 2)} ({signedPercent(overall.approvalRate.delta)})
        </dd>
        <dt>Referral rate</dt>
        <dd>
          {formatPercent(overall.referralRate.actual, 2)} → {formatPercent(overall.referralRate.replayed, 2)} ({signedPercent(overall.referralRate.delta)})
        </dd>
        <dt>Approved amount (exposure)</dt>
        <dd>
          {formatMoney(overall.exposure.actual, currency)} → {formatMoney(overall.exposure.replayed, currency)} ({signedMoney(overall.exposure.delta, currency)})
        </dd>
      </dl>

      <h3>Outcomes that change</h3>
      {result.transitions.length === 0 ? (
        <p className="muted">No decision in the period would be decided differently.</p>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Actually</th>
              <th scope="col">Under this version</th>
              <th scope="col">Decisions</th>
              <th scope="col">Amount</th>
            </tr>
          </thead>
          <tbody>
            {result.transitions.map((entry) => (
              <tr key={`${entry.from}-${entry.to}`}>
                <td>{outcomeWords[entry.from]}</td>
                <td>{outcomeWords[entry.to]}</td>
                <td>{entry.count.toLocaleString("en")}</td>
                <td>{formatMoney(entry.amount, currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <div className="grid grid--2">
        <figure className="chart" aria-labelledby="chart-outcomes-caption">
          <figcaption id="chart-outcomes-caption">Outcomes: actual and under this version</figcaption>
          <ResponsiveContainer width="100%" height={260}>
            <BarChart data={outcomeData} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="outcome" />
              <YAxis allowDecimals={false} />
              <Tooltip />
              <Legend />
              <Bar dataKey="Actual" fill="#64748b" />
              <Bar dataKey="Under this version" fill="#2563eb" />
            </BarChart>
          </ResponsiveContainer>
        </figure>
        <figure className="chart" aria-labelledby="chart-models-caption">
          <figcaption id="chart-models-caption">Approval-rate change by model version (percentage points)</figcaption>
          <ResponsiveContainer width="100%" height={260}>
            <BarChart data={modelData} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="segment" />
              <YAxis />
              <Tooltip />
              <Bar dataKey="Approval rate Δ (pp)" fill="#b45309" />
            </BarChart>
          </ResponsiveContainer>
        </figure>
      </div>

      <h3>By segment</h3>
      {(Object.keys(segmentTitles) as (keyof BacktestResult["segments"])[]).map((kind) => (
        <SegmentTable key={kind} title={segmentTitles[kind]} rows={result.segments[kind]} currency={currency} />
      ))}

      <h3>A sample of decisions that change</h3>
      {result.sample.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Decision</th>
              <th scope="col">Decided</th>
              <th scope="col">Kind</th>
              <th scope="col">Score</th>
              <th scope="col">Amount</th>
              <th scope="col">Actually → under this version</th>
            </tr>
          </thead>
          <tbody>
            {result.sample.map((entry) => (
              <tr key={entry.id}>
                <td>
                  <Link to={`/decisions/${entry.id}`}>{entry.externalId}</Link>
                </td>
                <td>{formatDateTime(entry.decidedAt)}</td>
                <td>{entry.kind}</td>
                <td>{entry.score.toFixed(4)}</td>
                <td>{formatMoney(entry.amount, currency)}</td>
                <td>
                  {outcomeWords[entry.actual]} → {outcomeWords[entry.replayed]}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
