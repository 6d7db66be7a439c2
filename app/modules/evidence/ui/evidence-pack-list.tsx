import { JobProgress } from "~/modules/jobs/ui/job-progress";
import { formatDateTime } from "~/utils/format";
import type { EvidencePackListItem } from "../evidence-packs.server";

// The requester's packs, newest first: state (with live progress while building), size, SHA-256, the
// checkpoint its proofs are against, and a download link while the pack is retained.

const stateBadges: Record<string, string> = {
  queued: "badge badge--info",
  running: "badge badge--info",
  completed: "badge badge--ok",
  failed: "badge badge--danger",
  cancelled: "badge badge--warn",
};

function formatBytes(bytes: number) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function EvidencePackList({ packs }: { packs: EvidencePackListItem[] }) {
  return (
    <section className="card" aria-labelledby="packs-heading">
      <h2 id="packs-heading">Your packs</h2>
      {packs.length === 0 ? (
        <p className="muted">No packs yet. Choose a scope above, estimate the rows, then build the pack.</p>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th>Requested</th>
                <th>Scope</th>
                <th>State</th>
                <th className="num">Rows</th>
                <th className="num">Size</th>
                <th>SHA-256</th>
                <th>Checkpoint</th>
                <th>Download</th>
              </tr>
            </thead>
            <tbody>
              {packs.map((pack) => (
                <tr key={pack.id} data-pack-id={pack.id}>
                  <td>{formatDateTime(pack.createdAt)}</td>
                  <td style={{ whiteSpace: "normal", minWidth: "12rem" }}>
                    {pack.scope.from} – {pack.scope.to}
                    <br />
                    <span className="muted">
                      {pack.scope.regions.join(", ")}
                      {pack.scope.sample ? ` · sample of ${pack.scope.sample.size} (seed ${pack.scope.sample.seed})` : ""}
                    </span>
                  </td>
                  <td style={{ whiteSpace: "normal", minWidth: "14rem" }}>
                    <span className={stateBadges[pack.state] ?? "badge"}>{pack.state}</span>
                    {pack.job && !pack.job.isFinished ? <JobProgress job={pack.job} label="Building the pack" /> : null}
                    {pack.error ? <div className="field-error">{pack.error}</div> : null}
                  </td>
                  <td className="num">{pack.rowCount === null ? "—" : pack.rowCount.toLocaleString("en")}</td>
                  <td className="num">{pack.sizeBytes === null ? "—" : formatBytes(pack.sizeBytes)}</td>
                  <td>{pack.sha256 ? <code title={pack.sha256}>{pack.sha256.slice(0, 16)}…</code> : "—"}</td>
                  <td>{pack.checkpoint ? `#${pack.checkpoint.number} (${pack.checkpoint.treeSize.toLocaleString("en")} events)` : "—"}</td>
                  <td style={{ whiteSpace: "normal", minWidth: "9rem" }}>
                    {pack.isDownloadable ? (
                      <>
                        <a className="button button--ghost" href={`/evidence/${pack.id}/download`} download>
                          Download
                        </a>
                        <div className="muted" style={{ fontSize: "0.8rem" }}>
                          {pack.downloadCount} download{pack.downloadCount === 1 ? "" : "s"}
                          {pack.retainedUntil ? ` · kept until ${pack.retainedUntil.slice(0, 10)}` : ""}
                        </div>
                      </>
                    ) : pack.state === "completed" ? (
                      <span className="muted">expired</span>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
