import { Form } from "@remix-run/react";
import { formatDateTime } from "~/utils/format";
import { roleOptions } from "../schema";

// A staff change waiting for a second administrator (ADR 014): what it would change, who asked, and
// approve / reject for whoever may decide it (never the requester, never the account itself).

const roleLabels: Record<string, string> = Object.fromEntries(roleOptions.map((option) => [option.value, option.label]));

export interface PendingStaffChangeView {
  id: string;
  kind: "create" | "update" | "reactivate" | "reset_mfa";
  kindLabel: string;
  proposedRole: string | null;
  proposedRegions: string[];
  justification: string | null;
  requestedAt: string | Date;
  requestedBy: string;
  isMine: boolean;
  canApprove: boolean;
  target: { id: string; displayName: string; role: string; regions: string[] };
}

export function describeStaffChange(change: PendingStaffChangeView) {
  switch (change.kind) {
    case "create":
      return `New account as ${roleLabels[change.proposedRole ?? ""] ?? change.proposedRole}${change.proposedRegions.length ? ` for ${change.proposedRegions.join(", ")}` : ""}; it cannot sign in until approved.`;
    case "update":
      return `From ${roleLabels[change.target.role] ?? change.target.role} (${change.target.regions.join(", ") || "no regions"}) to ${roleLabels[change.proposedRole ?? ""] ?? change.proposedRole} (${change.proposedRegions.join(", ") || "no regions"}); the old role and regions hold until approved.`;
    case "reactivate":
      return "The account may sign in again once approved.";
    case "reset_mfa":
      return "The authenticator is removed once approved; the person then enrols a new one at their next sign-in.";
  }
}

export function PendingStaffChange({ change }: { change: PendingStaffChangeView }) {
  const id = `decide-${change.id}`;
  return (
    <div className="card" aria-labelledby={`${id}-title`} role="region">
      <h2 id={`${id}-title`}>
        <span className="badge badge--warn">Awaiting a second administrator</span> {change.kindLabel}
      </h2>
      <p>{describeStaffChange(change)}</p>
      <p className="muted">
        Asked by {change.requestedBy} on {formatDateTime(change.requestedAt)}
        {change.justification ? ` — “${change.justification}”` : ""}
      </p>
      {change.canApprove || change.isMine ? (
        <Form method="post" action={`/admin/staff/${change.target.id}`}>
          <input type="hidden" name="changeId" value={change.id} />
          <div className="field">
            <label htmlFor={`${id}-justification`}>Justification (recorded in the audit ledger)</label>
            <input id={`${id}-justification`} name="justification" type="text" required minLength={5} />
          </div>
          <div className="actions">
            {change.canApprove ? (
              <button type="submit" name="intent" value="approveChange" className="button">
                Approve
              </button>
            ) : null}
            <button type="submit" name="intent" value="rejectChange" className="button button--ghost">
              {change.isMine ? "Withdraw" : "Reject"}
            </button>
          </div>
        </Form>
      ) : (
        <p className="muted">A change to your own account is decided by another administrator.</p>
      )}
      {change.isMine ? <p className="muted">You asked for this change; another administrator approves it.</p> : null}
    </div>
  );
}
