import { decisionKinds, decisionOutcomes, reviewStates } from "~/modules/decisions/schema";
import { includeKeys, includeOptions } from "../schema";

// The scope picker's fields (issue 11): period, regions within the requester's own, what to include,
// the explorer's decision filters and an optional audit sample; the estimate of rows is asked for
// before the pack is started. After a round trip the fields keep what was sent.

type Result =
  | { kind: "estimate"; estimate: { counts: Record<string, number>; total: number }; values: Record<string, string[]> }
  | { kind: "invalid"; field: string; message: string; values: Record<string, string[]> }
  | undefined;

const countLabels: Record<string, string> = {
  decisions: "Decisions",
  reviews: "Reviews",
  contests: "Contests",
  privacyRequests: "Privacy requests",
  ruleSets: "Rule-set versions",
  staffChanges: "Staff changes",
  events: "Ledger events (with proofs)",
};

function FieldError({ result, field }: { result: Result; field: string }) {
  if (result?.kind !== "invalid" || !(result.field === field || result.field.startsWith(`${field}.`))) return null;
  return (
    <span className="field-error" role="alert" id={`${field}-error`}>
      {result.message}
    </span>
  );
}

export function ScopePicker({ regions, today, result, isBusy }: { regions: string[]; today: string; result: Result; isBusy: boolean }) {
  const values = result?.values;
  const value = (name: string, fallback = "") => values?.[name]?.[0] ?? fallback;
  const isChecked = (name: string, fallback: boolean) => (values ? (values[name] ?? []).length > 0 : fallback);
  const quarterStart = `${today.slice(0, 4)}-${String(Math.floor((Number(today.slice(5, 7)) - 1) / 3) * 3 + 1).padStart(2, "0")}-01`;
  const select = (name: string, label: string, options: readonly string[]) => (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      <select id={name} name={name} defaultValue={value(name)}>
        <option value="">any</option>
        {options.map((option) => (
          <option key={option} value={option}>
            {option.replace(/_/g, " ")}
          </option>
        ))}
      </select>
      <FieldError result={result} field={name === "kind" || name === "outcome" || name === "review" ? `decisionFilter.${name}` : name} />
    </div>
  );
  return (
    <>
      {result?.kind === "invalid" && !["from", "to", "regions", "include", "decisionFilter", "sample"].some((field) => result.field.startsWith(field)) ? (
        <div className="alert alert--error" role="alert">
          {result.message}
        </div>
      ) : null}
      <div className="grid grid--2">
        <div className="field">
          <label htmlFor="from">From (UTC day)</label>
          <input id="from" name="from" type="date" required defaultValue={value("from", quarterStart)} aria-describedby="from-error" />
          <FieldError result={result} field="from" />
        </div>
        <div className="field">
          <label htmlFor="to">To (UTC day, included)</label>
          <input id="to" name="to" type="date" required defaultValue={value("to", today)} aria-describedby="to-error" />
          <FieldError result={result} field="to" />
        </div>
      </div>
      <fieldset>
        <legend>Regions (yours: {regions.join(", ") || "none"})</legend>
        <div className="checkbox-row">
          {regions.map((region) => (
            <label key={region}>
              <input type="checkbox" name="regions" value={region} defaultChecked={values ? (values.regions ?? []).includes(region) : true} /> {region}
            </label>
          ))}
        </div>
        <FieldError result={result} field="regions" />
      </fieldset>
      <fieldset>
        <legend>Include</legend>
        <div className="checkbox-row" style={{ flexDirection: "column", alignItems: "flex-start" }}>
          {includeKeys.map((key) => (
            <label key={key}>
              <input type="checkbox" name={`include.${key}`} defaultChecked={isChecked(`include.${key}`, key !== "ledger")} /> {includeOptions[key]}
            </label>
          ))}
        </div>
        <FieldError result={result} field="include" />
      </fieldset>
      <fieldset>
        <legend>Decisions: the explorer's filters</legend>
        <div style={{ display: "flex", flexWrap: "wrap", gap: "0 0.75rem", alignItems: "flex-end" }}>
          {select("kind", "Kind", decisionKinds)}
          {select("outcome", "Outcome", decisionOutcomes)}
          {select("review", "Review state", reviewStates)}
        </div>
      </fieldset>
      <fieldset>
        <legend>Audit sample (optional)</legend>
        <p className="muted" style={{ marginTop: 0 }}>
          Freezes a population — the decisions above, narrowed below — into the pack and draws a reproducible random sample from it; the seed and the method go in the manifest.
        </p>
        <div style={{ display: "flex", flexWrap: "wrap", gap: "0 0.75rem", alignItems: "flex-end" }}>
          {select("sampleOutcome", "Population outcome", decisionOutcomes)}
          {select("sampleReview", "Population review state", reviewStates)}
          <div className="field">
            <label htmlFor="sampleSize">Sample size</label>
            <input id="sampleSize" name="sampleSize" inputMode="numeric" placeholder="none" defaultValue={value("sampleSize")} style={{ width: "7rem" }} />
          </div>
          <div className="field">
            <label htmlFor="sampleSeed">Seed</label>
            <input id="sampleSeed" name="sampleSeed" defaultValue={value("sampleSeed", `audit-${today}`)} style={{ width: "12rem" }} />
          </div>
        </div>
        <FieldError result={result} field="sample" />
      </fieldset>
      {result?.kind === "estimate" ? (
        <div className="alert alert--info" role="status" aria-live="polite">
          <strong>About {result.estimate.total.toLocaleString("en")} rows.</strong>{" "}
          {Object.entries(result.estimate.counts)
            .filter(([, count]) => count > 0)
            .map(([key, count]) => `${countLabels[key] ?? key}: ${count.toLocaleString("en")}`)
            .join(" · ") || "Nothing matches this scope."}
        </div>
      ) : null}
      <div style={{ display: "flex", gap: "0.75rem" }}>
        <button type="submit" name="intent" value="estimate" className="button button--ghost" disabled={isBusy}>
          Estimate rows
        </button>
        <button type="submit" name="intent" value="request" className="button" disabled={isBusy}>
          Build the pack
        </button>
      </div>
    </>
  );
}
