import { Link } from "@remix-run/react";

// Where the subject of a ledger event can be opened; the target page checks access itself.
const subjectPaths: Record<string, string> = {
  Decision: "/decisions/",
  Customer: "/customers/",
  PrivacyRequest: "/privacy/",
  RuleSetVersion: "/rulesets/",
  StaffUser: "/admin/staff/",
};

export function SubjectLink({ subjectType, subjectId, short = false }: { subjectType: string; subjectId: string | null; short?: boolean }) {
  if (!subjectId) return <span className="muted">—</span>;
  const shown = short && subjectId.length > 13 ? `${subjectId.slice(0, 8)}…` : subjectId;
  const base = subjectPaths[subjectType];
  return base ? (
    <Link to={`${base}${subjectId}`} title={subjectId}>
      <code>{shown}</code>
    </Link>
  ) : (
    <code title={subjectId}>{shown}</code>
  );
}
