import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { createColumnHelper } from "@tanstack/react-table";
import { DataTable, FilterBar, SelectFilter } from "~/components/data-table/data-table";
import { parseListQuery } from "~/components/data-table/url-state";
import { ErrorPage } from "~/components/error-page";
import { requireActor } from "~/modules/access/actor.server";
import { listReviewQueue, type ReviewQueueItem } from "~/modules/decisions/review-queue.server";
import { ReviewQueueQuerySchema, openReviewStatuses, reviewTriggers } from "~/modules/decisions/schema";
import { OutcomeBadge, ReviewStatusBadge, SlaBadge } from "~/modules/decisions/ui/badges";
import { formatDate, formatDateTime } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "Review queue · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const query = parseListQuery(ReviewQueueQuerySchema, request);
  return listReviewQueue(actor, query);
}

const column = createColumnHelper<ReviewQueueItem>();

const columns = [
  column.accessor("priority", { header: "Priority", meta: { sortKey: "priority", firstOrder: "asc", isNumeric: true } }),
  column.accessor("dueAt", {
    header: "Due",
    cell: (info) => formatDateTime(info.getValue()),
    meta: { sortKey: "dueAt", firstOrder: "asc" },
  }),
  column.accessor("hoursLeft", {
    header: "SLA",
    cell: (info) => <SlaBadge band={info.row.original.slaBand} hoursLeft={info.getValue()} />,
  }),
  column.accessor("trigger", {
    header: "Trigger",
    cell: (info) => (info.getValue() === "contest" ? <span className="badge badge--info">customer contest</span> : info.getValue().replace(/_/g, " ")),
  }),
  column.accessor("regionCode", { header: "Region" }),
  column.accessor("decisionExternalId", {
    header: "Decision",
    cell: (info) => (
      <Link to={`/decisions/${info.row.original.decisionId}`}>
        <code>{info.getValue()}</code>
      </Link>
    ),
  }),
  column.accessor("decisionOutcome", { header: "Outcome", cell: (info) => <OutcomeBadge outcome={info.getValue()} /> }),
  column.accessor("status", { header: "Status", cell: (info) => <ReviewStatusBadge status={info.getValue()} /> }),
  column.accessor("claimedByName", {
    header: "Claimed by",
    cell: (info) => info.getValue() ?? <span className="muted">unclaimed</span>,
  }),
  column.accessor("openedAt", {
    header: "Opened",
    cell: (info) => formatDate(info.getValue()),
    meta: { sortKey: "openedAt", firstOrder: "asc" },
  }),
];

const slaRow: Record<string, string | undefined> = { overdue: "row--danger", due_soon: "row--warn" };

export default function ReviewQueueRoute() {
  const { reviews, paging, sort, regions } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Review queue</h1>
          <p>Decisions waiting for a human in {regions.join(", ")}: most urgent first, then by due time.</p>
        </div>
      </div>
      <FilterBar resetTo="/reviews">
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
      <DataTable
        label="Review queue"
        noun="reviews"
        columns={columns}
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
