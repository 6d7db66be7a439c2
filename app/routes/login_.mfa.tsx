import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { requireSession } from "~/modules/access/actor.server";
import { beginTotpEnrolment, confirmTotpEnrolment, verifySecondFactor } from "~/modules/access/auth.server";
import { TotpCodeSchema, TotpEnrolSchema } from "~/modules/access/schema";
import { requestMeta } from "~/utils/request-meta.server";

export const meta: MetaFunction = () => [{ title: "Two-step verification · Attest" }];

// The second factor after the password: verify an enrolled TOTP app, or enrol one where the role
// requires it (AUTH_REQUIRE_MFA). Reached with a session whose second factor is still pending.
export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireSession(request);
  if (session.user.totpEnrolledAt && session.isMfaComplete) throw redirect("/");
  if (session.user.totpEnrolledAt) return { mode: "verify" as const, email: session.user.email, enrolment: null };
  return { mode: "enrol" as const, email: session.user.email, enrolment: await beginTotpEnrolment(session) };
}

export async function action({ request }: ActionFunctionArgs) {
  const session = await requireSession(request);
  const formData = await request.formData();
  const meta = requestMeta(request);
  if (session.user.totpEnrolledAt) {
    const submission = parseWithZod(formData, { schema: TotpCodeSchema });
    if (submission.status !== "success") return data({ result: submission.reply() }, { status: 400 });
    const result = await verifySecondFactor(session, submission.value.code, meta);
    if (result.ok) return redirect("/");
    const message =
      result.reason === "rate_limited"
        ? `Too many wrong codes. Try again in ${result.retryAfterMinutes} minutes.`
        : "That code is not valid. Codes change every 30 seconds and can be used once.";
    return data({ result: submission.reply({ fieldErrors: { code: [message] } }) }, { status: result.reason === "rate_limited" ? 429 : 400 });
  }
  const submission = parseWithZod(formData, { schema: TotpEnrolSchema });
  if (submission.status !== "success") return data({ result: submission.reply() }, { status: 400 });
  const result = await confirmTotpEnrolment(session, submission.value.secret, submission.value.code, meta);
  if (result.ok) return redirect("/");
  return data(
    { result: submission.reply({ fieldErrors: { code: ["That code does not match the key you scanned. Check your phone's clock and try the next code."] } }) },
    { status: 400 },
  );
}

export default function MfaRoute() {
  const { mode, email, enrolment } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const schema = mode === "verify" ? TotpCodeSchema : TotpEnrolSchema;
  const [form, fields] = useForm({
    id: `mfa-${mode}`,
    lastResult: actionData?.result,
    constraint: getZodConstraint(schema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
  });
  return (
    <div className="auth-card">
      <div className="card">
        <div className="auth-brand">
          <span aria-hidden="true">◆</span> Attest
        </div>
        {mode === "verify" ? (
          <>
            <h1>Two-step verification</h1>
            <p className="muted">Enter the 6-digit code from the authenticator app registered for {email}.</p>
          </>
        ) : (
          <>
            <h1>Set up two-step verification</h1>
            <p className="muted">
              Your role requires a second factor. Scan this code with an authenticator app (or type the key), then enter the
              6-digit code it shows.
            </p>
            {enrolment ? (
              <>
                <img className="qr" src={enrolment.qrDataUrl} width={200} height={200} alt="QR code to add Attest to your authenticator app" />
                <p>
                  Key: <code data-testid="totp-secret">{enrolment.secret}</code>
                </p>
              </>
            ) : null}
          </>
        )}
        <Form method="post" {...getFormProps(form)}>
          {enrolment ? <input type="hidden" name="secret" value={enrolment.secret} /> : null}
          <div className="field">
            <label htmlFor={fields.code.id}>Code</label>
            <input {...getInputProps(fields.code, { type: "text" })} inputMode="numeric" autoComplete="one-time-code" autoFocus />
            {fields.code.errors ? (
              <span className="field-error" id={fields.code.errorId} role="alert">
                {fields.code.errors.join(" ")}
              </span>
            ) : null}
          </div>
          <button type="submit" className="button">
            {mode === "verify" ? "Verify" : "Turn on two-step verification"}
          </button>
        </Form>
        <Form method="post" action="/logout" style={{ marginTop: "1rem" }}>
          <button type="submit" className="button button--ghost">
            Cancel and sign out
          </button>
        </Form>
      </div>
    </div>
  );
}
