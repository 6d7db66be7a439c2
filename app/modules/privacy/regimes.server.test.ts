import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parsePolicyText } from "~/utils/policy-file.server";
import { checkRegimesCoverRegions, complaintRightNotice, PrivacyRegimesPolicySchema, regimeForRegion } from "./regimes.server";

// policies/privacy-regimes.yaml is validated at start-up: a wrong period, an unknown key or a region
// without a supervisory authority stops the process with the line and field at fault.

const text = fs.readFileSync(path.resolve("policies/privacy-regimes.yaml"), "utf8");
const load = (yaml: string) => parsePolicyText("policies/privacy-regimes.yaml", yaml, PrivacyRegimesPolicySchema);

describe("privacy regimes policy", () => {
  it("gives every shipped region a regime, a time zone and the authority a refused requester may complain to", () => {
    expect(regimeForRegion("SE")).toMatchObject({ regimeKey: "eu_gdpr", timeZone: "Europe/Stockholm", authority: { name: expect.stringContaining("IMY") } });
    expect(regimeForRegion("DE").authority.name).toContain("BfDI");
    expect(regimeForRegion("NL").authority.name).toContain("(AP)");
    expect(regimeForRegion("UK")).toMatchObject({ regimeKey: "uk_gdpr", regime: { clockStarts: "latest_of_receipt_identity_fee", pausesForClarification: true } });
    expect(regimeForRegion("US").authority.name).toMatch(/Attorney General.*CPPA/);
    expect(regimeForRegion("AU")).toMatchObject({ regime: { period: { days: 30 }, extension: null }, authority: { name: expect.stringContaining("OAIC") } });
    expect(complaintRightNotice("UK")).toContain("Information Commissioner's Office");
  });

  it("rejects a period that is neither months nor days, naming the line", () => {
    const broken = text.replace("period: { days: 45 }", "period: { weeks: 6 }");
    expect(() => load(broken)).toThrow(/line \d+: regimes\.ccpa\.period/);
  });

  it("rejects an unknown clock start", () => {
    expect(() => load(text.replace("clockStarts: latest_of_receipt_identity_fee", "clockStarts: whenever"))).toThrow(/regimes\.uk_gdpr\.clockStarts/);
  });

  it("rejects a region whose regime names no supervisory authority for it", () => {
    const policy = load(text);
    delete (policy.regimes.eu_gdpr!.supervisoryAuthorities as Record<string, unknown>).NL;
    expect(() => checkRegimesCoverRegions(policy, [{ code: "NL", privacyRegime: "eu_gdpr" }])).toThrow(/supervisoryAuthorities\.NL: missing/);
  });
});
