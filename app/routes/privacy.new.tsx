import { getFormProps, getInputProps, getSelectProps, getTextareaProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { ErrorPage } from "~/components/error-page";
import { Field, FormErrors } from "~/components/forms/field";
import { requireActor } from "~/modules/access/actor.server";
import { createPrivacyRequest, PrivacyRequestRefusedError, requireIntakePermission } from "~/modules/privacy/privacy-requests.server";
import { intakeChannels, intakeRequestTypes, PrivacyIntakeFormSchema } from "~/modules/privacy/schema";

export const meta: MetaFunction = () => [{ title: "New privacy request · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const types = requireIntakePermission(actor);
  return { regions: actor.user.regions, types };
}

export async function action({ request }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  requireIntakePermission(actor);
  const submission = parseWithZod(await request.formData(), { schema: PrivacyIntakeFormSchema });
  if (submission.status !== "success") return data({ result: submission.reply() }, { status: 400 });
  try {
    const created = await createPrivacyRequest(actor, submission.value);
    return redirect(`/privacy/${created.id}?created=1`);
  } catch (error) {
    if (error instanceof PrivacyRequestRefusedError) {
      const reply = error.field ? submission.reply({ fieldErrors: { [error.field]: [error.message] } }) : submission.reply({ formErrors: [error.message] });
      return data({ result: reply }, { status: error.status });
    }
    throw error;
  }
}

const typeLabels: Record<(typeof intakeRequestTypes)[number], string> = {
  access: "Access (a copy of their data)",
  erasure: "Erasure (right to be forgotten)",
  rectification: "Rectification (correct their data)",
  restriction: "Restriction of processing",
  objection: "Objection to processing",
  portability: "Portability (machine-readable copy)",
};

const channelLabels: Record<(typeof intakeChannels)[number], string> = {
  web_form: "Web form",
  email: "Email",
  post: "Letter",
  phone: "Phone",
  in_app: "In the app",
  api: "API",
};

export default function NewPrivacyRequestRoute() {
  const { regions, types } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [form, fields] = useForm({
    id: "new-privacy-request",
    lastResult: actionData?.result,
    constraint: getZodConstraint(PrivacyIntakeFormSchema),
    shouldValidate: "onBlur",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: PrivacyIntakeFormSchema }),
  });
  return (
    <>
      <div className="page-header">
        <div>
          <p>
            <Link to="/privacy">Privacy requests</Link> /
          </p>
          <h1>New privacy request</h1>
          <p>Log a request that arrived by email, letter or phone. The statutory clock is set from the region&apos;s regime.</p>
        </div>
      </div>
      <div className="card" style={{ maxWidth: 720 }}>
        <Form method="post" {...getFormProps(form)}>
          <FormErrors errors={form.errors} id={form.errorId} />
          <div className="grid grid--2">
            <Field label="Type of request" meta={fields.type}>
              <select {...getSelectProps(fields.type)}>
                <option value="">Choose…</option>
                {types.map((type) => (
                  <option key={type} value={type}>
                    {typeLabels[type]}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Region of the request" meta={fields.regionCode} hint="Decides the regime, its deadline and the time zone it is counted in.">
              <select {...getSelectProps(fields.regionCode)}>
                <option value="">Choose…</option>
                {regions.map((code) => (
                  <option key={code} value={code}>
                    {code}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Received through" meta={fields.channel}>
              <select {...getSelectProps(fields.channel)}>
                <option value="">Choose…</option>
                {intakeChannels.map((channel) => (
                  <option key={channel} value={channel}>
                    {channelLabels[channel]}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Day received" meta={fields.receivedOn} hint="In the region's calendar. Leave empty for today.">
              <input {...getInputProps(fields.receivedOn, { type: "date" })} />
            </Field>
          </div>
          <fieldset>
            <legend>Who is asking</legend>
            <p className="muted" style={{ marginTop: 0 }}>
              Give the customer reference, or the requester&apos;s email to match it against the customers of the region.
            </p>
            <div className="grid grid--2">
              <Field label="Customer reference" meta={fields.customerReference}>
                <input {...getInputProps(fields.customerReference, { type: "text" })} autoComplete="off" />
              </Field>
              <Field label="Requester's email" meta={fields.requesterEmail}>
                <input {...getInputProps(fields.requesterEmail, { type: "email" })} autoComplete="off" />
              </Field>
              <Field label="Requester's name" meta={fields.requesterName}>
                <input {...getInputProps(fields.requesterName, { type: "text" })} autoComplete="off" />
              </Field>
            </div>
          </fieldset>
          <Field label="What they asked for" meta={fields.details} hint="In their words. Do not paste identity documents: identity is verified on the request page.">
            <textarea {...getTextareaProps(fields.details)} rows={4} />
          </Field>
          <div className="actions">
            <button type="submit" className="button">
              Log request
            </button>
            <Link to="/privacy" className="button button--ghost">
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
