import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ErrorPage } from "~/components/error-page";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/modules/access/actor.server";
import { roleOptions } from "~/modules/access/schema";
import { listStaff } from "~/modules/access/staff.server";
import { listPendingStaffChanges } from "~/modules/access/staff-changes.server";
import { describeStaffChange } from "~/modules/access/ui/pending-staff-change";

export const meta: MetaFunction = () => [{ title: "Staff · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  return { staff: await listStaff(actor), pendingChanges: await listPendingStaffChanges(actor), canCreate: actor.ability.can("create", "StaffUser") };
}

const roleLabels = Object.fromEntries(roleOptions.map((option) => [option.value, option.label]));

export default function StaffListRoute() {
  const { staff, pendingChanges, canCreate } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Staff accounts</h1>
          <p>Who can sign in to Attest, with which role and regions.</p>
        </div>
        {canCreate ? (
          <Link to="/admin/staff/new" className="button">
            New staff account
          </Link>
        ) : null}
      </div>
      {pendingChanges.length > 0 ? (
        <div className="card">
          <h2>Waiting for a second administrator</h2>
          <p className="muted">These changes widen what an account can reach; each applies only when an administrator other than the one who asked approves it.</p>
          <ul>
            {pendingChanges.map((change) => (
              <li key={change.id}>
                <Link to={`/admin/staff/${change.target.id}`}>{change.target.displayName}</Link> — {change.kindLabel}: {describeStaffChange(change)}{" "}
                <span className="muted">
                  (asked by {change.requestedBy}, {formatDateTime(change.requestedAt)}){change.canApprove ? "" : change.isMine ? " — yours" : ""}
                </span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <div className="table-wrap">
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Regions</th>
              <th scope="col">Two-step</th>
              <th scope="col">Status</th>
              <th scope="col">Last sign-in</th>
            </tr>
          </thead>
          <tbody>
            {staff.map((member) => (
              <tr key={member.id}>
                <td>
                  <Link to={`/admin/staff/${member.id}`}>{member.displayName}</Link>
                </td>
                <td>{member.email}</td>
                <td>{roleLabels[member.role] ?? member.role}</td>
                <td>{member.regions.length > 0 ? member.regions.join(", ") : <span className="muted">—</span>}</td>
                <td>{member.totpEnrolledAt ? <span className="badge badge--ok">Enrolled</span> : <span className="badge">Not enrolled</span>}</td>
                <td>
                  {member.isActive ? (
                    <span className="badge badge--ok">Active</span>
                  ) : member.staffChanges.some((change) => change.kind === "create") ? (
                    <span className="badge badge--warn">Awaiting approval</span>
                  ) : (
                    <span className="badge badge--danger">Deactivated</span>
                  )}
                  {member.isActive && member.staffChanges.length > 0 ? <span className="badge badge--warn">Change pending</span> : null}
                </td>
                <td>{member.lastSignInAt ? formatDateTime(member.lastSignInAt) : <span className="muted">never</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
