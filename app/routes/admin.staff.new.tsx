import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData } from "@remix-run/react";
import { ErrorPage } from "~/components/error-page";
import { Field, FormErrors } from "~/components/forms/field";
import { StaffFields } from "~/components/forms/staff-fields";
import { requireActor, requirePermission } from "~/modules/access/actor.server";
import { CreateStaffUserSchema } from "~/modules/access/schema";
import { createStaffUser, StaffConflictError } from "~/modules/access/staff.server";

export const meta: MetaFunction = () => [{ title: "New staff account · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  requirePermission(actor, "create", "StaffUser");
  return null;
}

export async function action({ request }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  requirePermission(actor, "create", "StaffUser");
  const submission = parseWithZod(await request.formData(), { schema: CreateStaffUserSchema });
  if (submission.status !== "success") return data({ result: submission.reply({ hideFields: ["password"] }) }, { status: 400 });
  try {
    const user = await createStaffUser(actor, submission.value);
    return redirect(`/admin/staff/${user.id}?created=1`);
  } catch (error) {
    if (error instanceof StaffConflictError) {
      return data({ result: submission.reply({ fieldErrors: { email: [error.message] }, hideFields: ["password"] }) }, { status: 409 });
    }
    throw error;
  }
}

export default function NewStaffRoute() {
  const actionData = useActionData<typeof action>();
  const [form, fields] = useForm({
    id: "new-staff",
    lastResult: actionData?.result,
    constraint: getZodConstraint(CreateStaffUserSchema),
    shouldValidate: "onBlur",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: CreateStaffUserSchema }),
  });
  return (
    <>
      <div className="page-header">
        <div>
          <h1>New staff account</h1>
          <p>The person signs in with this email and the initial password, then sets up two-step verification if their role needs it.</p>
        </div>
      </div>
      <div className="card" style={{ maxWidth: 640 }}>
        <Form method="post" {...getFormProps(form)}>
          <FormErrors errors={form.errors} id={form.errorId} />
          <Field label="Work email" meta={fields.email}>
            <input {...getInputProps(fields.email, { type: "email" })} autoComplete="off" />
          </Field>
          <StaffFields fields={fields} />
          <Field label="Initial password" meta={fields.password} hint="At least 12 characters. Share it through a separate channel.">
            <input {...getInputProps(fields.password, { type: "password" })} autoComplete="new-password" />
          </Field>
          <div className="actions">
            <button type="submit" className="button">
              Create account
            </button>
            <Link to="/admin/staff" className="button button--ghost">
              Cancel
            </Link>
          </div>
        </Form>
      </div>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
