import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ErrorPage } from "~/components/error-page";
import { requireActor } from "~/modules/access/actor.server";
import { isMfaRequired } from "~/modules/access/auth.server";
import { roleLabel } from "~/modules/access/policy.server";
import { formatDateTime } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "Your account · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  return {
    email: actor.user.email,
    displayName: actor.user.displayName,
    roleLabel: roleLabel(actor.user.role),
    regions: actor.user.regions,
    totpEnrolledAt: actor.user.totpEnrolledAt,
    isMfaRequired: isMfaRequired(actor.user.role),
  };
}

export default function AccountRoute() {
  const account = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Your account</h1>
          <p>{account.email}</p>
        </div>
      </div>
      <div className="grid grid--2">
        <div className="card">
          <h2>Role and regions</h2>
          <dl className="facts">
            <dt>Name</dt>
            <dd>{account.displayName}</dd>
            <dt>Role</dt>
            <dd>{account.roleLabel}</dd>
            <dt>Regions</dt>
            <dd>{account.regions.length > 0 ? account.regions.join(", ") : "none (no customer data)"}</dd>
          </dl>
          <p className="muted">An administrator changes roles and regions; the change is recorded in the audit ledger.</p>
        </div>
        <div className="card">
          <h2>Two-step verification</h2>
          {account.totpEnrolledAt ? (
            <p>
              <span className="badge badge--ok">On</span> since {formatDateTime(account.totpEnrolledAt)}. Lost your phone? Ask an administrator to reset it.
            </p>
          ) : (
            <>
              <p>
                <span className="badge">Off</span> {account.isMfaRequired ? "Your role requires it." : "Recommended for every account."}
              </p>
              <Link to="/login/mfa" className="button">
                Set up two-step verification
              </Link>
            </>
          )}
        </div>
      </div>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
