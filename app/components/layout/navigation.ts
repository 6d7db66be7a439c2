import type { Action, SubjectName } from "~/modules/access/policy.server";

// The app's sections and the permission each needs; the shell shows only those the role may use.
// Hiding a link is convenience only: every route checks its own permission on the server.
export interface NavigationItem {
  to: string;
  label: string;
  action: Action;
  subject: SubjectName;
}

export const navigationItems: NavigationItem[] = [
  { to: "/decisions", label: "Decisions", action: "read", subject: "Decision" },
  { to: "/dashboards", label: "Dashboards", action: "read", subject: "Dashboard" },
  { to: "/reviews", label: "Review queue", action: "read", subject: "Review" },
  { to: "/privacy", label: "Privacy requests", action: "read", subject: "PrivacyRequest" },
  { to: "/rulesets", label: "Rule sets", action: "read", subject: "RuleSetVersion" },
  { to: "/audit", label: "Audit ledger", action: "read", subject: "AuditEvent" },
  { to: "/evidence", label: "Evidence packs", action: "read", subject: "EvidencePack" },
  { to: "/admin/staff", label: "Staff", action: "read", subject: "StaffUser" },
  { to: "/admin/api-tokens", label: "API tokens", action: "read", subject: "ApiToken" },
  { to: "/admin/signing-keys", label: "Signing keys", action: "read", subject: "SigningKey" },
];
