// How a reason code moved the customer's score, in words (GDPR Art. 15(1)(h), DESIGN.md §8). A reason's
// `contribution` is its weight in the adverse direction (docs/ingestion.md): positive means it counted
// against the customer — it pulled the score down, and a lower score means a higher expected risk —
// negative means it counted in their favour, zero means the engine sent the code without a weight.

export type ReasonDirection = "lowered_score" | "raised_score" | "not_reported";

export function reasonDirectionOf(contribution: number): ReasonDirection {
  return contribution > 0 ? "lowered_score" : contribution < 0 ? "raised_score" : "not_reported";
}

/** The sentence the access export shows for one reason. */
export function reasonEffectOf(contribution: number) {
  const weight = Math.abs(contribution).toFixed(3);
  switch (reasonDirectionOf(contribution)) {
    case "lowered_score":
      return `counted against you: it lowered your score (weight ${weight})`;
    case "raised_score":
      return `counted in your favour: it raised your score (weight ${weight})`;
    case "not_reported":
      return "counted against you: it lowered your score (its weight was not reported)";
  }
}
