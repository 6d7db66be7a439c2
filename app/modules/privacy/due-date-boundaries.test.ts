import { describe, expect, it } from "vitest";
import { clockStartOf, dueDatesOf, localDay } from "./deadlines";
import { dueDatesInRegion, privacyRegimes, regimeForRegion } from "./regimes.server";

// Issue 14: due dates on the boundaries, in each regime's own time zone, never later than the strictest
// reasonable reading of the rule; the rule and its citation come with the regime.

const due = (regionCode: string, clockStartedAt: string) => dueDatesInRegion(regionCode, { clockStartedAt: new Date(clockStartedAt) });

describe("CCPA: 45 days beginning on the day of receipt, in California time (11 CCR §7021(b))", () => {
  it("counts in California, not New York", () => {
    expect(regimeForRegion("US").timeZone).toBe("America/Los_Angeles");
  });

  it("a request received late on 31 May (Pacific) is due at the end of 14 July Pacific", () => {
    // 23:30 PDT on 31 May is already 1 June in New York.
    const { dueAt } = due("US", "2026-06-01T06:30:00Z");
    expect(localDay(dueAt, "America/Los_Angeles")).toBe("2026-07-14");
    expect(dueAt.toISOString()).toBe("2026-07-15T06:59:59.999Z");
  });

  it("one received just after midnight on 1 June (Pacific) is due at the end of 15 July", () => {
    const { dueAt } = due("US", "2026-06-01T07:05:00Z");
    expect(dueAt.toISOString()).toBe("2026-07-16T06:59:59.999Z");
  });

  it("an extension makes 90 days in all from the day of receipt", () => {
    const { extendedDueAt } = dueDatesInRegion("US", { clockStartedAt: new Date("2026-06-01T06:30:00Z"), extension: { days: 45 } });
    // 31 May is day 1, so day 90 is 28 August.
    expect(localDay(extendedDueAt!, "America/Los_Angeles")).toBe("2026-08-28");
  });

  it("a 45-day rule counted from the day after receipt would be a day later: never used", () => {
    const rules = { ...privacyRegimes.ccpa!, countsDayOfReceipt: false };
    const lenient = dueDatesOf(rules, { timeZone: "America/Los_Angeles", clockStartedAt: new Date("2026-06-01T06:30:00Z") });
    expect(lenient.dueAt.getTime()).toBeGreaterThan(due("US", "2026-06-01T06:30:00Z").dueAt.getTime());
  });
});

describe("EU and UK GDPR: one month, the same date of the next month (Reg. 1182/71 Art. 3(2)(c))", () => {
  it("counts in the region's zone at the day boundary", () => {
    // 23:30 in Stockholm on 15 January is 22:30 UTC: received on the 15th there, due the 15th of February.
    expect(localDay(due("SE", "2026-01-15T22:30:00Z").dueAt, "Europe/Stockholm")).toBe("2026-02-15");
    expect(localDay(due("SE", "2026-01-15T23:30:00Z").dueAt, "Europe/Stockholm")).toBe("2026-02-16");
    // 31 January → the last day of February.
    expect(localDay(due("UK", "2026-01-31T12:00:00Z").dueAt, "Europe/London")).toBe("2026-02-28");
  });
});

describe("UK GDPR Art. 12A: the clock runs from the latest of receipt, identity information and fee", () => {
  const receivedAt = new Date("2026-03-10T10:00:00Z");

  it("from receipt when nothing else was asked for", () => {
    expect(clockStartOf({ receivedAt })).toEqual(receivedAt);
  });

  it("from the day the identity information arrived, not the day the DPO checked it", () => {
    const informationAt = new Date("2026-03-20T00:00:00Z");
    const start = clockStartOf({ receivedAt, identityInformationReceivedAt: informationAt });
    expect(start).toEqual(informationAt);
    // Arrived on 20 March: due at the end of 20 April in London (BST).
    expect(due("UK", start.toISOString()).dueAt.toISOString()).toBe("2026-04-20T22:59:59.999Z");
  });

  it("from a fee received after the identity information", () => {
    const start = clockStartOf({ receivedAt, identityInformationReceivedAt: new Date("2026-03-20T00:00:00Z"), feeReceivedAt: new Date("2026-03-22T09:00:00Z") });
    expect(localDay(due("UK", start.toISOString()).dueAt, "Europe/London")).toBe("2026-04-22");
  });

  it("information that came with the request does not move the clock", () => {
    expect(clockStartOf({ receivedAt, identityInformationReceivedAt: new Date("2026-03-01T00:00:00Z") })).toEqual(receivedAt);
  });
});

describe("every regime states its rule and citation", () => {
  it("has a due-date rule naming its law", () => {
    for (const [key, regime] of Object.entries(privacyRegimes)) {
      expect(regime.dueDateRule, key).toMatch(/—/);
      expect(regime.dueDateRule.length, key).toBeGreaterThan(40);
    }
    expect(privacyRegimes.ccpa!.dueDateRule).toContain("7021(b)");
    expect(privacyRegimes.uk_gdpr!.dueDateRule).toContain("12A");
  });
});
