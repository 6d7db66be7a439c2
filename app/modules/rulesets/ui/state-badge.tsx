// Lifecycle of a rule-set version: draft → submitted → approved → active → retired (DESIGN.md §10).
const tone: Record<string, string> = {
  draft: "",
  submitted: "badge--warn",
  approved: "badge--info",
  active: "badge--ok",
  retired: "badge--muted",
};

export function RuleSetStateBadge({ state }: { state: string }) {
  return <span className={`badge ${tone[state] ?? ""}`}>{state}</span>;
}
