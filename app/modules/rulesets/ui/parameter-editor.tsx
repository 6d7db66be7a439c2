import { Form } from "@remix-run/react";
import { useMemo, useState } from "react";
import { parameterDisplay, parameterRows } from "../parameters";
import { validateRuleSetParameters, type ParameterIssue, type RegionRuleBounds } from "../schema";

// The draft editor: one input per parameter with its unit and bound, validated as the person types by
// the same function the server applies (schema.ts), and the diff against the active version updating
// with every keystroke. Nothing is saved until the whole draft is valid; the server checks again.

const labels = new Map(parameterDisplay.map((entry) => [entry.path, entry.label]));
const labelOf = (path: string) => labels.get(path) ?? path;

function valueAt(parameters: unknown, path: string): unknown {
  let value = parameters;
  for (const key of path.split(".")) value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

function toText(value: unknown) {
  if (Array.isArray(value)) return value.join(", ");
  return value === undefined || value === null ? "" : String(value);
}

/** The typed parameters object from the form's texts (a text that is not a number stays text, so it is reported). */
function toParameters(texts: Record<string, string>) {
  const parameters: Record<string, unknown> = {};
  for (const entry of parameterDisplay) {
    const text = texts[entry.path] ?? "";
    const value =
      entry.kind === "features"
        ? text.split(",").map((name) => name.trim()).filter(Boolean)
        : text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text;
    const [head, tail] = entry.path.split(".") as [string, string | undefined];
    if (tail) parameters[head] = { ...(parameters[head] as object), [tail]: value };
    else parameters[head] = value;
  }
  return parameters;
}

function unitOf(path: string, bounds: RegionRuleBounds) {
  const bound = bounds.bounds.find((entry) => entry.path === path);
  if (!bound) return "names, comma-separated";
  const unit = bound.unit === "currency" ? bounds.currency : bound.unit === "score" ? "score 0–1" : bound.unit;
  const range = [bound.min !== null ? `min ${bound.min}` : null, bound.max !== null ? `max ${bound.max}` : null].filter(Boolean).join(", ");
  return range ? `${unit} · ${range}` : unit;
}

export function ParameterEditor({
  versionId,
  revision,
  parameters,
  activeParameters,
  activeVersion,
  changeNote,
  bounds,
  serverIssues,
}: {
  versionId: string;
  revision: number;
  parameters: unknown;
  activeParameters: unknown;
  activeVersion: number | null;
  changeNote: string | null;
  bounds: RegionRuleBounds;
  serverIssues: ParameterIssue[];
}) {
  const [texts, setTexts] = useState(() => Object.fromEntries(parameterDisplay.map((entry) => [entry.path, toText(valueAt(parameters, entry.path))])));
  const [touched, setTouched] = useState(false);
  const typed = useMemo(() => toParameters(texts), [texts]);
  const validation = useMemo(() => validateRuleSetParameters(typed, bounds, labelOf), [typed, bounds]);
  const issues = touched ? (validation.success ? [] : validation.issues) : serverIssues;
  const issuesByPath = new Map<string, string[]>();
  for (const issue of issues) issuesByPath.set(issue.path, [...(issuesByPath.get(issue.path) ?? []), issue.message]);
  const diff = useMemo(() => (activeParameters ? parameterRows(typed, bounds.currency, activeParameters).filter((row) => row.isChanged) : []), [typed, activeParameters, bounds.currency]);

  return (
    <Form method="post" className="card section" aria-labelledby="editor-title" noValidate>
      <h2 id="editor-title">Edit draft</h2>
      <input type="hidden" name="intent" value="save" />
      <input type="hidden" name="revision" value={revision} />
      <input type="hidden" name="parameters" value={JSON.stringify(typed)} />
      <input type="hidden" name="versionId" value={versionId} />
      <div className="grid grid--2">
        <div>
          {parameterDisplay.map((entry) => {
            const id = `param-${entry.path.replace(".", "-")}`;
            const errors = issuesByPath.get(entry.path);
            return (
              <div className="field" key={entry.path}>
                <label htmlFor={id}>{entry.label}</label>
                <input
                  id={id}
                  name={`field-${entry.path}`}
                  inputMode={entry.kind === "features" ? "text" : "decimal"}
                  value={texts[entry.path] ?? ""}
                  aria-invalid={errors ? true : undefined}
                  aria-describedby={`${id}-hint${errors ? ` ${id}-error` : ""}`}
                  onChange={(event) => {
                    setTouched(true);
                    setTexts((current) => ({ ...current, [entry.path]: event.target.value }));
                  }}
                />
                <span className="hint" id={`${id}-hint`}>
                  {unitOf(entry.path, bounds)}
                  {entry.hint ? ` · ${entry.hint}` : ""}
                </span>
                {errors ? (
                  <span className="field-error" id={`${id}-error`} role="alert">
                    {errors.join(" ")}
                  </span>
                ) : null}
              </div>
            );
          })}
          <div className="field">
            <label htmlFor="change-note">Change note</label>
            <textarea id="change-note" name="changeNote" rows={3} defaultValue={changeNote ?? ""} />
          </div>
          {issuesByPath.get("parameters") ? <p className="field-error">{issuesByPath.get("parameters")!.join(" ")}</p> : null}
          <div className="actions">
            <button type="submit" className="button button--primary" disabled={touched && !validation.success}>
              Save draft
            </button>
            {touched && !validation.success ? <span className="muted"> Fix the fields marked above to save.</span> : null}
          </div>
        </div>
        <section aria-labelledby="live-diff-title" aria-live="polite">
          <h3 id="live-diff-title">Compared with the active version{activeVersion ? ` (v${activeVersion})` : ""}</h3>
          {!activeParameters ? (
            <p className="muted">No active version to compare with.</p>
          ) : diff.length === 0 ? (
            <p className="muted">Same parameters as the active version.</p>
          ) : (
            <ul className="live-diff">
              {diff.map((row) => (
                <li key={row.path}>
                  <strong>{row.label}</strong>: <span className="muted">{row.activeValue}</span> → <span>{row.value}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </Form>
  );
}
