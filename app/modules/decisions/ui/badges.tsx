// Status badges of decisions and reviews: one colour meaning everywhere (green settled in the
// customer's favour, red adverse or late, amber waiting on a person).

const outcomeTone = {
  approved: "badge--ok",
  declined: "badge--danger",
  referred: "badge--warn",
  fraud_hold: "badge--fraud",
} as const;

export function OutcomeBadge({ outcome }: { outcome: keyof typeof outcomeTone }) {
  return <span className={`badge ${outcomeTone[outcome]}`}>{outcome.replace("_", " ")}</span>;
}

const reviewStateTone: Record<string, string> = {
  not_required: "",
  queued: "badge--warn",
  in_review: "badge--info",
  awaiting_approval: "badge--info",
  upheld: "badge--ok",
  overturned: "badge--danger",
};

export function ReviewStateBadge({ state }: { state: string }) {
  if (state === "not_required") return <span className="muted">not required</span>;
  return <span className={`badge ${reviewStateTone[state] ?? ""}`}>{state.replace(/_/g, " ")}</span>;
}

const reviewStatusTone: Record<string, string> = {
  open: "badge--warn",
  claimed: "badge--info",
  awaiting_approval: "badge--info",
  closed: "",
};

export function ReviewStatusBadge({ status }: { status: string }) {
  return <span className={`badge ${reviewStatusTone[status] ?? ""}`}>{status.replace(/_/g, " ")}</span>;
}

export type SlaBand = "overdue" | "due_soon" | "on_time" | "closed";

/** Review SLA: overdue red, under 24 hours amber (DESIGN.md §8). */
export function SlaBadge({ band, hoursLeft }: { band: SlaBand; hoursLeft: number }) {
  if (band === "closed") return <span className="muted">closed</span>;
  const text = hoursLeft < 0 ? `${formatHours(-hoursLeft)} overdue` : `${formatHours(hoursLeft)} left`;
  const tone = band === "overdue" ? "badge--danger" : band === "due_soon" ? "badge--warn" : "badge--ok";
  return <span className={`badge ${tone}`}>{text}</span>;
}

function formatHours(hours: number) {
  if (hours < 1) return `${Math.max(1, Math.round(hours * 60))} min`;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${Math.round(hours / 24)} days`;
}
