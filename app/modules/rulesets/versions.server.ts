import crypto from "node:crypto";
import { TZDate } from "@date-fns/tz";
import type { Tx } from "~/utils/db.server";
import type { RuleSetVersionState } from "~/generated/prisma/enums";
import { findRegion } from "~/modules/access/regions.server";
import { canonicalJson } from "~/modules/audit/canonical-json";
import type { ParameterIssue } from "./schema";

// What the rule-set workflow steps share: the refusal they throw, the parameter hash a backtest is
// stored with, the diff an event records, region-local effective times and the row lock that
// serialises one region's versions across app instances (ADR 010).

/** A refused step: the person gets the message (and the fields at fault); nothing was written. */
export class RuleSetRefusedError extends Error {
  constructor(
    message: string,
    readonly kind: "invalid" | "stale" | "four_eyes" | "state" | "backtest" | "schedule" = "state",
    readonly issues: ParameterIssue[] = [],
  ) {
    super(message);
    this.name = "RuleSetRefusedError";
  }
}

/** SHA-256 of the parameters' canonical JSON: what a backtest, an approval and the API pin. */
export function parametersHash(parameters: unknown) {
  return crypto.createHash("sha256").update(canonicalJson(parameters)).digest("hex");
}

/** Changed leaves, by dotted path, between two parameter objects (for the ledger event). */
export function parameterDiff(before: unknown, after: unknown) {
  const flatten = (value: unknown, prefix = "", into = new Map<string, unknown>()) => {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, into);
    } else if (prefix) into.set(prefix, value);
    return into;
  };
  const a = flatten(before);
  const b = flatten(after);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    if (JSON.stringify(a.get(path)) !== JSON.stringify(b.get(path))) changes[path] = { from: a.get(path) ?? null, to: b.get(path) ?? null };
  }
  return changes;
}

export function timeZoneOf(regionCode: string) {
  const region = findRegion(regionCode);
  if (!region) throw new Error(`unknown region ${regionCode}`);
  return region.timeZone;
}

/** "2026-12-24T06:00" in the region's time zone → the instant; null when the text is not such a time. */
export function instantFromRegionLocal(regionCode: string, local: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!match) return null;
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [number, number, number, number, number];
  const instant = new Date(new TZDate(year, month - 1, day, hour, minute, 0, timeZoneOf(regionCode)).getTime());
  // A wall-clock time skipped by a daylight-saving change does not exist in the region.
  const back = regionLocalOf(regionCode, instant);
  return back === local ? instant : null;
}

/** The instant as "YYYY-MM-DDTHH:mm" wall-clock time in the region (the form's value). */
export function regionLocalOf(regionCode: string, instant: Date) {
  const zoned = new TZDate(instant.getTime(), timeZoneOf(regionCode));
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${zoned.getFullYear()}-${pad(zoned.getMonth() + 1)}-${pad(zoned.getDate())}T${pad(zoned.getHours())}:${pad(zoned.getMinutes())}`;
}

/**
 * Locks the region's rule set for the rest of the transaction: version numbering, approval scheduling
 * and activation of one region happen one at a time, on any app instance.
 */
export async function lockRuleSet(tx: Tx, ruleSetId: string) {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM rule_set WHERE id = ${ruleSetId}::uuid FOR UPDATE`;
  if (rows.length === 0) throw new Error(`rule set ${ruleSetId} does not exist`);
}

/** States in which a version has been, or is scheduled to be, in force. */
export const scheduledStates: RuleSetVersionState[] = ["approved", "active", "retired"];

export const stateWords: Record<RuleSetVersionState, string> = {
  draft: "a draft",
  submitted: "submitted for approval",
  approved: "approved and scheduled",
  active: "active",
  retired: "retired",
  withdrawn: "withdrawn",
  rejected: "rejected",
};
