import { Form, Link, useSearchParams, useSubmit } from "@remix-run/react";
import {
  flexRender,
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
  type RowData,
  type SortingState,
} from "@tanstack/react-table";
import { hrefWith, pagingParams, type SortState } from "./url-state";

// The one list component. The server pages, sorts and filters (manual mode); this renders the page it
// was given and turns sort headers, pager and filters into links and GET forms on the URL, so every
// view is shareable and works without JavaScript.

declare module "@tanstack/react-table" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ColumnMeta<TData extends RowData, TValue> {
    /** The `sort` value this column sorts by; columns without one are not sortable. */
    sortKey?: string;
    /** The order a first click on the header asks for. */
    firstOrder?: "asc" | "desc";
    isNumeric?: boolean;
  }
}

export type Paging =
  | { kind: "keyset"; nextCursor: string | null; previousCursor: string | null }
  | { kind: "offset"; page: number; pageCount: number; total: number };

export interface DataTableProps<T> {
  /** Names the table for screen readers. */
  label: string;
  // Column value types differ per column; tanstack's own helpers produce this shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  columns: ColumnDef<T, any>[];
  data: T[];
  getRowId: (row: T) => string;
  sort?: SortState;
  paging: Paging;
  /** What a page shows, e.g. "decisions" (used in the footer). */
  noun: string;
  empty: React.ReactNode;
  /** Extra class per row, e.g. a colour band. */
  rowClassName?: (row: T) => string | undefined;
}

export function DataTable<T>({ label, columns, data, getRowId, sort, paging, noun, empty, rowClassName }: DataTableProps<T>) {
  const [searchParams] = useSearchParams();
  const sorting: SortingState = sort ? [{ id: sort.key, desc: sort.order === "desc" }] : [];
  const table = useReactTable({
    data,
    columns,
    getRowId: (row) => getRowId(row),
    getCoreRowModel: getCoreRowModel(),
    manualPagination: true,
    manualSorting: true,
    manualFiltering: true,
    state: { sorting },
  });

  return (
    <div className="table-wrap">
      <table className="data data--list" aria-label={label}>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const meta = header.column.columnDef.meta;
                const content = header.isPlaceholder ? null : flexRender(header.column.columnDef.header, header.getContext());
                const sortKey = meta?.sortKey;
                const isSorted = sortKey !== undefined && sort?.key === sortKey;
                const ariaSort = isSorted ? (sort?.order === "asc" ? "ascending" : "descending") : undefined;
                return (
                  <th key={header.id} scope="col" className={meta?.isNumeric ? "num" : undefined} aria-sort={ariaSort}>
                    {sortKey ? (
                      <Link
                        to={hrefWith(searchParams, {
                          ...pagingParams,
                          sort: sortKey,
                          order: isSorted ? (sort?.order === "asc" ? "desc" : "asc") : (meta?.firstOrder ?? "desc"),
                        })}
                        preventScrollReset
                        title="Sort by this column"
                      >
                        {content}
                        <span className="sort-mark" aria-hidden="true">
                          {isSorted ? (sort?.order === "asc" ? " ▲" : " ▼") : " ↕"}
                        </span>
                      </Link>
                    ) : (
                      content
                    )}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="empty-row">
                {empty}
              </td>
            </tr>
          ) : (
            table.getRowModel().rows.map((row) => (
              <tr key={row.id} className={rowClassName?.(row.original)}>
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.id} className={cell.column.columnDef.meta?.isNumeric ? "num" : undefined}>
                    {flexRender(cell.column.columnDef.cell, cell.getContext())}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
      <Pager paging={paging} rowCount={data.length} noun={noun} searchParams={searchParams} />
    </div>
  );
}

function Pager({ paging, rowCount, noun, searchParams }: { paging: Paging; rowCount: number; noun: string; searchParams: URLSearchParams }) {
  let summary: string;
  let previous: string | null;
  let next: string | null;
  if (paging.kind === "keyset") {
    summary = rowCount === 0 ? `No ${noun}` : `${rowCount.toLocaleString("en")} ${noun} on this page`;
    previous = paging.previousCursor ? hrefWith(searchParams, { ...pagingParams, before: paging.previousCursor }) : null;
    next = paging.nextCursor ? hrefWith(searchParams, { ...pagingParams, after: paging.nextCursor }) : null;
  } else {
    summary =
      paging.total === 0
        ? `No ${noun}`
        : `${paging.total.toLocaleString("en")} ${noun} · page ${paging.page} of ${paging.pageCount}`;
    previous = paging.page > 1 ? hrefWith(searchParams, { ...pagingParams, page: paging.page - 1 === 1 ? null : paging.page - 1 }) : null;
    next = paging.page < paging.pageCount ? hrefWith(searchParams, { ...pagingParams, page: paging.page + 1 }) : null;
  }
  return (
    <nav className="table-footer" aria-label={`Pages of ${noun}`}>
      <span>{summary}</span>
      <span className="pager">
        {previous ? (
          <Link className="button button--ghost" to={previous} rel="prev">
            ← Previous
          </Link>
        ) : (
          <span className="button button--ghost is-disabled" aria-disabled="true">
            ← Previous
          </span>
        )}
        {next ? (
          <Link className="button button--ghost" to={next} rel="next">
            Next →
          </Link>
        ) : (
          <span className="button button--ghost is-disabled" aria-disabled="true">
            Next →
          </span>
        )}
      </span>
    </nav>
  );
}

/**
 * A list's filter bar: a GET form, so applying filters rewrites the URL (and drops the page/cursor,
 * which are not fields of the form). The current sort is carried along.
 */
export function FilterBar({ children, keep = ["sort", "order"], resetTo }: { children: React.ReactNode; keep?: string[]; resetTo: string }) {
  const [searchParams] = useSearchParams();
  const submit = useSubmit();
  // Without JavaScript the browser submits every field; with it, empty ones are left out of the URL.
  function submitWithoutEmpty(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(event.currentTarget)) {
      if (typeof value === "string" && value.trim() !== "") params.append(name, value.trim());
    }
    submit(params, { method: "get", preventScrollReset: true });
  }
  return (
    <Form key={searchParams.toString()} method="get" className="filters" role="search" preventScrollReset onSubmit={submitWithoutEmpty}>
      {keep.map((name) => {
        const value = searchParams.get(name);
        return value ? <input key={name} type="hidden" name={name} value={value} /> : null;
      })}
      {children}
      <div className="actions">
        <button type="submit" className="button">
          Apply
        </button>
        <Link to={resetTo} className="button button--ghost">
          Clear
        </Link>
      </div>
    </Form>
  );
}

/** A labelled select in a FilterBar; "" means no filter. */
export function SelectFilter({
  name,
  label,
  options,
  anyLabel = "Any",
}: {
  name: string;
  label: string;
  options: readonly (string | { value: string; label: string })[];
  anyLabel?: string;
}) {
  const [searchParams] = useSearchParams();
  const id = `filter-${name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} name={name} defaultValue={searchParams.get(name) ?? ""}>
        <option value="">{anyLabel}</option>
        {options.map((option) => {
          const value = typeof option === "string" ? option : option.value;
          const text = typeof option === "string" ? option.replace(/_/g, " ") : option.label;
          return (
            <option key={value} value={value}>
              {text}
            </option>
          );
        })}
      </select>
    </div>
  );
}

/** A labelled text or date input in a FilterBar. */
export function InputFilter({
  name,
  label,
  type = "text",
  placeholder,
  size,
}: {
  name: string;
  label: string;
  type?: "text" | "date" | "search" | "month";
  placeholder?: string;
  size?: number;
}) {
  const [searchParams] = useSearchParams();
  const id = `filter-${name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} name={name} type={type} placeholder={placeholder} size={size} defaultValue={searchParams.get(name) ?? ""} />
    </div>
  );
}
