import { useFetcher, useRevalidator } from "@remix-run/react";
import { useEffect, useRef } from "react";
import type { JobStatus } from "../jobs.server";

// A background job's progress on the page that asked for it: a progress bar that keeps polling across
// reloads (the job lives in the database, not in the page), a cancel button for those allowed to
// cancel, and the reason when it failed. When the job ends the page's own data is reloaded, so what
// the job produced (a download link, a result) appears without a manual refresh.

const stateLabels: Record<JobStatus["state"], string> = {
  queued: "Waiting for a worker",
  running: "Running",
  succeeded: "Finished",
  failed: "Failed",
  cancelled: "Cancelled",
};

export function JobProgress({ job: initial, label, pollMs = 1000 }: { job: JobStatus; label: string; pollMs?: number }) {
  const poll = useFetcher<JobStatus>({ key: `job-${initial.id}` });
  const cancel = useFetcher<{ job: JobStatus }>();
  const revalidator = useRevalidator();
  const job = cancel.data?.job && (!poll.data || cancel.data.job.state !== "running") ? cancel.data.job : (poll.data ?? initial);
  const wasFinished = useRef(initial.isFinished);

  useEffect(() => {
    if (job.isFinished) return;
    const timer = setInterval(() => {
      if (poll.state === "idle") poll.load(`/jobs/${initial.id}`);
    }, pollMs);
    return () => clearInterval(timer);
  }, [job.isFinished, initial.id, poll, pollMs]);

  useEffect(() => {
    if (job.isFinished && !wasFinished.current) {
      wasFinished.current = true;
      revalidator.revalidate();
    }
  }, [job.isFinished, revalidator]);

  const total = job.progressTotal;
  return (
    <div className="job-progress" data-testid="job-progress" data-state={job.state}>
      <p>
        <strong>{label}</strong>{" "}
        <span className={job.state === "succeeded" ? "badge badge--ok" : job.state === "failed" ? "badge badge--danger" : job.state === "cancelled" ? "badge" : "badge badge--info"}>
          {job.isCancelRequested && !job.isFinished ? "Stopping…" : stateLabels[job.state]}
        </span>
      </p>
      {!job.isFinished || job.state === "succeeded" ? (
        <div
          className="progress"
          role="progressbar"
          aria-label={`${label} progress`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={job.percent ?? undefined}
          aria-valuetext={job.percent === null ? stateLabels[job.state] : `${job.percent}%`}
        >
          <div className="progress-bar" style={{ width: `${job.percent ?? (job.state === "running" ? 5 : 0)}%` }} />
        </div>
      ) : null}
      <p className="muted" aria-live="polite">
        {job.progressMessage ?? ""}
        {total ? ` ${job.progressDone.toLocaleString("en")} of ${total.toLocaleString("en")}` : ""}
        {job.attempt > 1 && !job.isFinished ? ` · attempt ${job.attempt} of ${job.maxAttempts} (restarted after its worker stopped)` : ""}
      </p>
      {job.state === "failed" ? (
        <div className="alert alert--error" role="alert">
          It failed: {job.error}
        </div>
      ) : null}
      {job.state === "cancelled" ? <p role="status">{job.error ?? "Cancelled."}</p> : null}
      {job.canCancel ? (
        <cancel.Form method="post" action={`/jobs/${initial.id}`}>
          <input type="hidden" name="intent" value="cancel" />
          <button type="submit" className="button button--ghost" disabled={cancel.state !== "idle"}>
            Cancel
          </button>
        </cancel.Form>
      ) : null}
    </div>
  );
}
