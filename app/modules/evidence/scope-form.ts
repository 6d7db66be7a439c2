import { includeKeys } from "./schema";

// The scope picker's form fields as the scope object PackScopeSchema validates (the service validates
// it; this only reshapes). Empty selects mean "any"; an empty sample size means no sample.

export function scopeFromForm(form: FormData) {
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  };
  const sampleSize = text("sampleSize");
  return {
    from: text("from"),
    to: text("to"),
    regions: form.getAll("regions").map(String),
    include: Object.fromEntries(includeKeys.map((key) => [key, form.get(`include.${key}`) === "on"])),
    decisionFilter: { kind: text("kind"), outcome: text("outcome"), review: text("review") },
    sample:
      sampleSize === undefined
        ? null
        : {
            size: /^\d+$/.test(sampleSize) ? Number(sampleSize) : (sampleSize as unknown as number),
            seed: text("sampleSeed") ?? "",
            outcome: text("sampleOutcome"),
            review: text("sampleReview"),
          },
  };
}
