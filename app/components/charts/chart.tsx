import { useNavigate } from "@remix-run/react";
import { useId, useRef, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { chartCsv, formatValue, type ChartSpec } from "./chart-spec";

// The one chart of every dashboard (STYLE.md): Recharts with a colour-blind-safe palette (Okabe–Ito)
// and distinct dash patterns, tooltips with formatted values, a table view and CSV of exactly the
// plotted rows, SVG and PNG download, and a click on a point or bar that opens the decision explorer
// filtered to that segment (the same links the table view offers without a mouse).

const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000", "#882255", "#44AA99", "#999933", "#6699CC", "#AA4499"];
const DASHES = ["", "6 3", "2 2", "8 3 2 3"];
const TONE = { amber: "#B45F06", red: "#B3261E" } as const;

function download(name: string, blob: Blob) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function svgText(container: HTMLElement | null) {
  const svg = container?.querySelector("svg.recharts-surface");
  if (!svg) return null;
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  copy.setAttribute("style", "font-family: system-ui, sans-serif; background: #fff");
  return { text: new XMLSerializer().serializeToString(copy), width: svg.clientWidth, height: svg.clientHeight };
}

export function Chart({ spec, height = 280 }: { spec: ChartSpec; height?: number }) {
  const navigate = useNavigate();
  const [isTable, setIsTable] = useState(false);
  const container = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const drawn = spec.series.filter((series) => !series.isContext);
  const axisFormat = drawn[0]?.format ?? "count";
  // A chart whose drawn series are all empty (no rate defined anywhere) shows its message instead.
  const hasData = spec.rows.some((row) => drawn.some((series) => row[series.key] !== null && row[series.key] !== undefined));
  const linkOf = (index: number, key: string) => spec.links?.[index]?.[key] ?? null;

  function downloadSvg() {
    const svg = svgText(container.current);
    if (svg) download(`${spec.id}.svg`, new Blob([svg.text], { type: "image/svg+xml" }));
  }
  function downloadPng() {
    const svg = svgText(container.current);
    if (!svg) return;
    const image = new Image();
    image.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = svg.width * 2;
      canvas.height = svg.height * 2;
      const context = canvas.getContext("2d")!;
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.scale(2, 2);
      context.drawImage(image, 0, 0);
      canvas.toBlob((blob) => blob && download(`${spec.id}.png`, blob), "image/png");
    };
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg.text)}`;
  }

  const references = (spec.referenceLines ?? []).map((line) => (
    <ReferenceLine key={line.label} y={line.value} stroke={TONE[line.tone]} strokeDasharray="4 4" label={{ value: line.label, position: "insideTopRight", fill: TONE[line.tone], fontSize: 12 }} />
  ));
  const axes = (
    <>
      <CartesianGrid strokeDasharray="3 3" stroke="#d8dde3" />
      <XAxis dataKey={spec.x.key} tick={{ fontSize: 12 }} label={spec.type === "line" && spec.x.key === "mob" ? { value: spec.x.label, position: "insideBottom", offset: -2, fontSize: 12 } : undefined} />
      <YAxis allowDecimals={axisFormat !== "count"} tick={{ fontSize: 12 }} tickFormatter={(value: number) => formatValue(value, axisFormat === "money" ? "count" : axisFormat, undefined)} width={72} />
      <Tooltip content={(props) => <TooltipBody spec={spec} {...(props as TooltipProps)} />} />
      <Legend wrapperStyle={{ fontSize: 12 }} />
      {references}
    </>
  );

  return (
    <figure className="card chart" aria-labelledby={titleId} data-chart={spec.id}>
      <div className="chart-header">
        <div>
          <h2 id={titleId}>{spec.title}</h2>
          <p className="muted">{spec.description}</p>
        </div>
        <div className="chart-tools" role="group" aria-label={`${spec.title}: views and downloads`}>
          <button type="button" className="button button--ghost" aria-pressed={isTable} onClick={() => setIsTable(!isTable)}>
            {isTable ? "Chart" : "Table"}
          </button>
          <button type="button" className="button button--ghost" onClick={() => download(`${spec.id}.csv`, new Blob([chartCsv(spec)], { type: "text/csv" }))}>
            CSV
          </button>
          <button type="button" className="button button--ghost" onClick={downloadSvg} disabled={isTable || !hasData}>
            SVG
          </button>
          <button type="button" className="button button--ghost" onClick={downloadPng} disabled={isTable || !hasData}>
            PNG
          </button>
        </div>
      </div>
      {!hasData ? (
        <p className="empty">{spec.emptyMessage ?? "No data for this period and region."}</p>
      ) : isTable ? (
        <ChartTable spec={spec} />
      ) : (
        <div ref={container} className="chart-canvas" style={{ height }} role="img" aria-label={`${spec.title}. Use the Table button for the values and links.`}>
          <ResponsiveContainer width="100%" height="100%">
            {spec.type === "line" ? (
              <LineChart data={spec.rows} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
                {axes}
                {drawn.map((series, index) => (
                  <Line
                    key={series.key}
                    dataKey={series.key}
                    name={series.label}
                    stroke={PALETTE[index % PALETTE.length]}
                    strokeDasharray={DASHES[index % DASHES.length]}
                    strokeWidth={2}
                    dot={{ r: 3 }}
                    connectNulls={false}
                    isAnimationActive={false}
                    activeDot={{
                      r: 6,
                      cursor: "pointer",
                      onClick: (_event: unknown, point: unknown) => {
                        const link = linkOf((point as { index: number }).index, series.key);
                        if (link) navigate(link);
                      },
                    }}
                  />
                ))}
              </LineChart>
            ) : (
              <BarChart data={spec.rows} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
                {axes}
                {drawn.map((series, index) => (
                  <Bar
                    key={series.key}
                    dataKey={series.key}
                    name={series.label}
                    fill={PALETTE[index % PALETTE.length]}
                    stackId={spec.type === "stacked-bar" ? "stack" : undefined}
                    isAnimationActive={false}
                    cursor="pointer"
                    onClick={(_data: unknown, rowIndex: number) => {
                      const link = linkOf(rowIndex, series.key);
                      if (link) navigate(link);
                    }}
                  />
                ))}
              </BarChart>
            )}
          </ResponsiveContainer>
        </div>
      )}
    </figure>
  );
}

interface TooltipProps {
  active?: boolean;
  label?: string | number;
  payload?: readonly { payload?: unknown }[];
}

/** Tooltip listing every series of the hovered row, drawn or context, formatted. */
function TooltipBody({ spec, active, label, payload }: { spec: ChartSpec } & TooltipProps) {
  const row = payload?.[0]?.payload as Record<string, string | number | null> | undefined;
  if (!active || !row) return null;
  return (
    <div className="chart-tooltip">
      <strong>
        {spec.x.label}: {label}
      </strong>
      <dl>
        {spec.series.map((series) => (
          <div key={series.key}>
            <dt>{series.label}</dt>
            <dd>{formatValue(row[series.key] ?? null, series.format, spec.currency)}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

function ChartTable({ spec }: { spec: ChartSpec }) {
  return (
    <div className="table-scroll">
      <table className="data">
        <caption className="visually-hidden">{spec.title}</caption>
        <thead>
          <tr>
            <th scope="col">{spec.x.label}</th>
            {spec.series.map((series) => (
              <th key={series.key} scope="col" className="num">
                {series.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {spec.rows.map((row, index) => (
            <tr key={String(row[spec.x.key] ?? index)}>
              <th scope="row">{row[spec.x.key]}</th>
              {spec.series.map((series) => {
                const text = formatValue(row[series.key] ?? null, series.format, spec.currency);
                const link = spec.links?.[index]?.[series.key];
                return (
                  <td key={series.key} className="num">
                    {link ? <a href={link}>{text}</a> : text}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
