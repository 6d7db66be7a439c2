import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ErrorPage } from "~/components/error-page";
import { requireActor, requirePermission } from "~/modules/access/actor.server";
import { estimatePack, listEvidencePacks, PackScopeError, requestEvidencePack } from "~/modules/evidence/evidence-packs.server";
import { scopeFromForm } from "~/modules/evidence/scope-form";
import { EvidencePackList } from "~/modules/evidence/ui/evidence-pack-list";
import { ScopePicker } from "~/modules/evidence/ui/scope-picker";

// Evidence packs (issue 11, DESIGN.md §7): the auditor's or compliance officer's scope picker with a
// row estimate before anything starts, and their packs' history with progress and downloads.

export const meta: MetaFunction = () => [{ title: "Evidence packs · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  requirePermission(actor, "read", "EvidencePack");
  const packs = await listEvidencePacks(actor);
  return { packs, regions: actor.user.regions, canCreate: actor.ability.can("create", "EvidencePack"), today: new Date().toISOString().slice(0, 10) };
}

export async function action({ request }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  requirePermission(actor, "create", "EvidencePack");
  const form = await request.formData();
  const intent = form.get("intent");
  const values = Object.fromEntries([...form.keys()].map((key) => [key, form.getAll(key).map(String)]));
  try {
    const scope = scopeFromForm(form);
    if (intent === "estimate") return { kind: "estimate" as const, estimate: await estimatePack(actor, scope), values };
    if (intent !== "request") return Response.json({ kind: "invalid" as const, field: "intent", message: "intent must be estimate or request", values }, { status: 400 });
    const { packId } = await requestEvidencePack(actor, scope);
    return redirect(`/evidence?requested=${packId}`);
  } catch (error) {
    if (error instanceof PackScopeError) return Response.json({ kind: "invalid" as const, field: error.field, message: error.message, values }, { status: 400 });
    throw error;
  }
}

export default function EvidenceRoute() {
  const { packs, regions, canCreate, today } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as
    | { kind: "estimate"; estimate: { counts: Record<string, number>; total: number }; values: Record<string, string[]> }
    | { kind: "invalid"; field: string; message: string; values: Record<string, string[]> }
    | undefined;
  const navigation = useNavigation();
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Evidence packs</h1>
          <p>
            A signed zip of the evidence in a scope — data as JSON Lines and CSV, ledger events with their Merkle proofs, the policies in force, a reproducible audit sample —
            that anyone can check offline with <code>gpg</code>, <code>sha256sum</code> and the verifier inside it.
          </p>
        </div>
      </div>
      {canCreate ? (
        <Form method="post" className="card" aria-labelledby="scope-heading">
          <h2 id="scope-heading">New pack</h2>
          <ScopePicker regions={regions} today={today} result={result} isBusy={navigation.state !== "idle"} />
        </Form>
      ) : null}
      <EvidencePackList packs={packs} />
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
