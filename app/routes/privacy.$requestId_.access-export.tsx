import { parseWithZod } from "@conform-to/zod";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ErrorPage } from "~/components/error-page";
import { forbidden, notFound, requireActor } from "~/modules/access/actor.server";
import { AccessExportRefusedError, generateAccessExport, listPrivacyArtefacts } from "~/modules/privacy/access-export.server";
import { AccessExportActionSchema } from "~/modules/privacy/erasure-schema";
import { PrivacyRequestIdSchema } from "~/modules/privacy/schema";
import { PrivacyStateBadge } from "~/modules/privacy/ui/badges";
import { formatDateTime } from "~/utils/format";
import { FormErrors, FormNotice } from "~/components/forms/field";

// /privacy/:requestId/access-export — generate the signed access/portability export of everything
// held about the subject, and list the request's files (exports, certificates) for download.

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Access export · ${data?.request.reference ?? "Privacy request"} · Attest` }];

function parseParams(params: LoaderFunctionArgs["params"]) {
  const parsed = PrivacyRequestIdSchema.safeParse(params);
  if (!parsed.success) throw notFound("That privacy request");
  return parsed.data.requestId;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  return listPrivacyArtefacts(actor, parseParams(params));
}

export async function action({ request, params }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  const requestId = parseParams(params);
  if (!actor.ability.can("export", "PrivacyRequest")) throw forbidden("export", "PrivacyRequest");
  const submission = parseWithZod(await request.formData(), { schema: AccessExportActionSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), notice: null }, { status: 400 });
  try {
    const artefact = await generateAccessExport(actor, requestId, { complete: submission.value.complete === "on" });
    return {
      result: submission.reply({ resetForm: true }),
      notice: `Export ${artefact.fileName} generated and signed${submission.value.complete === "on" ? "; the request is completed" : ""}.`,
    };
  } catch (error) {
    if (error instanceof AccessExportRefusedError) return data({ result: submission.reply({ formErrors: [error.message] }), notice: null }, { status: 409 });
    throw error;
  }
}

function formatSize(bytes: number) {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

export default function AccessExportRoute() {
  const { request, artefacts, canGenerate } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const errors = (actionData?.result?.error as Record<string, string[] | null> | undefined)?.[""] ?? null;
  return (
    <>
      <div className="page-header">
        <div>
          <p>
            <Link to="/privacy">Privacy requests</Link> / <Link to={`/privacy/${request.id}`}>{request.reference}</Link> /
          </p>
          <h1>
            Access export {request.reference} <PrivacyStateBadge state={request.state} />
          </h1>
          <p>
            {request.type} request · {request.regionCode}
          </p>
        </div>
      </div>
      <FormNotice notice={actionData?.notice} />
      <FormErrors errors={errors} />

      <div className="grid grid--2">
        <section className="card" aria-labelledby="generate-title">
          <h2 id="generate-title">Generate the export</h2>
          <p>
            One zip of everything Attest holds about the customer: personal data, every automated decision with the logic and main factors behind it and its reason codes in
            plain language, reviews and contests, and privacy requests — as JSON and CSV, with a manifest of SHA-256 hashes signed with the ledger key, the public key and
            instructions to verify it.
          </p>
          {canGenerate ? (
            <Form method="post">
              <input type="hidden" name="intent" value="generate" />
              <div className="field">
                <label style={{ fontWeight: 400, display: "flex", gap: "0.4rem", alignItems: "center" }}>
                  <input type="checkbox" name="complete" value="on" /> Mark the request completed (the export is what the customer receives)
                </label>
              </div>
              <button type="submit" className="button" disabled={navigation.state !== "idle"}>
                Generate signed export
              </button>
              <p className="muted">Generating reads the customer&apos;s unmasked personal data; it is recorded in the audit ledger under your name.</p>
            </Form>
          ) : (
            <p className="muted">
              {request.type !== "access" && request.type !== "portability"
                ? "Exports answer access and portability requests."
                : request.isCustomerErased
                  ? "This customer was erased: there is nothing left to export."
                  : !request.hasCustomer
                    ? "Match the request to a customer first."
                    : request.identityState !== "verified"
                      ? "The requester's identity must be verified first."
                      : "Your role cannot generate exports."}
            </p>
          )}
        </section>

        <section className="card" aria-labelledby="verify-title">
          <h2 id="verify-title">How the customer (or anyone) verifies it</h2>
          <pre className="json">{`unzip <file>.zip && cd attest-access-export-${request.reference}
gpg --import public-key.asc
gpg --verify manifest.json.asc manifest.json
sha256sum -c SHA256SUMS`}</pre>
        </section>
      </div>

      <section className="card section" aria-labelledby="files-title">
        <h2 id="files-title">Files of this request</h2>
        {artefacts.length === 0 ? (
          <p className="empty">No files yet.</p>
        ) : (
          <div className="table-scroll" role="region" aria-labelledby="files-title" tabIndex={0}>
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Created</th>
                  <th scope="col" className="num">
                    Size
                  </th>
                  <th scope="col">SHA-256</th>
                </tr>
              </thead>
              <tbody>
                {artefacts.map((artefact) => (
                  <tr key={artefact.id}>
                    <td>
                      <a href={`/privacy/${request.id}/artefacts/${artefact.id}`} download>
                        {artefact.fileName}
                      </a>{" "}
                      · <a href={`/privacy/${request.id}/artefacts/${artefact.id}?part=signature`} download aria-label={`Signature of ${artefact.fileName}`}>.asc</a>
                    </td>
                    <td>{artefact.kind.replace(/_/g, " ")}</td>
                    <td>
                      {formatDateTime(artefact.createdAt)}
                      {artefact.createdByName ? ` · ${artefact.createdByName}` : ""}
                    </td>
                    <td className="num">{formatSize(artefact.sizeBytes)}</td>
                    <td>
                      <code className="hash">{artefact.sha256}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p className="muted">Every download is recorded in the audit ledger. Access exports are deleted when the customer is erased.</p>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
