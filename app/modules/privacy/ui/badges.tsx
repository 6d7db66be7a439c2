import type { DeadlineBand } from "../deadlines";

// Badges of privacy requests: their state, identity verification and the statutory clock.

const stateTone: Record<string, string> = {
  received: "badge--info",
  identity_pending: "badge--warn",
  in_progress: "badge--info",
  scope_clarification: "badge--warn",
  awaiting_approval: "badge--info",
  completed: "badge--ok",
  refused: "",
};

export function PrivacyStateBadge({ state }: { state: string }) {
  return <span className={`badge ${stateTone[state] ?? ""}`}>{state.replace(/_/g, " ")}</span>;
}

const identityTone: Record<string, string> = {
  unverified: "",
  pending: "badge--warn",
  verified: "badge--ok",
  failed: "badge--danger",
};

export function IdentityBadge({ state }: { state: string }) {
  return <span className={`badge ${identityTone[state] ?? ""}`}>{state}</span>;
}

export type { DeadlineBand };

/** Days left on the statutory clock: amber at 10 days or fewer, red at 5 or fewer and once overdue. */
export function DaysLeftBadge({ band, daysLeft }: { band: DeadlineBand; daysLeft: number }) {
  if (band === "closed") return <span className="muted">closed</span>;
  if (band === "paused") return <span className="badge badge--info">clock paused</span>;
  if (band === "overdue") return <span className="badge badge--danger">{-daysLeft} {-daysLeft === 1 ? "day" : "days"} overdue</span>;
  const tone = band === "red" ? "badge--danger" : band === "amber" ? "badge--warn" : "badge--ok";
  const text = daysLeft === 0 ? "due today" : `${daysLeft} ${daysLeft === 1 ? "day" : "days"}`;
  return <span className={`badge ${tone}`}>{text}</span>;
}
