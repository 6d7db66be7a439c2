import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { createColumnHelper } from "@tanstack/react-table";
import { ColumnChooser } from "~/components/data-table/column-chooser";
import { DataTable, FilterBar, InputFilter, SelectFilter } from "~/components/data-table/data-table";
import { hrefWith, pagingParams, parseListQuery } from "~/components/data-table/url-state";
import { ErrorPage } from "~/components/error-page";
import { requireActor, requirePermission } from "~/modules/access/actor.server";
import { listDecisions, type DecisionListItem } from "~/modules/decisions/decisions.server";
import { DecisionListQuerySchema, ageBands, decisionColumns, decisionKinds, decisionOutcomes, fraudOutcomeKinds, reviewStates, type DecisionColumn } from "~/modules/decisions/schema";
import { OutcomeBadge, ReviewStateBadge } from "~/modules/decisions/ui/badges";
import { formatDateTime, formatMoney } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "Decisions · Attest" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  // Settled before the address is parsed: a refused caller learns nothing from validation.
  requirePermission(actor, "read", "Decision");
  const query = parseListQuery(DecisionListQuerySchema, request);
  return { ...(await listDecisions(actor, query)), visibleColumns: query.cols ?? [...decisionColumns] };
}

const columnLabels: Record<DecisionColumn, string> = {
  decidedAt: "Decided at",
  externalId: "External id",
  customerReference: "Customer",
  regionCode: "Region",
  kind: "Kind",
  outcome: "Outcome",
  score: "Score",
  amount: "Amount",
  modelVersion: "Model",
  reviewState: "Review",
  principalReason: "Principal reason",
};

const column = createColumnHelper<DecisionListItem>();

const columns = [
  column.accessor("decidedAt", {
    header: "Decided at",
    cell: (info) => formatDateTime(info.getValue()),
    meta: { sortKey: "decidedAt" },
  }),
  column.accessor("externalId", {
    header: "External id",
    cell: (info) => (
      <Link to={`/decisions/${info.row.original.id}`}>
        <code>{info.getValue()}</code>
      </Link>
    ),
  }),
  column.accessor("regionCode", { header: "Region" }),
  column.accessor("customerReference", {
    header: "Customer",
    cell: (info) => {
      const reference = info.getValue();
      return reference ? <code>{reference}</code> : <span className="muted">—</span>;
    },
  }),
  column.accessor("kind", { header: "Kind" }),
  column.accessor("outcome", { header: "Outcome", cell: (info) => <OutcomeBadge outcome={info.getValue()} /> }),
  column.accessor("score", {
    header: "Score",
    cell: (info) => info.getValue().toFixed(3),
    meta: { isNumeric: true, sortKey: "score" },
  }),
  column.accessor("amount", {
    header: "Amount",
    cell: (info) => formatMoney(info.getValue(), info.row.original.currency),
    meta: { isNumeric: true, sortKey: "amount" },
  }),
  column.accessor("modelVersion", {
    header: "Model",
    cell: (info) => (
      <span title={info.row.original.modelName}>
        {info.row.original.modelName} <span className="muted">{info.getValue()}</span>
      </span>
    ),
  }),
  column.accessor("reviewState", { header: "Review", cell: (info) => <ReviewStateBadge state={info.getValue()} /> }),
  column.accessor("principalReason", {
    header: "Principal reason",
    cell: (info) => {
      const code = info.getValue();
      return code ? <code>{code}</code> : <span className="muted">—</span>;
    },
  }),
];

export default function DecisionsRoute() {
  const { decisions, paging, sort, options, canExport, visibleColumns } = useLoaderData<typeof loader>();
  const [searchParams] = useSearchParams();
  const customer = searchParams.get("customer");
  const shownColumns = columns.filter((definition) => visibleColumns.includes((definition as { accessorKey?: string }).accessorKey as DecisionColumn));
  const exportHref = `/decisions/export${hrefWith(searchParams, { ...pagingParams, cols: null })}`;
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Decisions</h1>
          <p>Automated credit, limit and fraud decisions in {options.regions.join(", ")}. Sort by time, score or amount; every filter is in the address, so a view can be shared.</p>
        </div>
      </div>
      {customer ? (
        <div className="alert alert--info">
          Showing the decisions of one customer. <Link to={`/customers/${customer}`}>Open the customer</Link> ·{" "}
          <Link to="/decisions">Show all decisions</Link>
        </div>
      ) : null}
      <FilterBar resetTo="/decisions" keep={["sort", "order", "customer", "cols"]}>
        {options.regions.length > 1 ? <SelectFilter name="region" label="Region" options={options.regions} anyLabel="All" /> : null}
        <SelectFilter name="kind" label="Kind" options={decisionKinds} />
        <SelectFilter name="outcome" label="Outcome" options={decisionOutcomes} />
        <SelectFilter name="review" label="Review state" options={reviewStates} />
        <SelectFilter name="model" label="Model version" options={options.modelVersions} />
        <SelectFilter name="reason" label="Reason code" options={options.reasonCodes} />
        <SelectFilter name="ageBand" label="Age band" options={ageBands} />
        <SelectFilter name="fraudOutcome" label="Fraud outcome" options={fraudOutcomeKinds} />
        <SelectFilter name="delinquency" label="Ever past due" options={[{ value: "30", label: "30+ days" }, { value: "90", label: "90+ days" }]} />
        <SelectFilter name="ruleSet" label="Rule-set version" options={[{ value: "not_in_force", label: "not in force when decided" }]} />
        <InputFilter name="scoreMin" label="Score from" placeholder="0.00" size={6} />
        <InputFilter name="scoreMax" label="Score to" placeholder="1.00" size={6} />
        <InputFilter name="amountMin" label="Amount from" placeholder="0" size={8} />
        <InputFilter name="amountMax" label="Amount to" placeholder="any" size={8} />
        <InputFilter name="customerRef" label="Customer reference" type="search" placeholder="CUS-SE-000001" size={16} />
        <InputFilter name="from" label="Decided from" type="date" />
        <InputFilter name="to" label="Decided to" type="date" />
      </FilterBar>
      <div className="toolbar">
        <ColumnChooser columns={decisionColumns} visible={visibleColumns} labels={columnLabels} />
        {canExport ? (
          <a className="button button--ghost" href={exportHref} download>
            Export CSV
          </a>
        ) : null}
      </div>
      <DataTable
        label="Decisions"
        noun="decisions"
        columns={shownColumns}
        data={decisions}
        getRowId={(row) => row.id}
        sort={sort}
        paging={paging}
        empty="No decisions match these filters."
      />
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
