import { z } from "zod";
import { regionPolicies, type RegionPolicy } from "~/modules/access/regions.server";
import { loadPolicyFile, PolicyFileError } from "~/utils/policy-file.server";
import { dueDatesOf, type DueDatesInput, type RegimeClockRules } from "./deadlines";

// policies/privacy-regimes.yaml as typed data, validated at start-up together with regions.yaml:
// every region's regime must exist and name the supervisory authority of that region.

const DurationSchema = z.union([
  z.object({ months: z.number().int().min(1).max(12) }).strict(),
  z.object({ days: z.number().int().min(1).max(366) }).strict(),
]);

const RegimeSchema = z
  .object({
    label: z.string().min(1),
    citation: z.string().min(1),
    period: DurationSchema,
    clockStarts: z.enum(["receipt", "latest_of_receipt_identity_fee"]),
    // The time zone the law's days are counted in when it is not the region's (CCPA: California).
    timeZone: z.string().min(3).optional(),
    countsDayOfReceipt: z.boolean().optional(),
    // The rule in words, shown with every due date, and what it cites.
    dueDateRule: z.string().min(20),
    extension: z
      .object({ max: DurationSchema, reasonRequired: z.boolean(), announceWithinFirstPeriod: z.boolean() })
      .strict()
      .nullable(),
    pausesForClarification: z.boolean(),
    supervisoryAuthorities: z.record(
      z.string().regex(/^[A-Z]{2}$/, "a region code such as SE"),
      z.object({ name: z.string().min(3), url: z.string().url() }).strict(),
    ),
  })
  .strict();

export const PrivacyRegimesPolicySchema = z.object({
  version: z.literal(1),
  regimes: z.record(z.enum(["eu_gdpr", "uk_gdpr", "ccpa", "au_privacy_act"]), RegimeSchema),
});

export type PrivacyRegimePolicy = z.infer<typeof RegimeSchema> & RegimeClockRules;
export type PrivacyRegimesPolicy = z.infer<typeof PrivacyRegimesPolicySchema>;

/** Cross-file checks: every region's regime is defined and names that region's supervisory authority. */
export function checkRegimesCoverRegions(policy: PrivacyRegimesPolicy, regions: Pick<RegionPolicy, "code" | "privacyRegime">[]) {
  const problems: string[] = [];
  for (const region of regions) {
    const regime = policy.regimes[region.privacyRegime];
    if (!regime) problems.push(`  regimes.${region.privacyRegime}: missing, but region ${region.code} uses it (policies/regions.yaml)`);
    else if (!regime.supervisoryAuthorities[region.code]) {
      problems.push(`  regimes.${region.privacyRegime}.supervisoryAuthorities.${region.code}: missing; a refusal must name where to complain`);
    }
  }
  if (problems.length > 0) throw new PolicyFileError(`policies/privacy-regimes.yaml is invalid:\n${problems.join("\n")}`);
  return policy;
}

const policy = checkRegimesCoverRegions(loadPolicyFile("privacy-regimes.yaml", PrivacyRegimesPolicySchema), regionPolicies);

export const privacyRegimes = policy.regimes as Record<string, PrivacyRegimePolicy>;

/** The regime, time zone and supervisory authority that apply to a request made in a region. */
export function regimeForRegion(regionCode: string) {
  const region = regionPolicies.find((candidate) => candidate.code === regionCode);
  if (!region) throw new Error(`unknown region ${regionCode}`);
  const regime = privacyRegimes[region.privacyRegime]!;
  return {
    regimeKey: region.privacyRegime,
    regime,
    // The law's own days where it names them (CCPA: California's), else the region's.
    timeZone: regime.timeZone ?? region.timeZone,
    authority: regime.supervisoryAuthorities[region.code]!,
  };
}

/** Due dates of a request in a region, by its regime. */
export function dueDatesInRegion(regionCode: string, input: Omit<DueDatesInput, "timeZone">) {
  const { regime, timeZone } = regimeForRegion(regionCode);
  return dueDatesOf(regime, { ...input, timeZone });
}

/** What a refused requester is told about their right to complain (GDPR Art. 12(4), 77). */
export function complaintRightNotice(regionCode: string) {
  const { regime, authority } = regimeForRegion(regionCode);
  return `You may complain to the supervisory authority, ${authority.name} (${authority.url}), and seek a judicial remedy (${regime.citation}).`;
}
