import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { ErrorPage } from "~/components/error-page";
import { requireActor, requirePermission } from "~/modules/access/actor.server";
import { latestCheckpointView } from "~/modules/audit/proofs.server";
import { listLedgerVerifications, startLedgerVerification, trustedCheckpointInputError } from "~/modules/audit/verification.server";
import { formatDateTime } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "Verify the ledger · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  requirePermission(actor, "verify", "Ledger");
  const [runs, checkpoint] = await Promise.all([listLedgerVerifications(actor), latestCheckpointView()]);
  return { runs, checkpoint };
}

export async function action({ request }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  const form = await request.formData();
  const trustedCheckpoint = String(form.get("trustedCheckpoint") ?? "");
  if (trustedCheckpoint.trim()) {
    const problem = trustedCheckpointInputError(trustedCheckpoint);
    if (problem) return data({ fieldError: `Trusted checkpoint: ${problem}` }, { status: 400 });
  }
  await startLedgerVerification(actor, { trustedCheckpoint });
  return redirect("/audit/verify");
}

export default function VerifyLedgerRoute() {
  const { runs, checkpoint } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const revalidator = useRevalidator();
  const current = runs[0];
  const isRunning = current?.state === "running";
  useEffect(() => {
    if (!isRunning) return;
    const timer = setInterval(() => {
      if (revalidator.state === "idle") revalidator.revalidate();
    }, 1000);
    return () => clearInterval(timer);
  }, [isRunning, revalidator]);
  const percent = current && current.totalEvents > 0 ? Math.round((current.checkedEvents / current.totalEvents) * 100) : 0;
  return (
    <>
      <div className="page-header">
        <div>
          <p>
            <Link to="/audit">Audit ledger</Link> /
          </p>
          <h1>Verify the ledger</h1>
          <p>Recomputes every event's hash and the whole Merkle tree, and checks every signed checkpoint. The run is itself recorded in the ledger.</p>
        </div>
        <Form method="post" id="verify-form">
          <button type="submit" className="button" disabled={isRunning || navigation.state !== "idle"}>
            {isRunning ? "Verification running…" : "Verify the ledger now"}
          </button>
        </Form>
      </div>

      <details className="card" style={{ marginBottom: "1rem" }} open={Boolean(actionData?.fieldError)}>
        <summary>Verify against a checkpoint kept outside Attest (optional)</summary>
        <div className="field">
          <label htmlFor="trusted-checkpoint">Trusted checkpoint: the saved JSON of /api/v1/audit/checkpoints/latest, or the signed note of /api/v1/audit/checkpoint</label>
          <textarea
            id="trusted-checkpoint"
            name="trustedCheckpoint"
            form="verify-form"
            rows={5}
            style={{ width: "100%", fontFamily: "monospace" }}
            aria-invalid={actionData?.fieldError ? true : undefined}
            aria-describedby={actionData?.fieldError ? "trusted-checkpoint-error" : undefined}
          />
          {actionData?.fieldError ? (
            <p id="trusted-checkpoint-error" className="field-error" role="alert">
              {actionData.fieldError}
            </p>
          ) : null}
        </div>
        <p className="muted">The run then also proves that today's ledger extends that checkpoint: a truncated or rewritten ledger fails.</p>
      </details>

      {current ? (
        <section className="card" aria-labelledby="current-run">
          <h2 id="current-run">Latest run · {formatDateTime(current.startedAt)}</h2>
          {current.state === "running" ? (
            <>
              <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} aria-label="Verification progress">
                <div className="progress-bar" style={{ width: `${percent}%` }} />
              </div>
              <p className="muted">
                {current.checkedEvents.toLocaleString("en")} of {current.totalEvents.toLocaleString("en")} events checked · {current.checkedCheckpoints} checkpoints
              </p>
            </>
          ) : current.state === "passed" ? (
            <div className="alert alert--ok" role="status" data-testid="verification-result">
              The ledger is intact: {current.checkedEvents.toLocaleString("en")} events and {current.checkedCheckpoints} signed checkpoints verified.
            </div>
          ) : current.state === "failed" ? (
            <div className="alert alert--error" role="alert" data-testid="verification-result">
              <strong>The ledger does not verify ({current.failure?.kind}).</strong> {current.failure?.message}
            </div>
          ) : (
            <div className="alert alert--warn" role="alert" data-testid="verification-result">
              The run {current.state === "interrupted" ? "was interrupted" : "could not complete"}: {current.failure?.message ?? "start it again"}.
            </div>
          )}
        </section>
      ) : (
        <p className="empty">The ledger has not been verified from here yet.</p>
      )}

      <div className="grid grid--2" style={{ marginTop: "1rem" }}>
        <section className="card" aria-labelledby="checkpoint-title">
          <h2 id="checkpoint-title">Latest signed checkpoint</h2>
          {checkpoint ? (
            <dl className="facts">
              <dt>Tree size</dt>
              <dd>{checkpoint.treeSize.toLocaleString("en")} events</dd>
              <dt>Root hash</dt>
              <dd>
                <code className="hash">{checkpoint.rootHash}</code>
              </dd>
              <dt>Signed</dt>
              <dd>{formatDateTime(checkpoint.timestamp)}</dd>
              <dt>Key</dt>
              <dd>
                <code className="hash">{checkpoint.keyFingerprint}</code> (<a href="/api/v1/audit/keys">public keys</a>)
              </dd>
              <dt>Number</dt>
              <dd>
                {checkpoint.number} (<a href="/api/v1/audit/checkpoint">signed note</a>)
              </dd>
              <dt>Witnesses</dt>
              <dd data-testid="checkpoint-witnesses">
                {checkpoint.cosignatures.length === 0 ? "no cosignature yet" : checkpoint.cosignatures.map((cosignature) => `${cosignature.witnessName} (${formatDateTime(cosignature.cosignedAt)})`).join(", ")}
                {checkpoint.witnesses.quorum > 0 ? (
                  <span className={checkpoint.witnesses.isWitnessed ? "badge badge--ok" : "badge badge--warn"} style={{ marginLeft: "0.5rem" }}>
                    {checkpoint.witnesses.isWitnessed ? "witnessed" : `${checkpoint.witnesses.cosignatures} of ${checkpoint.witnesses.quorum} witnesses`}
                  </span>
                ) : null}
              </dd>
            </dl>
          ) : (
            <p className="empty">No checkpoint yet.</p>
          )}
        </section>
        <section className="card" aria-labelledby="history-title">
          <h2 id="history-title">Earlier runs</h2>
          {runs.length <= 1 ? (
            <p className="empty">None.</p>
          ) : (
            <ul className="list">
              {runs.slice(1).map((run) => (
                <li key={run.id}>
                  <span>{formatDateTime(run.startedAt)}</span>
                  <span className={run.state === "passed" ? "badge badge--ok" : run.state === "running" ? "badge badge--info" : "badge badge--danger"}>{run.state}</span>
                </li>
              ))}
            </ul>
          )}
          <p className="muted">
            From a shell: <code>npm run ledger:verify</code>
          </p>
        </section>
      </div>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
