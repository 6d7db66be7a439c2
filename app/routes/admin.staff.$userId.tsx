import { getFormProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { ErrorPage } from "~/components/error-page";
import { FormErrors } from "~/components/forms/field";
import { StaffFields } from "~/components/forms/staff-fields";
import { subjectOf } from "~/modules/access/ability.server";
import { requireActor, requirePermission } from "~/modules/access/actor.server";
import { StaffActionSchema, UpdateStaffUserSchema, roleOptions } from "~/modules/access/schema";
import { getStaffMember, resetStaffMfa, setStaffActive, updateStaffUser } from "~/modules/access/staff.server";
import { DecideStaffChangeSchema, StaffChangeRefusedError, decideStaffChange, listPendingStaffChanges } from "~/modules/access/staff-changes.server";
import { PendingStaffChange } from "~/modules/access/ui/pending-staff-change";
import { formatDateTime } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "Staff account · Attest" }];

const ParamsSchema = z.object({ userId: z.string().uuid() });

function parseUserId(params: unknown) {
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) throw Response.json({ message: "That staff account was not found." }, { status: 404 });
  return parsed.data.userId;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const member = await getStaffMember(actor, parseUserId(params));
  const instance = subjectOf("StaffUser", { id: member.id }) as never;
  return {
    member,
    pendingChanges: await listPendingStaffChanges(actor, member.id),
    can: {
      update: actor.ability.can("update", instance),
      deactivate: actor.ability.can("deactivate", instance),
      resetMfa: actor.ability.can("resetMfa", instance),
    },
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  const userId = parseUserId(params);
  // Who may act here is settled before the form is read: a refused caller learns nothing from validation.
  requirePermission(actor, "update", "StaffUser");
  const formData = await request.formData();
  const intent = formData.get("intent");
  if (intent === "approveChange" || intent === "rejectChange") {
    await getStaffMember(actor, userId);
    const decision = parseWithZod(formData, { schema: DecideStaffChangeSchema });
    if (decision.status !== "success") return data({ result: decision.reply(), notice: null }, { status: 400 });
    try {
      const { isApproved } = await decideStaffChange(actor, decision.value);
      return { result: decision.reply({ resetForm: true }), notice: isApproved ? "Change approved; it applies now." : "Change rejected; nothing changed." };
    } catch (error) {
      if (error instanceof StaffChangeRefusedError) return data({ result: decision.reply({ formErrors: [error.message] }), notice: null }, { status: 409 });
      throw error;
    }
  }
  const submission = parseWithZod(formData, { schema: StaffActionSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), notice: null }, { status: 400 });
  const input = submission.value;
  const awaiting = " A second administrator must approve it; until then nothing of it applies.";
  try {
    switch (input.intent) {
      case "update": {
        const { isChanged, isPendingApproval } = await updateStaffUser(actor, userId, input);
        const notice = isPendingApproval
          ? `The new role or added regions wait for approval.${isChanged ? " The rest was saved." : ""}${awaiting}`
          : isChanged
            ? "Saved. The person's open sessions were ended if their role or regions changed."
            : "Nothing changed.";
        return { result: submission.reply(), notice };
      }
      case "deactivate":
      case "reactivate": {
        await setStaffActive(actor, userId, input.intent === "reactivate", input.justification);
        return {
          result: submission.reply({ resetForm: true }),
          notice: input.intent === "deactivate" ? "Account deactivated; its sessions were ended." : `Re-activation requested.${awaiting}`,
        };
      }
      case "resetMfa": {
        await resetStaffMfa(actor, userId, input.justification);
        return { result: submission.reply({ resetForm: true }), notice: `Two-step verification reset requested.${awaiting}` };
      }
    }
  } catch (error) {
    if (error instanceof StaffChangeRefusedError) return data({ result: submission.reply({ formErrors: [error.message] }), notice: null }, { status: 409 });
    throw error;
  }
}

const roleLabels = Object.fromEntries(roleOptions.map((option) => [option.value, option.label]));

export default function StaffMemberRoute() {
  const { member, can, pendingChanges } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const [form, fields] = useForm({
    id: "edit-staff",
    lastResult: actionData?.result,
    constraint: getZodConstraint(UpdateStaffUserSchema),
    defaultValue: { displayName: member.displayName, role: member.role, regions: member.regions },
    onValidate: ({ formData }) => parseWithZod(formData, { schema: StaffActionSchema }),
  });
  return (
    <>
      <div className="page-header">
        <div>
          <p>
            <Link to="/admin/staff">Staff accounts</Link> /
          </p>
          <h1>{member.displayName}</h1>
          <p>
            {member.email} · {roleLabels[member.role]} ·{" "}
            {member.isActive ? (
              <span className="badge badge--ok">Active</span>
            ) : pendingChanges.some((change) => change.kind === "create") ? (
              <span className="badge badge--warn">Awaiting approval</span>
            ) : (
              <span className="badge badge--danger">Deactivated</span>
            )}
          </p>
        </div>
      </div>
      {searchParams.get("created") ? (
        <div className="alert alert--ok">Account created. It can sign in once a second administrator approves it.</div>
      ) : null}
      {actionData?.result?.error?.[""] ? (
        <div className="alert alert--error" role="alert">
          {actionData.result.error[""].join(" ")}
        </div>
      ) : null}
      {pendingChanges.map((change) => (
        <PendingStaffChange key={change.id} change={change} />
      ))}
      {actionData?.notice ? (
        <div className="alert alert--ok" role="status">
          {actionData.notice}
        </div>
      ) : null}
      <div className="grid grid--2">
        <div className="card">
          <h2>Role and regions</h2>
          {can.update ? (
            <Form method="post" {...getFormProps(form)}>
              <FormErrors errors={form.errors} id={form.errorId} />
              <input type="hidden" name="intent" value="update" />
              <StaffFields fields={fields} />
              <button type="submit" className="button">
                Save changes
              </button>
            </Form>
          ) : (
            <p className="muted">You cannot change your own role or regions; another administrator can.</p>
          )}
        </div>
        <div>
          <div className="card">
            <h2>Account</h2>
            <dl className="facts">
              <dt>Created</dt>
              <dd>{formatDateTime(member.createdAt)}</dd>
              <dt>Last sign-in</dt>
              <dd>{member.lastSignInAt ? formatDateTime(member.lastSignInAt) : "never"}</dd>
              <dt>Two-step</dt>
              <dd>{member.totpEnrolledAt ? `enrolled ${formatDateTime(member.totpEnrolledAt)}` : "not enrolled"}</dd>
            </dl>
          </div>
          {can.resetMfa && member.totpEnrolledAt && pendingChanges.length === 0 ? (
            <JustifiedAction intent="resetMfa" title="Reset two-step verification" button="Reset two-step verification" hint="For a lost or replaced phone. The person enrols again at their next sign-in." />
          ) : null}
          {can.deactivate && !(pendingChanges.length > 0 && !member.isActive) ? (
            member.isActive ? (
              <JustifiedAction intent="deactivate" title="Deactivate account" button="Deactivate" danger hint="The person can no longer sign in; their open sessions end now. History is kept." />
            ) : (
              <JustifiedAction intent="reactivate" title="Reactivate account" button="Reactivate" hint="The person can sign in again with their existing password." />
            )
          ) : null}
        </div>
      </div>
    </>
  );
}

function JustifiedAction({ intent, title, button, hint, danger }: { intent: string; title: string; button: string; hint: string; danger?: boolean }) {
  const actionData = useActionData<typeof action>();
  const error = actionData?.result?.initialValue?.intent === intent ? actionData.result.error?.justification : undefined;
  const id = `${intent}-justification`;
  return (
    <div className="card">
      <h2>{title}</h2>
      <p className="muted">{hint}</p>
      <Form method="post">
        <input type="hidden" name="intent" value={intent} />
        <div className="field">
          <label htmlFor={id}>Justification (recorded in the audit ledger)</label>
          <input id={id} name="justification" type="text" required minLength={5} aria-invalid={error ? true : undefined} />
          {error ? (
            <span className="field-error" role="alert">
              {error.join(" ")}
            </span>
          ) : null}
        </div>
        <button type="submit" className={danger ? "button button--danger" : "button"}>
          {button}
        </button>
      </Form>
    </div>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
