import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { createColumnHelper } from "@tanstack/react-table";
import { DataTable, FilterBar, InputFilter, SelectFilter } from "~/components/data-table/data-table";
import { parseListQuery } from "~/components/data-table/url-state";
import { ErrorPage } from "~/components/error-page";
import { requireActor } from "~/modules/access/actor.server";
import { listAuditEvents, type AuditEventListItem } from "~/modules/audit/audit-events.server";
import { AuditEventListQuerySchema } from "~/modules/audit/schema";
import { SubjectLink } from "~/modules/audit/ui/subject-link";
import { formatDateTime } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "Audit ledger · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const query = parseListQuery(AuditEventListQuerySchema, request);
  return {
    ...(await listAuditEvents(actor, query)),
    can: { export: actor.ability.can("export", "AuditEvent"), verify: actor.ability.can("verify", "Ledger") },
  };
}

const column = createColumnHelper<AuditEventListItem>();

const columns = [
  column.accessor("seq", {
    header: "Seq",
    cell: (info) => <Link to={`/audit/${info.getValue()}`}>{info.getValue()}</Link>,
    meta: { isNumeric: true },
  }),
  column.accessor("occurredAt", { header: "Time", cell: (info) => formatDateTime(info.getValue()) }),
  column.accessor("actorLabel", {
    header: "Actor",
    cell: (info) => info.getValue() ?? <span className="muted">{info.row.original.actorType}</span>,
  }),
  column.accessor("actorRole", {
    header: "Role",
    cell: (info) => info.getValue()?.replace(/_/g, " ") ?? <span className="muted">—</span>,
  }),
  column.accessor("action", { header: "Action", cell: (info) => <code>{info.getValue()}</code> }),
  column.accessor("subjectType", { header: "Subject" }),
  column.accessor("subjectId", {
    header: "Subject id",
    cell: (info) => <SubjectLink subjectType={info.row.original.subjectType} subjectId={info.getValue()} short />,
  }),
  column.accessor("regionCode", { header: "Region", cell: (info) => info.getValue() ?? <span className="muted">—</span> }),
];

export default function AuditLedgerRoute() {
  const { events, paging, options, can } = useLoaderData<typeof loader>();
  const [searchParams] = useSearchParams();
  const exportQuery = new URLSearchParams([...searchParams].filter(([key]) => key !== "after" && key !== "before")).toString();
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Audit ledger</h1>
          <p>Every recorded action you may read, newest first. Events are append-only and numbered without gaps.</p>
        </div>
        <div className="actions">
          {can.export ? (
            <>
              <a className="button button--ghost" href={`/audit/export?${exportQuery}&format=csv`} download>
                Export CSV
              </a>
              <a className="button button--ghost" href={`/audit/export?${exportQuery}&format=jsonl`} download>
                Export JSONL
              </a>
            </>
          ) : null}
          {can.verify ? (
            <Link className="button" to="/audit/verify">
              Verify the ledger
            </Link>
          ) : null}
        </div>
      </div>
      <FilterBar resetTo="/audit" keep={["subjectId"]}>
        <InputFilter name="actor" label="Actor email contains" type="search" size={18} />
        <SelectFilter name="action" label="Action" options={options.actions.map((action) => ({ value: action, label: action }))} />
        <SelectFilter name="subject" label="Subject type" options={options.subjectTypes.map((type) => ({ value: type, label: type }))} />
        {options.regions.length > 1 ? <SelectFilter name="region" label="Region" options={options.regions} anyLabel="All" /> : null}
        <InputFilter name="from" label="From" type="date" />
        <InputFilter name="to" label="To" type="date" />
      </FilterBar>
      <DataTable
        label="Audit events"
        noun="events"
        columns={columns}
        data={events}
        getRowId={(row) => row.seq}
        paging={paging}
        empty="No events match these filters."
      />
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
