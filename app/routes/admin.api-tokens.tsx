import { parseWithZod } from "@conform-to/zod";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ErrorPage } from "~/components/error-page";
import { forbidden, requireActor } from "~/modules/access/actor.server";
import { CreateApiTokenSchema, apiScopes, createApiToken, listApiTokens, revokeApiToken } from "~/modules/access/api-tokens.server";
import { regionCodes } from "~/modules/access/schema";
import { formatDateTime } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "API tokens · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  return { tokens: await listApiTokens(actor), scopes: apiScopes };
}

const ActionSchema = z.discriminatedUnion("intent", [
  CreateApiTokenSchema.extend({ intent: z.literal("create") }),
  z.object({ intent: z.literal("revoke"), tokenId: z.string().uuid(), justification: z.string().trim().min(5, "Say why (at least 5 characters)").max(500) }),
]);

export async function action({ request }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  // Who may act here is settled before the form is read: a refused caller learns nothing from validation.
  if (!actor.ability.can("create", "ApiToken") && !actor.ability.can("revoke", "ApiToken")) throw forbidden("create", "ApiToken");
  const submission = parseWithZod(await request.formData(), { schema: ActionSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), secret: null }, { status: 400 });
  if (submission.value.intent === "create") {
    const { secret } = await createApiToken(actor, submission.value);
    return { result: submission.reply({ resetForm: true }), secret };
  }
  await revokeApiToken(actor, submission.value.tokenId, submission.value.justification);
  return { result: submission.reply({ resetForm: true }), secret: null };
}

export default function ApiTokensRoute() {
  const { tokens, scopes } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.result?.error;
  return (
    <>
      <div className="page-header">
        <div>
          <h1>API tokens</h1>
          <p>For the decision engine and other systems. A token is shown once, stored only as a hash, and limited to its scopes and regions.</p>
        </div>
      </div>
      {actionData?.secret ? (
        <div className="alert alert--warn" role="status">
          <strong>Copy this token now — it will not be shown again:</strong>
          <p>
            <code data-testid="new-token">{actionData.secret}</code>
          </p>
        </div>
      ) : null}
      {errors ? (
        <div className="alert alert--error" role="alert">
          {Object.entries(errors)
            .map(([field, messages]) => `${field || "form"}: ${(messages ?? []).join(" ")}`)
            .join(" · ")}
        </div>
      ) : null}
      <div className="grid grid--2">
        <section className="card" aria-labelledby="new-token-title">
          <h2 id="new-token-title">New token</h2>
          <Form method="post">
            <input type="hidden" name="intent" value="create" />
            <div className="field">
              <label htmlFor="token-name">Name</label>
              <input id="token-name" name="name" type="text" required minLength={3} placeholder="decision-engine-se" />
            </div>
            <fieldset>
              <legend className="field">Scopes</legend>
              {Object.entries(scopes).map(([scope, description]) => (
                <label key={scope} className="option-row">
                  <input type="checkbox" name="scopes" value={scope} />
                  <code>{scope}</code>
                  <span>{description}</span>
                </label>
              ))}
            </fieldset>
            <fieldset>
              <legend className="field">Regions</legend>
              <div className="checkbox-row">
                {regionCodes.map((code) => (
                  <label key={code}>
                    <input type="checkbox" name="regions" value={code} /> {code}
                  </label>
                ))}
              </div>
              <span className="hint">A token writes and reads only in its regions.</span>
            </fieldset>
            <button type="submit" className="button">
              Create token
            </button>
          </Form>
        </section>
        <section aria-labelledby="tokens-title">
          <div className="table-wrap">
            <table className="data">
              <caption id="tokens-title" className="muted" style={{ textAlign: "left", padding: "0.5rem 0.75rem" }}>
                Tokens
              </caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Regions</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((token) => (
                  <tr key={token.id}>
                    <td>
                      {token.name} <span className="muted">att_{token.prefix}_…</span>
                    </td>
                    <td>{token.scopes.join(", ")}</td>
                    <td>{token.regions.join(", ") || "—"}</td>
                    <td>{token.lastUsedAt ? formatDateTime(token.lastUsedAt) : "never"}</td>
                    <td>
                      {token.revokedAt ? (
                        <span className="badge">revoked</span>
                      ) : (
                        <Form method="post" className="actions">
                          <input type="hidden" name="intent" value="revoke" />
                          <input type="hidden" name="tokenId" value={token.id} />
                          <input type="text" name="justification" placeholder="why revoke" aria-label={`Why revoke ${token.name}`} required minLength={5} />
                          <button type="submit" className="button button--ghost">
                            Revoke
                          </button>
                        </Form>
                      )}
                    </td>
                  </tr>
                ))}
                {tokens.length === 0 ? (
                  <tr>
                    <td colSpan={5} className="empty">
                      No tokens yet.
                    </td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </div>
        </section>
      </div>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
