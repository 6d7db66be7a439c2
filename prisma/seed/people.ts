import { Faker } from "@faker-js/faker";
import { dayMs } from "./calendar";
import { calendarDate, clamp } from "./format";
import type { MarketProfile } from "./markets";
import { deriveSeed, type Random } from "./random";

// Synthetic customers: localised personal data from faker, and hidden traits (creditworthiness, whether
// the "customer" is really a fraudster using a stolen or synthetic identity) that drive the features
// the models see and what happens after a decision.

const yearMs = 365.25 * dayMs;

export interface PersonalData {
  fullName: string;
  email: string;
  phone: string;
  dateOfBirth: string;
  street: string;
  postalCode: string;
  city: string;
  country: string;
}

export interface CustomerTraits {
  /** Standard-normal creditworthiness; nobody sees it directly, every credit feature leans on it. */
  creditworthiness: number;
  isFraudster: boolean;
  /** A patient fraudster (aged synthetic identity, clean device) whom the fraud model mostly misses. */
  isCarefulFraudster: boolean;
  dateOfBirth: number;
  /** Credit history at the first decision. */
  creditHistoryMonthsAtStart: number;
  hasBureauFile: boolean;
  bureauScoreBase: number;
  previousDelinquencies: number;
  /** Monthly income as a multiple of the market's median. */
  incomeRelativeToMarket: number;
  monthsAtAddressAtStart: number;
  emailAgeDaysAtStart: number;
  isIdentityConsistent: boolean;
  deviceRisk: "low" | "medium" | "high";
}

// BNPL skews young; a few under-age applicants try anyway (AG01 declines).
const ageBands = { minor: 0.004, "18-24": 0.22, "25-34": 0.34, "35-44": 0.22, "45-54": 0.12, "55-64": 0.068, "65-80": 0.028 };
const ageRanges: Record<keyof typeof ageBands, [number, number]> = {
  minor: [16, 17],
  "18-24": [18, 24],
  "25-34": [25, 34],
  "35-44": [35, 44],
  "45-54": [45, 54],
  "55-64": [55, 64],
  "65-80": [65, 80],
};

export function ageAt(dateOfBirth: number, time: number) {
  return Math.floor((time - dateOfBirth) / yearMs);
}

export function drawTraits(random: Random, firstDecisionAt: number): CustomerTraits {
  const isFraudster = random.chance(0.03);
  const isCarefulFraudster = isFraudster && random.chance(0.5);
  const [minAge, maxAge] = ageRanges[random.weighted(ageBands)];
  const age = random.integer(minAge, maxAge);
  const dateOfBirth = firstDecisionAt - age * yearMs - random.integer(0, 364) * dayMs;
  const creditworthiness = random.normal();
  const adultMonths = Math.max(0, (age - 18) * 12);
  const creditHistoryMonthsAtStart = Math.round(
    clamp(adultMonths * random.between(0.35, 1) + random.normal() * 4, 0, adultMonths + 6),
  );
  // Young applicants have thinner files and so lower bureau scores; that shows up in the fairness view.
  const youthPenalty = age < 25 ? (25 - age) * 7 : 0;
  const monthlyIncomeFactor = age < 22 ? 0.55 : age < 30 ? 0.85 : age > 66 ? 0.75 : 1;
  return {
    creditworthiness,
    isFraudster,
    isCarefulFraudster,
    dateOfBirth,
    creditHistoryMonthsAtStart,
    hasBureauFile: age < 18 ? false : isFraudster ? random.chance(0.5) : creditHistoryMonthsAtStart >= 6 || random.chance(0.4),
    bureauScoreBase: clamp(Math.round(640 + 85 * creditworthiness - youthPenalty + random.normal() * 25), 250, 950),
    previousDelinquencies: age < 18 ? 0 : random.poisson(Math.exp(-2.1 - 1.1 * creditworthiness)),
    incomeRelativeToMarket: Math.exp(0.4 * random.normal() + 0.15 * creditworthiness) * monthlyIncomeFactor,
    monthsAtAddressAtStart: Math.round(Math.min(random.exponential(44), adultMonths + 12)),
    emailAgeDaysAtStart: isCarefulFraudster
      ? random.integer(200, 900)
      : isFraudster
        ? random.integer(0, 45)
        : Math.round(random.logNormal(1_400, 0.9)),
    isIdentityConsistent: isCarefulFraudster ? random.chance(0.9) : isFraudster ? random.chance(0.5) : random.chance(0.993),
    deviceRisk:
      isFraudster && !isCarefulFraudster
        ? random.weighted({ high: 0.55, medium: 0.3, low: 0.15 })
        : random.weighted({ low: 0.86, medium: 0.12, high: 0.02 }),
  };
}

function asciiForEmail(text: string) {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/ß/g, "ss")
    .replace(/ø/g, "o")
    .replace(/æ/g, "ae")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "");
}

/** Localised names, addresses and phone numbers, one faker per market, each seeded from --seed. */
export class PersonFactory {
  private readonly fakers = new Map<string, Faker>();
  private readonly usedEmails = new Set<string>();

  constructor(private readonly seed: number) {}

  private fakerFor(market: MarketProfile) {
    let faker = this.fakers.get(market.regionCode);
    if (!faker) {
      faker = new Faker({ locale: market.fakerLocales });
      faker.seed(deriveSeed(this.seed, `faker:${market.regionCode}`));
      this.fakers.set(market.regionCode, faker);
    }
    return faker;
  }

  create(market: MarketProfile, traits: CustomerTraits, random: Random): PersonalData {
    const faker = this.fakerFor(market);
    const sex = random.chance(0.5) ? "female" : "male";
    const firstName = faker.person.firstName(sex);
    const lastName = faker.person.lastName(sex);
    return {
      fullName: `${firstName} ${lastName}`,
      email: this.uniqueEmail(market, firstName, lastName, traits, random),
      phone: faker.phone.number({ style: "international" }),
      dateOfBirth: calendarDate(traits.dateOfBirth),
      street: faker.location.streetAddress(),
      postalCode: faker.location.zipCode(),
      city: faker.location.city(),
      country: market.countryCode,
    };
  }

  private uniqueEmail(market: MarketProfile, firstName: string, lastName: string, traits: CustomerTraits, random: Random) {
    const first = asciiForEmail(firstName);
    const last = asciiForEmail(lastName);
    const birthYear = new Date(traits.dateOfBirth).getUTCFullYear() % 100;
    const localPart = random.pick([
      `${first}.${last}`,
      `${first}${last}`,
      `${first}.${last}${String(birthYear).padStart(2, "0")}`,
      `${first[0] ?? "x"}${last}`,
      `${first}_${last}${random.integer(1, 99)}`,
    ]);
    const domain = random.pick(market.emailDomains);
    let email = `${localPart}@${domain}`;
    for (let suffix = 2; this.usedEmails.has(email); suffix++) email = `${localPart}${suffix}@${domain}`;
    this.usedEmails.add(email);
    return email;
  }
}
