import { validateParametersForRegion } from "~/modules/rulesets/bounds.server";
import type { RuleSetParameters } from "~/modules/rulesets/schema";
import type { RuleSetVersionState } from "~/generated/prisma/enums";
import { dayMs, type DecisionCalendar } from "./calendar";
import type { MarketProfile } from "./markets";
import type { Random } from "./random";

// Each region's rule set with a version history: two retired versions, the active one (whose
// parameters decided the recent synthetic decisions), a version submitted for approval and a draft.
// The UK additionally has an approved version waiting for its effective date. Every version's
// parameters pass the same schema and regional bounds the app enforces.

export interface RuleSetVersionPlan {
  id: string;
  ruleSetId: string;
  regionCode: string;
  version: number;
  state: RuleSetVersionState;
  parameters: RuleSetParameters;
  changeNote: string;
  authorEmail: string;
  createdAt: number;
  submittedAt: number | null;
  approverEmail: string | null;
  approvedAt: number | null;
  effectiveFrom: number | null;
  retiredAt: number | null;
}

export interface RuleSetPlan {
  id: string;
  regionCode: string;
  name: string;
  createdAt: number;
  versions: RuleSetVersionPlan[];
}

function withBands(parameters: RuleSetParameters, approveAbove: number, declineBelow: number): RuleSetParameters {
  return { ...parameters, scoreBands: { approveAbove, declineBelow } };
}

function roundTo(value: number, step: number) {
  return Math.round(value / step) * step;
}

/** Who drafts a region's rule sets and who approves them — never the same person (four-eyes). */
function governanceFor(regionCode: string) {
  if (regionCode === "SE") return { author: "ops.se@attest.test", approver: "compliance@attest.test" };
  if (regionCode === "UK") return { author: "ops.uk@attest.test", approver: "compliance2@attest.test" };
  return { author: "compliance@attest.test", approver: "compliance2@attest.test" };
}

export function planRuleSet(market: MarketProfile, calendar: DecisionCalendar, random: Random): RuleSetPlan {
  const active = market.activeRuleSet;
  const bands = active.scoreBands;
  const orderStep = market.hasWholeUnitPrices ? 1_000 : 100;
  const { author, approver } = governanceFor(market.regionCode);
  const lastAddedProhibition = active.prohibitedFeatures[active.prohibitedFeatures.length - 1];
  const ruleSetId = random.uuid();
  const now = calendar.end;

  const firstEffective = calendar.start - 90 * dayMs;
  const secondEffective = calendar.start + random.integer(230, 260) * dayMs;
  const thirdEffective = calendar.start + random.integer(455, 485) * dayMs;

  const history: Omit<RuleSetVersionPlan, "id" | "ruleSetId" | "regionCode" | "version">[] = [
    {
      state: "retired",
      parameters: {
        ...withBands(active, bands.approveAbove - 0.02, bands.declineBelow - 0.02),
        maxOrderAmount: roundTo(active.maxOrderAmount * 0.8, orderStep),
        lateFeeCapPerEvent: active.lateFeeCapPerEvent,
        lateFeeCapPer12Months: active.lateFeeCapPer12Months,
        prohibitedFeatures: active.prohibitedFeatures.slice(0, -1),
      },
      changeNote: `Initial rule set for ${market.ruleSetName}.`,
      authorEmail: author,
      createdAt: firstEffective - 12 * dayMs,
      submittedAt: firstEffective - 9 * dayMs,
      approverEmail: approver,
      approvedAt: firstEffective - 6 * dayMs,
      effectiveFrom: firstEffective,
      retiredAt: secondEffective,
    },
    {
      state: "retired",
      parameters: {
        ...withBands(active, bands.approveAbove - 0.01, bands.declineBelow - 0.01),
        maxOrderAmount: roundTo(active.maxOrderAmount * 0.9, orderStep),
      },
      changeNote:
        "Raise the maximum order after the half-year performance review; tighten both score bands by 0.01; " +
        `add ${lastAddedProhibition} to the prohibited features.`,
      authorEmail: author,
      createdAt: secondEffective - 15 * dayMs,
      submittedAt: secondEffective - 11 * dayMs,
      approverEmail: approver,
      approvedAt: secondEffective - 4 * dayMs,
      effectiveFrom: secondEffective,
      retiredAt: thirdEffective,
    },
    {
      state: "active",
      parameters: active,
      changeNote:
        "Move to the full maximum order amount for customers with a clean history; tighten the approve band " +
        "by 0.01 after vintage losses rose in the holiday quarter.",
      authorEmail: author,
      createdAt: thirdEffective - 20 * dayMs,
      submittedAt: thirdEffective - 14 * dayMs,
      approverEmail: approver,
      approvedAt: thirdEffective - 6 * dayMs,
      effectiveFrom: thirdEffective,
      retiredAt: null,
    },
  ];

  if (market.regionCode === "UK") {
    history.push({
      state: "approved",
      parameters: { ...active, lateFeeCapPerEvent: 4, lateFeeCapPer12Months: 24 },
      changeNote:
        "Lower the late-fee caps ahead of the FCA deferred-payment-credit rules (CONC 7). Effective in a week " +
        "so the customer notices go out first.",
      authorEmail: author,
      createdAt: now - 16 * dayMs,
      submittedAt: now - 12 * dayMs,
      approverEmail: approver,
      approvedAt: now - 5 * dayMs,
      effectiveFrom: now + 7 * dayMs,
      retiredAt: null,
    });
  }

  history.push(
    {
      state: "submitted",
      parameters: withBands(active, bands.approveAbove + 0.02, bands.declineBelow - 0.02),
      changeNote:
        "Widen the referral band to 0.04 each side while the credit-risk-gbm 3.3 score drift (PSI alert) is " +
        "investigated, so borderline applicants get a human review instead of an automated decline.",
      authorEmail: author,
      createdAt: now - 6 * dayMs,
      submittedAt: now - 2 * dayMs,
      approverEmail: null,
      approvedAt: null,
      effectiveFrom: null,
      retiredAt: null,
    },
    {
      state: "draft",
      parameters: {
        ...active,
        maxOrderAmount: Math.min(active.creditLimit, roundTo(active.maxOrderAmount * 1.2, orderStep)),
        fraudHoldAbove: Math.round((active.fraudHoldAbove - 0.02) * 100) / 100,
      },
      changeNote: "Holiday season: higher maximum order, fraud hold threshold lowered by 0.02 to compensate.",
      authorEmail: author,
      createdAt: now - 1 * dayMs,
      submittedAt: null,
      approverEmail: null,
      approvedAt: null,
      effectiveFrom: null,
      retiredAt: null,
    },
  );

  const versions = history.map((entry, index) => {
    const parsed = validateParametersForRegion(market.regionCode, entry.parameters);
    if (!parsed.success) {
      throw new Error(
        `synthetic rule set ${market.regionCode} v${index + 1} is invalid: ${parsed.issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}`,
      );
    }
    return {
      ...entry,
      parameters: parsed.data,
      id: random.uuid(),
      ruleSetId,
      regionCode: market.regionCode,
      version: index + 1,
    };
  });

  return {
    id: ruleSetId,
    regionCode: market.regionCode,
    name: market.ruleSetName,
    createdAt: history[0]!.createdAt,
    versions,
  };
}

/** The version whose parameters were in force in a region at a given moment. */
export function versionInForce(plan: RuleSetPlan, time: number): RuleSetVersionPlan {
  let inForce = plan.versions[0]!;
  for (const version of plan.versions) {
    if (version.effectiveFrom !== null && version.effectiveFrom <= time) inForce = version;
  }
  return inForce;
}
