import { parseWithZod } from "@conform-to/zod";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { createColumnHelper } from "@tanstack/react-table";
import { z } from "zod";
import { DataTable, FilterBar, SelectFilter } from "~/components/data-table/data-table";
import { hrefWith, parseListQuery } from "~/components/data-table/url-state";
import { ErrorPage } from "~/components/error-page";
import { requireActor, requirePermission } from "~/modules/access/actor.server";
import { listReviewQueue, type ReviewQueueItem } from "~/modules/decisions/review-queue.server";
import { ReviewRefusedError, assignReviews, claimReview } from "~/modules/decisions/review.server";
import { AssignReviewsSchema, ClaimReviewSchema, ReviewQueueQuerySchema, openReviewStatuses, reviewTriggers } from "~/modules/decisions/schema";
import { OutcomeBadge, ReviewStatusBadge, SlaBadge } from "~/modules/decisions/ui/badges";
import { formatDate, formatDateTime } from "~/utils/format";
import { FormErrors, FormNotice } from "~/components/forms/field";

export const meta: MetaFunction = () => [{ title: "Review queue · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const query = parseListQuery(ReviewQueueQuerySchema, request);
  return listReviewQueue(actor, query);
}

const ActionSchema = z.discriminatedUnion("intent", [
  ClaimReviewSchema.extend({ intent: z.literal("claim") }),
  AssignReviewsSchema.extend({ intent: z.literal("assign") }),
]);

export async function action({ request }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  // Who may act here is settled before the form is read; each step then checks the record itself.
  requirePermission(actor, "read", "Review");
  const submission = parseWithZod(await request.formData(), { schema: ActionSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), notice: null }, { status: 400 });
  const input = submission.value;
  try {
    if (input.intent === "claim") {
      await claimReview(actor, input);
      return { result: submission.reply(), notice: "You hold this review now." };
    }
    const assigned = await assignReviews(actor, input);
    return { result: submission.reply({ resetForm: true }), notice: `${assigned.count} review${assigned.count === 1 ? "" : "s"} assigned to ${assigned.assignee}.` };
  } catch (error) {
    if (error instanceof ReviewRefusedError) return data({ result: submission.reply({ formErrors: [error.message] }), notice: null }, { status: 409 });
    throw error;
  }
}

const column = createColumnHelper<ReviewQueueItem>();

function columnsFor(canAssign: boolean) {
  return [
    ...(canAssign
      ? [
          column.display({
            id: "select",
            header: () => <span className="visually-hidden">Select</span>,
            cell: (info) =>
              info.row.original.status === "awaiting_approval" ? null : (
                <input
                  type="checkbox"
                  name="reviewIds"
                  value={info.row.original.id}
                  form="bulk-assign"
                  aria-label={`Select review of ${info.row.original.decisionExternalId}`}
                />
              ),
          }),
        ]
      : []),
    column.accessor("priority", { header: "Priority", meta: { sortKey: "priority", firstOrder: "asc", isNumeric: true } }),
    column.accessor("dueAt", {
      header: "Due",
      cell: (info) => formatDateTime(info.getValue()),
      meta: { sortKey: "dueAt", firstOrder: "asc" },
    }),
    column.accessor("hoursLeft", {
      header: "SLA",
      cell: (info) => (
        <>
          <SlaBadge band={info.row.original.slaBand} hoursLeft={info.getValue()} />
          {info.row.original.isEscalated ? <span className="badge badge--danger">escalated</span> : null}
        </>
      ),
    }),
    column.accessor("trigger", {
      header: "Trigger",
      cell: (info) =>
        info.getValue() === "contest" ? (
          <span className="badge badge--info">customer contest</span>
        ) : (
          <>
            {info.getValue().replace(/_/g, " ")} {info.row.original.answersContest ? <span className="badge badge--info">customer contest</span> : null}
          </>
        ),
    }),
    column.accessor("regionCode", { header: "Region" }),
    column.accessor("decisionExternalId", {
      header: "Decision",
      cell: (info) => (
        <>
          <Link to={`/decisions/${info.row.original.decisionId}`}>
            <code>{info.getValue()}</code>
          </Link>
          {info.row.original.isProcessingRestricted ? (
            <>
              {" "}
              <span className="badge badge--warn" title="The customer restricted processing of their data (GDPR Art. 18); their personal data is withheld">
                processing restricted
              </span>
            </>
          ) : null}
        </>
      ),
    }),
    column.accessor("decisionOutcome", { header: "Outcome", cell: (info) => <OutcomeBadge outcome={info.getValue()} /> }),
    column.accessor("status", { header: "Status", cell: (info) => <ReviewStatusBadge status={info.getValue()} /> }),
    column.accessor("claimedByName", {
      header: "Held by",
      cell: (info) => {
        const row = info.row.original;
        if (info.getValue()) return info.getValue();
        if (row.canClaim) {
          return (
            <Form method="post" className="inline-form">
              <input type="hidden" name="reviewId" value={row.id} />
              <input type="hidden" name="version" value={row.version} />
              <button className="button button--ghost" name="intent" value="claim" aria-label={`Claim review of ${row.decisionExternalId}`}>
                Claim
              </button>
            </Form>
          );
        }
        return <span className="muted">unclaimed</span>;
      },
    }),
    column.accessor("assigneeName", { header: "Assigned to", cell: (info) => info.getValue() ?? <span className="muted">—</span> }),
    column.accessor("openedAt", {
      header: "Opened",
      cell: (info) => formatDate(info.getValue()),
      meta: { sortKey: "openedAt", firstOrder: "asc" },
    }),
  ];
}

const slaRow: Record<string, string | undefined> = { overdue: "row--danger", due_soon: "row--warn" };

const views = [
  { value: "queue", label: "Queue" },
  { value: "mine", label: "Mine" },
  { value: "escalation", label: "Escalations" },
] as const;

export default function ReviewQueueRoute() {
  const { reviews, paging, sort, regions, view, canAssign, assignableReviewers } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const errors = actionData?.result?.error as Record<string, string[] | null> | undefined;
  const messages = errors ? Object.values(errors).flatMap((value) => value ?? []) : [];
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Review queue</h1>
          <p>
            Decisions waiting for a human in {regions.join(", ")}: contests first, then escalations and fraud holds, then by due time. Claim an item to work it; others see
            who holds it.
          </p>
        </div>
        <Link className="button button--ghost" to="/decisions/oversight">
          Oversight metrics
        </Link>
      </div>
      <nav className="view-tabs" aria-label="Queue views">
        {views.map((item) => (
          <Link
            key={item.value}
            className="button button--ghost"
            to={hrefWith(searchParams, { view: item.value === "queue" ? null : item.value, page: null })}
            aria-current={view === item.value ? "page" : undefined}
          >
            {item.label}
          </Link>
        ))}
      </nav>
      <FormNotice notice={actionData?.notice} />
      <FormErrors errors={messages} />
      {view === "escalation" ? <p className="muted">Overdue items and items a reviewer escalated, for leads to reassign or take over.</p> : null}
      <FilterBar resetTo={view === "queue" ? "/reviews" : `/reviews?view=${view}`} keep={["sort", "order", "view"]}>
        <SelectFilter name="status" label="Status" options={openReviewStatuses} anyLabel="Any open" />
        <SelectFilter name="trigger" label="Trigger" options={reviewTriggers} />
        <SelectFilter
          name="sla"
          label="SLA"
          options={[
            { value: "overdue", label: "Overdue" },
            { value: "due_soon", label: "Due within 24 h" },
          ]}
        />
        {regions.length > 1 ? <SelectFilter name="region" label="Region" options={regions} anyLabel="All" /> : null}
      </FilterBar>
      {canAssign ? (
        <Form method="post" id="bulk-assign" className="bulk-assign" aria-label="Assign selected reviews">
          <div className="field">
            <label htmlFor="assignee">Assign the selected reviews to</label>
            <select id="assignee" name="assigneeId" defaultValue="">
              <option value="">Choose a reviewer…</option>
              {assignableReviewers.map((reviewer) => (
                <option key={reviewer.id} value={reviewer.id}>
                  {reviewer.label}
                </option>
              ))}
            </select>
          </div>
          <button className="button" name="intent" value="assign">
            Assign selected
          </button>
        </Form>
      ) : null}
      <DataTable
        label="Review queue"
        noun="reviews"
        columns={columnsFor(canAssign)}
        data={reviews}
        getRowId={(row) => row.id}
        sort={sort}
        paging={paging}
        rowClassName={(row) => slaRow[row.slaBand]}
        empty="The queue is empty for these filters."
      />
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
