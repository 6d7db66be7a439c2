import { getInputProps, getSelectProps, type FieldMetadata } from "@conform-to/react";
import { regionCodes, roleOptions } from "~/modules/access/schema";
import { Field } from "./field";

/** Name, role and regions: the part of a staff account an administrator sets. */
export function StaffFields({
  fields,
}: {
  fields: { displayName: FieldMetadata<string>; role: FieldMetadata<string>; regions: FieldMetadata<string[]> };
}) {
  const chosenRegions = new Set(fields.regions.initialValue ?? []);
  return (
    <>
      <Field label="Full name" meta={fields.displayName}>
        <input {...getInputProps(fields.displayName, { type: "text" })} autoComplete="off" />
      </Field>
      <Field label="Role" meta={fields.role} hint="What the person may do; see policies/access.yaml.">
        <select {...getSelectProps(fields.role)}>
          <option value="">Choose a role…</option>
          {roleOptions.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </Field>
      <fieldset aria-describedby={fields.regions.errors ? fields.regions.errorId : undefined}>
        <legend className="field">Regions</legend>
        <div className="checkbox-row">
          {regionCodes.map((code) => (
            <label key={code}>
              <input type="checkbox" name={fields.regions.name} value={code} defaultChecked={chosenRegions.has(code)} />
              {code}
            </label>
          ))}
        </div>
        <span className="hint">Customer data outside these regions stays invisible to the person. Administrators need none.</span>
        {fields.regions.errors ? (
          <span className="field-error" id={fields.regions.errorId} role="alert">
            {fields.regions.errors.join(" ")}
          </span>
        ) : null}
      </fieldset>
    </>
  );
}
