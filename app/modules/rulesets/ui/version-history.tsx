import { Link } from "@remix-run/react";
import { formatDateTime } from "~/utils/format";

// Each step of a version as the ledger recorded it, linking to the event's page and its inclusion proof.

const stepWords: Record<string, string> = {
  "rule_set_version.drafted": "Draft started",
  "rule_set_version.edited": "Draft saved",
  "rule_set_version.backtest_requested": "Backtest requested",
  "rule_set_version.backtest_stored": "Backtest stored",
  "rule_set_version.submitted": "Submitted",
  "rule_set_version.withdrawn": "Withdrawn",
  "rule_set_version.approved": "Approved",
  "rule_set_version.rejected": "Rejected",
  "rule_set_version.activated": "Activated",
  "rule_set_version.fetched": "Fetched by the decision engine",
};

export function VersionHistory({ events }: { events: { seq: string; action: string; occurredAt: string | Date; actorLabel: string | null; actorType: string; justification: string | null }[] }) {
  return (
    <section className="card section" aria-labelledby="history-title">
      <h2 id="history-title">History in the ledger</h2>
      {events.length === 0 ? (
        <p className="muted">No ledger events you may read (versions loaded by the demo seed have none before their first step in the app).</p>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Step</th>
              <th scope="col">By</th>
              <th scope="col">Note</th>
              <th scope="col">Ledger event</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr key={event.seq}>
                <td>{formatDateTime(event.occurredAt)}</td>
                <td>{stepWords[event.action] ?? event.action}</td>
                <td>{event.actorLabel ?? event.actorType}</td>
                <td className="wrap">{event.justification ?? <span className="muted">—</span>}</td>
                <td>
                  <Link to={`/audit/${event.seq}`}>#{event.seq} and its proof</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
