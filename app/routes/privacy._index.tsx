import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { createColumnHelper } from "@tanstack/react-table";
import { DataTable, FilterBar, InputFilter, SelectFilter } from "~/components/data-table/data-table";
import { hrefWith, pagingParams, parseListQuery } from "~/components/data-table/url-state";
import { ErrorPage } from "~/components/error-page";
import { requireActor } from "~/modules/access/actor.server";
import { listPrivacyRequests, type PrivacyRequestListItem } from "~/modules/privacy/privacy-requests.server";
import { PrivacyRequestListQuerySchema, privacyRequestStates, privacyRequestTypes } from "~/modules/privacy/schema";
import { DaysLeftBadge, IdentityBadge, PrivacyStateBadge } from "~/modules/privacy/ui/badges";

export const meta: MetaFunction = () => [{ title: "Privacy requests · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const query = parseListQuery(PrivacyRequestListQuerySchema, request);
  return listPrivacyRequests(actor, query);
}

const column = createColumnHelper<PrivacyRequestListItem>();

const columns = [
  column.accessor("reference", {
    header: "Reference",
    cell: (info) => (
      <>
        <Link to={`/privacy/${info.row.original.id}`}>{info.getValue()}</Link>
        {info.row.original.isDuplicate ? (
          <>
            {" "}
            <span className="badge badge--warn">duplicate</span>
          </>
        ) : null}
      </>
    ),
    meta: { sortKey: "reference", firstOrder: "asc" },
  }),
  column.accessor("type", { header: "Type" }),
  column.accessor("regionCode", { header: "Region" }),
  column.accessor("regime", { header: "Regime", cell: (info) => info.getValue().replace(/_/g, " ").toUpperCase() }),
  column.accessor("state", {
    header: "State",
    cell: (info) => (
      <>
        <PrivacyStateBadge state={info.getValue()} />
        {info.row.original.pendingAction === "refusal" ? <span className="muted"> (refusal)</span> : null}
      </>
    ),
  }),
  column.accessor("identityState", { header: "Identity", cell: (info) => <IdentityBadge state={info.getValue()} /> }),
  column.accessor("receivedAt", {
    header: "Received",
    cell: (info) => info.row.original.receivedDay,
    meta: { sortKey: "receivedAt" },
  }),
  column.accessor("dueAt", {
    header: "Due",
    // The due day in the region's own calendar (the deadline is the end of that day there).
    cell: (info) => {
      const { extendedDueAt, dueDay } = info.row.original;
      return extendedDueAt ? (
        <span title="Extended with a recorded reason">
          {dueDay} <span className="badge badge--info">extended</span>
        </span>
      ) : (
        dueDay
      );
    },
    meta: { sortKey: "dueAt", firstOrder: "asc" },
  }),
  column.accessor("daysLeft", {
    header: "Days left",
    cell: (info) => <DaysLeftBadge band={info.row.original.band} daysLeft={info.getValue()} />,
  }),
  column.accessor("assigneeName", {
    header: "Assignee",
    cell: (info) => info.getValue() ?? <span className="muted">unassigned</span>,
  }),
];

export default function PrivacyRequestsRoute() {
  const { requests, paging, sort, hiddenUnverified, regions, canCreate, canExport } = useLoaderData<typeof loader>();
  const [searchParams] = useSearchParams();
  const isShowingUnverified = searchParams.get("unverified") === "show";
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Privacy requests</h1>
          <p>Data-protection requests in {regions.join(", ")}, by statutory due date.</p>
        </div>
        <div className="actions">
          {canExport ? (
            <a className="button button--ghost" href={`/privacy/export${hrefWith(searchParams, pagingParams)}`} download>
              Export CSV
            </a>
          ) : null}
          {canCreate ? (
            <Link className="button" to="/privacy/new">
              New request
            </Link>
          ) : null}
        </div>
      </div>
      <FilterBar resetTo="/privacy" keep={["sort", "order", "unverified"]}>
        <InputFilter name="q" label="Reference" type="search" placeholder="PR-…" size={14} />
        <SelectFilter
          name="status"
          label="Open or closed"
          options={[
            { value: "closed", label: "Closed" },
            { value: "all", label: "All" },
          ]}
          anyLabel="Open"
        />
        <SelectFilter name="state" label="State" options={privacyRequestStates} />
        <SelectFilter name="type" label="Type" options={privacyRequestTypes} />
        {regions.length > 1 ? <SelectFilter name="region" label="Region" options={regions} anyLabel="All" /> : null}
        <SelectFilter
          name="assignee"
          label="Assignee"
          options={[
            { value: "me", label: "Assigned to me" },
            { value: "none", label: "Unassigned" },
          ]}
        />
      </FilterBar>
      <p className="list-note">
        {isShowingUnverified ? (
          <>
            Showing requests whose identity is not yet verified.{" "}
            <Link to={hrefWith(searchParams, { ...pagingParams, unverified: null })}>Hide unverified requests</Link>
          </>
        ) : (
          <>
            {hiddenUnverified > 0
              ? `${hiddenUnverified.toLocaleString("en")} ${hiddenUnverified === 1 ? "request" : "requests"} whose identity is not yet verified hidden. `
              : "Requests whose identity is not yet verified are hidden. "}
            <Link to={hrefWith(searchParams, { ...pagingParams, unverified: "show" })}>Show unverified requests</Link>
          </>
        )}
      </p>
      <DataTable
        label="Privacy requests"
        noun="requests"
        columns={columns}
        data={requests}
        getRowId={(row) => row.id}
        rowClassName={(row) => (row.band === "overdue" || row.band === "red" ? "row--danger" : row.band === "amber" ? "row--warn" : undefined)}
        sort={sort}
        paging={paging}
        empty="No privacy requests match these filters."
      />
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
