import { parseWithZod } from "@conform-to/zod";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ErrorPage } from "~/components/error-page";
import { forbidden, requireActor } from "~/modules/access/actor.server";
import {
  DecideRotationSchema,
  RequestRotationSchema,
  RotationRefusedError,
  decideRotation,
  listSigningKeys,
  requestRotation,
  stageGeneratedKey,
} from "~/modules/audit/signing-key-rotation.server";
import { formatDateTime } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "Signing keys · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  return { ...(await listSigningKeys(actor)), viewerId: actor.user.id };
}

const ActionSchema = z.discriminatedUnion("intent", [
  RequestRotationSchema,
  z.object({ intent: z.literal("generate") }),
  DecideRotationSchema.extend({ intent: z.literal("approve") }),
  DecideRotationSchema.extend({ intent: z.literal("reject") }),
]);

export async function action({ request }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  // Who may act here is settled before the form is read: a refused caller learns nothing from validation.
  if (!actor.ability.can("rotate", "SigningKey") && !actor.ability.can("approve", "SigningKey")) throw forbidden("rotate", "SigningKey");
  const submission = parseWithZod(await request.formData(), { schema: ActionSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), notice: null }, { status: 400 });
  const input = submission.value;
  try {
    if (input.intent === "generate") {
      await stageGeneratedKey(actor);
      return { result: submission.reply({ resetForm: true }), notice: "A new key was generated and staged. Request a rotation to it; another administrator approves." };
    }
    if (input.intent === "request") {
      await requestRotation(actor, input);
      return { result: submission.reply({ resetForm: true }), notice: "Rotation requested. A second administrator must approve it." };
    }
    const { isApproved } = await decideRotation(actor, input);
    return { result: submission.reply({ resetForm: true }), notice: isApproved ? "Rotation approved: checkpoints are now signed with the new key." : "Rotation rejected." };
  } catch (error) {
    if (error instanceof RotationRefusedError) return data({ result: submission.reply({ formErrors: [error.message] }), notice: null }, { status: 409 });
    throw error;
  }
}

export default function SigningKeysRoute() {
  const { keys, rotations, canGenerate, viewerId } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const staged = keys.filter((key) => key.status === "staged" && key.isAvailableHere);
  const pending = rotations.find((rotation) => rotation.state === "pending");
  const errors = actionData?.result?.error;
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Checkpoint signing keys</h1>
          <p>
            OpenPGP Ed25519 keys that sign the audit ledger's checkpoints. Public keys and their validity: <a href="/api/v1/audit/keys">/api/v1/audit/keys</a>
          </p>
        </div>
      </div>
      {actionData?.notice ? <div className="alert alert--ok" role="status">{actionData.notice}</div> : null}
      {errors ? (
        <div className="alert alert--error" role="alert">
          {Object.values(errors).flat().join(" ")}
        </div>
      ) : null}
      <div className="table-wrap" style={{ marginBottom: "1rem" }}>
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Fingerprint</th>
              <th scope="col">Status</th>
              <th scope="col">Valid from</th>
              <th scope="col">Valid until</th>
              <th scope="col" className="num">Checkpoints signed</th>
              <th scope="col">On this instance</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id}>
                <td>
                  <code>{key.fingerprint}</code>
                </td>
                <td>
                  <span className={key.status === "active" ? "badge badge--ok" : key.status === "staged" ? "badge badge--info" : "badge"}>{key.status}</span>
                </td>
                <td>{key.activatedAt ? formatDateTime(key.activatedAt) : "—"}</td>
                <td>{key.retiredAt ? formatDateTime(key.retiredAt) : "—"}</td>
                <td className="num">{key.checkpoints}</td>
                <td>{key.isAvailableHere ? "private key loaded" : <span className="muted">public key only</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="grid grid--2">
        <section className="card" aria-labelledby="rotate-title">
          <h2 id="rotate-title">Rotate the signing key</h2>
          {pending ? (
            <>
              <p>
                <strong>{pending.requestedBy}</strong> asked on {formatDateTime(pending.requestedAt)} to rotate to <code>{pending.to}</code>: “{pending.justification}”
              </p>
              {pending.requestedById === viewerId ? (
                <p className="muted">A second administrator must approve or reject your request.</p>
              ) : (
                <Form method="post">
                  <input type="hidden" name="rotationId" value={pending.id} />
                  <div className="field">
                    <label htmlFor="decision-justification">Justification (recorded in the ledger)</label>
                    <input id="decision-justification" name="justification" type="text" required minLength={5} />
                  </div>
                  <div className="actions">
                    <button type="submit" name="intent" value="approve" className="button">
                      Approve rotation
                    </button>
                    <button type="submit" name="intent" value="reject" className="button button--ghost">
                      Reject
                    </button>
                  </div>
                </Form>
              )}
            </>
          ) : staged.length > 0 ? (
            <Form method="post">
              <input type="hidden" name="intent" value="request" />
              <div className="field">
                <label htmlFor="to-key">New signing key</label>
                <select id="to-key" name="toFingerprint" required>
                  {staged.map((key) => (
                    <option key={key.id} value={key.fingerprint}>
                      {key.fingerprint}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="rotation-justification">Why (recorded in the ledger)</label>
                <input id="rotation-justification" name="justification" type="text" required minLength={10} />
              </div>
              <button type="submit" className="button">
                Request rotation
              </button>
            </Form>
          ) : (
            <p className="muted">No staged key is available. Operations stage a key by placing it in ATTEST_SIGNING_KEYS_DIR on every instance.</p>
          )}
          {canGenerate && !pending ? (
            <Form method="post" style={{ marginTop: "1rem" }}>
              <input type="hidden" name="intent" value="generate" />
              <button type="submit" className="button button--ghost">
                Generate and stage a new key (demo)
              </button>
            </Form>
          ) : null}
        </section>
        <section className="card" aria-labelledby="history-title">
          <h2 id="history-title">Rotation history</h2>
          {rotations.length === 0 ? (
            <p className="empty">No rotations yet.</p>
          ) : (
            <ul className="list">
              {rotations.map((rotation) => (
                <li key={rotation.id}>
                  <span>
                    {formatDateTime(rotation.requestedAt)} · {rotation.requestedBy} → {rotation.decidedBy ?? "…"}
                  </span>
                  <span className={rotation.state === "approved" ? "badge badge--ok" : rotation.state === "pending" ? "badge badge--info" : "badge"}>{rotation.state}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
