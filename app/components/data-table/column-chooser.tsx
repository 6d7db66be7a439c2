import { Link, useSearchParams } from "@remix-run/react";
import { hrefWith } from "./url-state";

// Which columns a list shows, kept in the URL (`cols=a,b,c`) like every other part of its state, so a
// shared link opens the same view. Each column is a toggle link: works without JavaScript.

export function ColumnChooser<C extends string>({ columns, visible, labels }: { columns: readonly C[]; visible: readonly C[]; labels: Record<C, string> }) {
  const [searchParams] = useSearchParams();
  const isDefault = visible.length === columns.length;
  function toggled(column: C) {
    const next = visible.includes(column) ? visible.filter((item) => item !== column) : columns.filter((item) => item === column || visible.includes(item));
    if (next.length === 0) return null;
    return hrefWith(searchParams, { cols: next.length === columns.length ? null : next.join(",") });
  }
  return (
    <details className="column-chooser">
      <summary>
        Columns{isDefault ? "" : ` (${visible.length} of ${columns.length})`}
      </summary>
      <ul aria-label="Show or hide columns">
        {columns.map((column) => {
          const isShown = visible.includes(column);
          const href = toggled(column);
          return (
            <li key={column}>
              {href ? (
                <Link to={href} preventScrollReset replace aria-label={`${isShown ? "Hide" : "Show"} the ${labels[column]} column`}>
                  <span aria-hidden="true">{isShown ? "☑" : "☐"}</span> {labels[column]}
                </Link>
              ) : (
                <span className="muted" aria-disabled="true">
                  <span aria-hidden="true">☑</span> {labels[column]} (last column)
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </details>
  );
}
