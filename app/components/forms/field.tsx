import type { FieldMetadata } from "@conform-to/react";

/** A labelled form field with its hint and the server's or browser's error for it. */
export function Field({
  label,
  hint,
  meta,
  children,
}: {
  label: string;
  hint?: string;
  meta: Pick<FieldMetadata<unknown>, "id" | "errorId" | "errors" | "descriptionId">;
  children: React.ReactNode;
}) {
  return (
    <div className="field">
      <label htmlFor={meta.id}>{label}</label>
      {children}
      {hint ? (
        <span className="hint" id={meta.descriptionId}>
          {hint}
        </span>
      ) : null}
      {meta.errors ? (
        <span className="field-error" id={meta.errorId} role="alert">
          {meta.errors.join(" ")}
        </span>
      ) : null}
    </div>
  );
}

export function FormErrors({ errors, id }: { errors?: string[] | null; id?: string }) {
  if (!errors || errors.length === 0) return null;
  return (
    <div className="alert alert--error" role="alert" id={id}>
      {errors.join(" ")}
    </div>
  );
}

/** The outcome of a form that succeeded, announced to assistive technology. */
export function FormNotice({ notice }: { notice?: string | null }) {
  if (!notice) return null;
  return (
    <div className="alert alert--ok" role="status">
      {notice}
    </div>
  );
}
