import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { requireActor } from "~/modules/access/actor.server";
import { cancelJob, getJobStatus } from "~/modules/jobs/jobs.server";

// A background job's status for the page that watches it (polled by JobProgress), and its cancellation.
// Who may see or cancel a job is decided by its domain; an invisible job answers like a missing one.

const noStore = { "Cache-Control": "no-store" };

export async function loader({ request, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  return Response.json(await getJobStatus(actor, params.jobId ?? ""), { headers: noStore });
}

const CancelSchema = z.object({ intent: z.literal("cancel", { errorMap: () => ({ message: "intent must be cancel" }) }) });

export async function action({ request, params }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  const parsed = CancelSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return Response.json({ kind: "invalid", message: parsed.error.issues[0]!.message }, { status: 400, headers: noStore });
  const result = await cancelJob(actor, params.jobId ?? "");
  return Response.json({ ...result, job: await getJobStatus(actor, params.jobId ?? "") }, { headers: noStore });
}
