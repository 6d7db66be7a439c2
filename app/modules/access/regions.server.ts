import { z } from "zod";
import { loadPolicyFile } from "~/utils/policy-file.server";

export const RegionCodeSchema = z.enum(["SE", "DE", "NL", "UK", "US", "AU"]);
export type RegionCode = z.infer<typeof RegionCodeSchema>;

const RegionsPolicySchema = z.object({
  version: z.literal(1),
  regions: z
    .array(
      z.object({
        code: RegionCodeSchema,
        name: z.string().min(1),
        currency: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code such as SEK"),
        locale: z.string().min(2),
        timeZone: z.string().refine(isKnownTimeZone, "not an IANA time zone"),
        privacyRegime: z.enum(["eu_gdpr", "uk_gdpr", "ccpa", "au_privacy_act"]),
      }),
    )
    .min(1),
});

export type RegionPolicy = z.infer<typeof RegionsPolicySchema>["regions"][number];

function isKnownTimeZone(zone: string) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const regionPolicies: RegionPolicy[] = loadPolicyFile("regions.yaml", RegionsPolicySchema).regions;

export const allRegionCodes = regionPolicies.map((region) => region.code);

export function findRegion(code: string) {
  return regionPolicies.find((region) => region.code === code);
}
