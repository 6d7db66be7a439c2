import { de, en, en_AU, en_GB, en_US, nl, sv, base, type LocaleDefinition } from "@faker-js/faker";
import type { RegionCode } from "~/modules/access/regions.server";
import type { RuleSetParameters } from "~/modules/rulesets/schema";

// What a synthetic market looks like: how much of the book it carries, what people buy and earn there,
// how they prove who they are, and the rule set its operations team runs. Amounts are in the region's
// currency (policies/regions.yaml).

export interface MarketProfile {
  regionCode: RegionCode;
  /** Share of all decisions. */
  share: number;
  fakerLocales: LocaleDefinition[];
  /** ISO 3166-1 alpha-2 of addresses (the UK region's addresses are GB). */
  countryCode: string;
  /** Standard-time offset, for the evening shopping peak; DST is ignored on purpose. */
  utcOffsetHours: number;
  medianOrderAmount: number;
  /** Typical net monthly income of a BNPL customer. */
  medianMonthlyIncome: number;
  /** Steps a requested spending limit is chosen from. */
  limitSteps: number[];
  /** Whole-unit prices (SEK) or prices ending in .95/.99 (EUR, GBP, USD, AUD). */
  hasWholeUnitPrices: boolean;
  emailDomains: string[];
  /** How a privacy requester's identity is checked here (recorded as identity evidence). */
  identityCheckMethod: string;
  ruleSetName: string;
  /** Parameters of the rule-set version active at the seed's anchor date; history derives from it. */
  activeRuleSet: RuleSetParameters;
}

const euProhibitedFeatures = ["gender", "ethnicity", "religion", "nationality", "maritalStatus", "disability"];

export const markets: readonly MarketProfile[] = [
  {
    regionCode: "SE",
    share: 0.27,
    fakerLocales: [sv, en, base],
    countryCode: "SE",
    utcOffsetHours: 1,
    medianOrderAmount: 850,
    medianMonthlyIncome: 29_000,
    limitSteps: [5_000, 10_000, 15_000, 20_000, 30_000, 50_000, 60_000],
    hasWholeUnitPrices: true,
    emailDomains: ["gmail.com", "hotmail.com", "outlook.com", "live.se", "telia.com", "icloud.com"],
    identityCheckMethod: "BankID",
    ruleSetName: "Sweden — pay later and part payment",
    activeRuleSet: {
      minimumAge: 18,
      maxOrderAmount: 30_000,
      creditLimit: 50_000,
      installments: 3,
      termDays: 90,
      affordabilityCheckAbove: 10_000,
      bureauCheckAbove: 2_000,
      scoreBands: { approveAbove: 0.6, declineBelow: 0.54 },
      fraudHoldAbove: 0.8,
      // Swedish reminder fees are capped at SEK 60 per reminder (lag 1981:739).
      lateFeeCapPerEvent: 60,
      lateFeeCapPer12Months: 720,
      coolingOffDays: 14,
      prohibitedFeatures: euProhibitedFeatures,
    },
  },
  {
    regionCode: "DE",
    share: 0.22,
    fakerLocales: [de, en, base],
    countryCode: "DE",
    utcOffsetHours: 1,
    medianOrderAmount: 79,
    medianMonthlyIncome: 2_700,
    limitSteps: [500, 1_000, 1_500, 2_500, 5_000, 7_500],
    hasWholeUnitPrices: false,
    emailDomains: ["gmx.de", "web.de", "t-online.de", "gmail.com", "outlook.de", "freenet.de"],
    identityCheckMethod: "eID (Online-Ausweis)",
    ruleSetName: "Germany — Rechnungskauf",
    activeRuleSet: {
      minimumAge: 18,
      maxOrderAmount: 2_500,
      creditLimit: 5_000,
      installments: 1,
      termDays: 30,
      affordabilityCheckAbove: 1_000,
      bureauCheckAbove: 200,
      scoreBands: { approveAbove: 0.6, declineBelow: 0.54 },
      fraudHoldAbove: 0.8,
      lateFeeCapPerEvent: 5,
      lateFeeCapPer12Months: 30,
      coolingOffDays: 14,
      prohibitedFeatures: euProhibitedFeatures,
    },
  },
  {
    regionCode: "NL",
    share: 0.1,
    fakerLocales: [nl, en, base],
    countryCode: "NL",
    utcOffsetHours: 1,
    medianOrderAmount: 75,
    medianMonthlyIncome: 2_800,
    limitSteps: [500, 1_000, 1_500, 2_000, 3_000, 4_000],
    hasWholeUnitPrices: false,
    emailDomains: ["gmail.com", "hotmail.nl", "outlook.com", "ziggo.nl", "kpnmail.nl", "live.nl"],
    identityCheckMethod: "iDIN",
    ruleSetName: "Netherlands — achteraf betalen in 3 termijnen",
    activeRuleSet: {
      minimumAge: 18,
      maxOrderAmount: 2_000,
      creditLimit: 3_000,
      installments: 3,
      termDays: 60,
      affordabilityCheckAbove: 1_000,
      bureauCheckAbove: 200,
      scoreBands: { approveAbove: 0.61, declineBelow: 0.55 },
      fraudHoldAbove: 0.8,
      lateFeeCapPerEvent: 7.5,
      lateFeeCapPer12Months: 45,
      coolingOffDays: 14,
      prohibitedFeatures: euProhibitedFeatures,
    },
  },
  {
    regionCode: "UK",
    share: 0.18,
    fakerLocales: [en_GB, en, base],
    countryCode: "GB",
    utcOffsetHours: 0,
    medianOrderAmount: 65,
    medianMonthlyIncome: 2_300,
    limitSteps: [300, 500, 1_000, 1_500, 2_000, 3_000, 4_000],
    hasWholeUnitPrices: false,
    emailDomains: ["gmail.com", "hotmail.co.uk", "outlook.com", "btinternet.com", "yahoo.co.uk", "icloud.com"],
    identityCheckMethod: "document and selfie check",
    ruleSetName: "United Kingdom — pay in 3",
    activeRuleSet: {
      minimumAge: 18,
      maxOrderAmount: 2_000,
      creditLimit: 3_000,
      installments: 3,
      termDays: 60,
      affordabilityCheckAbove: 800,
      bureauCheckAbove: 150,
      scoreBands: { approveAbove: 0.6, declineBelow: 0.54 },
      fraudHoldAbove: 0.8,
      lateFeeCapPerEvent: 5,
      lateFeeCapPer12Months: 36,
      coolingOffDays: 14,
      prohibitedFeatures: [...euProhibitedFeatures, "sexualOrientation"],
    },
  },
  {
    regionCode: "US",
    share: 0.16,
    fakerLocales: [en_US, en, base],
    countryCode: "US",
    utcOffsetHours: -5,
    medianOrderAmount: 110,
    medianMonthlyIncome: 4_600,
    limitSteps: [500, 1_000, 1_500, 2_500, 4_000, 6_000],
    hasWholeUnitPrices: false,
    emailDomains: ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com", "hotmail.com"],
    identityCheckMethod: "knowledge-based verification",
    ruleSetName: "United States — pay in 4",
    activeRuleSet: {
      minimumAge: 18,
      maxOrderAmount: 2_500,
      creditLimit: 4_000,
      installments: 4,
      termDays: 42,
      affordabilityCheckAbove: 1_000,
      bureauCheckAbove: 250,
      scoreBands: { approveAbove: 0.6, declineBelow: 0.54 },
      fraudHoldAbove: 0.8,
      lateFeeCapPerEvent: 7,
      lateFeeCapPer12Months: 84,
      coolingOffDays: 0,
      // ECOA/Reg B 12 CFR 1002.6(b): prohibited bases may not be scored.
      prohibitedFeatures: [
        "race",
        "color",
        "religion",
        "nationalOrigin",
        "sex",
        "maritalStatus",
        "receiptOfPublicAssistance",
      ],
    },
  },
  {
    regionCode: "AU",
    share: 0.07,
    fakerLocales: [en_AU, en, base],
    countryCode: "AU",
    utcOffsetHours: 10,
    medianOrderAmount: 120,
    medianMonthlyIncome: 5_400,
    limitSteps: [500, 1_000, 2_000, 3_000, 4_000, 6_000],
    hasWholeUnitPrices: false,
    emailDomains: ["gmail.com", "bigpond.com", "outlook.com.au", "hotmail.com", "icloud.com", "optusnet.com.au"],
    identityCheckMethod: "Document Verification Service",
    ruleSetName: "Australia — pay in 4",
    activeRuleSet: {
      minimumAge: 18,
      maxOrderAmount: 3_000,
      creditLimit: 4_000,
      installments: 4,
      termDays: 42,
      affordabilityCheckAbove: 1_000,
      bureauCheckAbove: 250,
      scoreBands: { approveAbove: 0.6, declineBelow: 0.54 },
      fraudHoldAbove: 0.8,
      // Late fees capped at AUD 10 per missed payment and AUD 68 overall (industry code practice).
      lateFeeCapPerEvent: 10,
      lateFeeCapPer12Months: 68,
      coolingOffDays: 0,
      prohibitedFeatures: ["race", "religion", "sex", "maritalStatus", "disability"],
    },
  },
];

export function marketFor(regionCode: string) {
  const market = markets.find((candidate) => candidate.regionCode === regionCode);
  if (!market) throw new Error(`no synthetic market profile for region ${regionCode}`);
  return market;
}
