import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { getOptionalSession } from "~/modules/access/actor.server";
import { signIn } from "~/modules/access/auth.server";
import { demoSignInHints } from "~/modules/access/demo-hints.server";
import { SignInSchema } from "~/modules/access/schema";
import { commitSessionId } from "~/utils/session.server";
import { requestMeta } from "~/utils/request-meta.server";
import { safeRedirectPath } from "~/utils/redirect";

export const meta: MetaFunction = () => [{ title: "Sign in · Attest" }];

// A throttled sign-in tells the client when to try again (RFC 9110 Retry-After), on the page as well.
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const headers = new Headers();
  const retryAfter = actionHeaders.get("Retry-After");
  if (retryAfter) headers.set("Retry-After", retryAfter);
  return headers;
};

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await getOptionalSession(request);
  if (session?.isMfaComplete) throw redirect("/");
  return { demoAccounts: demoSignInHints() };
}

export async function action({ request }: ActionFunctionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: SignInSchema });
  if (submission.status !== "success") {
    return data({ result: submission.reply({ hideFields: ["password"] }) }, { status: 400 });
  }
  const result = await signIn(submission.value, requestMeta(request));
  if (!result.ok) {
    const message =
      result.reason === "rate_limited"
        ? `Too many failed sign-in attempts from this network. For your security, try again in ${waitText(result.retryAfterSeconds ?? 60 * (result.retryAfterMinutes ?? 1))}.`
        : "The email or password is not correct, or the account is not active.";
    return data(
      { result: submission.reply({ formErrors: [message], hideFields: ["password"] }) },
      {
        status: result.reason === "rate_limited" ? 429 : 401,
        headers: result.reason === "rate_limited" ? { "Retry-After": String(result.retryAfterSeconds ?? 60) } : undefined,
      },
    );
  }
  const target = result.next === "home" ? safeRedirectPath(submission.value.redirectTo) : "/login/mfa";
  return redirect(target, { headers: { "Set-Cookie": await commitSessionId(result.sessionId) } });
}

function waitText(seconds: number) {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

export default function LoginRoute() {
  const { demoAccounts } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const navigation = useNavigation();
  const [form, fields] = useForm({
    id: "sign-in",
    lastResult: actionData?.result,
    constraint: getZodConstraint(SignInSchema),
    shouldValidate: "onBlur",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: SignInSchema }),
  });
  return (
    <div className="auth-card">
      <div className="card">
        <div className="auth-brand">
          <span aria-hidden="true">◆</span> Attest
        </div>
        <h1>Sign in</h1>
        <p className="muted">Compliance and governance for automated credit and fraud decisions.</p>
        <Form method="post" {...getFormProps(form)}>
          {form.errors ? (
            <div className="alert alert--error" role="alert" id={form.errorId}>
              {form.errors.join(" ")}
            </div>
          ) : null}
          <input type="hidden" name="redirectTo" value={searchParams.get("redirectTo") ?? "/"} />
          <div className="field">
            <label htmlFor={fields.email.id}>Work email</label>
            <input {...getInputProps(fields.email, { type: "email" })} autoComplete="username" autoFocus />
            {fields.email.errors ? (
              <span className="field-error" id={fields.email.errorId}>
                {fields.email.errors.join(" ")}
              </span>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor={fields.password.id}>Password</label>
            <input {...getInputProps(fields.password, { type: "password" })} autoComplete="current-password" />
            {fields.password.errors ? (
              <span className="field-error" id={fields.password.errorId}>
                {fields.password.errors.join(" ")}
              </span>
            ) : null}
          </div>
          <button type="submit" className="button" disabled={navigation.state !== "idle"}>
            {navigation.state === "submitting" ? "Signing in…" : "Sign in"}
          </button>
        </Form>
      </div>
      {demoAccounts ? (
        <div className="card demo-accounts" aria-labelledby="demo-title">
          <h2 id="demo-title">Demo accounts</h2>
          <p className="muted">
            This is demo data. Every account uses the password <code>{demoAccounts.password}</code>.
          </p>
          <table>
            <tbody>
              {demoAccounts.accounts.map((account) => (
                <tr key={account.email}>
                  <td>
                    <code>{account.email}</code>
                  </td>
                  <td className="muted">{account.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
