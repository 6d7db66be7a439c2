import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  deadlineOf,
  dueDatesOf,
  extendedDueDate,
  extensionProblem,
  localDay,
  moveDueDate,
  pausedDays,
  startOfLocalDay,
  type RegimeClockRules,
} from "./deadlines";

// The statutory clock as policies/privacy-regimes.yaml defines it: calendar months with month ends
// clamped, calendar days, both in the region's time zone, extensions and UK pauses.

const regimes = (parse(fs.readFileSync(path.resolve("policies/privacy-regimes.yaml"), "utf8")) as { regimes: Record<string, RegimeClockRules> }).regimes;
const euGdpr = regimes.eu_gdpr!;
const ukGdpr = regimes.uk_gdpr!;
const ccpa = regimes.ccpa!;
const australia = regimes.au_privacy_act!;

const zones = ["Europe/Stockholm", "Europe/Berlin", "Europe/London", "America/New_York", "Australia/Sydney"];

/** Wall-clock parts of an instant in a zone. */
function wallClock(instant: Date, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  return { day: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}:${parts.second}`, year: Number(parts.year), month: Number(parts.month), date: Number(parts.day) };
}

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const calendarDaysBetween = (fromDay: string, toDay: string) => (Date.parse(`${toDay}T00:00:00Z`) - Date.parse(`${fromDay}T00:00:00Z`)) / 86_400_000;

const instants = fc.date({ min: new Date("2024-01-01T00:00:00Z"), max: new Date("2030-12-31T23:59:59Z"), noInvalidDate: true });
const zone = fc.constantFrom(...zones);

describe("due dates per regime (table)", () => {
  it.each([
    ["EU GDPR, 31 January → 28 February", euGdpr, "Europe/Stockholm", "2026-01-31T09:00:00Z", "2026-02-28"],
    ["EU GDPR, 31 January of a leap year → 29 February", euGdpr, "Europe/Berlin", "2028-01-31T09:00:00Z", "2028-02-29"],
    ["EU GDPR, 30 April → 30 May", euGdpr, "Europe/Amsterdam", "2026-04-30T12:00:00Z", "2026-05-30"],
    ["EU GDPR, late on 31 March UTC is already 1 April in Stockholm", euGdpr, "Europe/Stockholm", "2026-03-31T22:30:00Z", "2026-05-01"],
    ["Australia, 30 days counted in Sydney (UTC still says 30 January)", australia, "Australia/Sydney", "2026-01-30T14:00:00Z", "2026-03-02"],
    // 11 CCR §7021(b): 45 days beginning on the day of receipt, counted in California (issue 14).
    ["CCPA, 45 days counted in California (UTC already says 28 November)", ccpa, "America/Los_Angeles", "2026-11-28T03:00:00Z", "2027-01-10"],
    ["UK GDPR across the clocks going forward", ukGdpr, "Europe/London", "2026-03-01T10:00:00Z", "2026-04-01"],
  ])("%s", (_label, rules, timeZone, start, expectedDay) => {
    const { dueAt } = dueDatesOf(rules, { timeZone, clockStartedAt: new Date(start) });
    expect(wallClock(dueAt, timeZone)).toMatchObject({ day: expectedDay, time: "23:59:59" });
    expect(localDay(dueAt, timeZone)).toBe(expectedDay);
  });

  it("extends an EU request by two further months from the end of the first one, clamping month ends", () => {
    const { dueAt, extendedDueAt } = dueDatesOf(euGdpr, { timeZone: "Europe/Stockholm", clockStartedAt: new Date("2025-11-30T10:00:00Z"), extension: { months: 2 } });
    expect(localDay(dueAt, "Europe/Stockholm")).toBe("2025-12-30");
    expect(localDay(extendedDueAt!, "Europe/Stockholm")).toBe("2026-02-28");
  });

  it("extends a CCPA request by 45 more days", () => {
    const { dueAt, extendedDueAt } = dueDatesOf(ccpa, { timeZone: "America/Los_Angeles", clockStartedAt: new Date("2026-01-10T15:00:00Z"), extension: { days: 45 } });
    // 10 January is day 1: day 45 is 23 February, day 90 is 9 April.
    expect(localDay(dueAt, "America/Los_Angeles")).toBe("2026-02-23");
    expect(localDay(extendedDueAt!, "America/Los_Angeles")).toBe("2026-04-09");
  });

  it("moves a UK request's due date by the whole days its clock was paused", () => {
    const clockStartedAt = new Date("2026-05-04T09:00:00Z");
    const pauses = [
      { startedAt: new Date("2026-05-10T16:00:00Z"), endedAt: new Date("2026-05-17T08:00:00Z") },
      { startedAt: new Date("2026-05-20T09:00:00Z"), endedAt: new Date("2026-05-20T15:00:00Z") },
    ];
    const { dueAt, pausedDays: shift } = dueDatesOf(ukGdpr, { timeZone: "Europe/London", clockStartedAt, pauses });
    expect(shift).toBe(7);
    expect(localDay(dueAt, "Europe/London")).toBe("2026-06-11");
  });

  it("keeps counting an open pause until now, and ignores pauses under regimes without them", () => {
    const clockStartedAt = new Date("2026-05-04T09:00:00Z");
    const pauses = [{ startedAt: new Date("2026-05-10T09:00:00Z"), endedAt: null }];
    const now = new Date("2026-05-13T09:00:00Z");
    expect(dueDatesOf(ukGdpr, { timeZone: "Europe/London", clockStartedAt, pauses, now }).pausedDays).toBe(3);
    expect(dueDatesOf(euGdpr, { timeZone: "Europe/Berlin", clockStartedAt, pauses, now }).pausedDays).toBe(0);
  });

  it("reads a local day as its first instant in the zone", () => {
    expect(startOfLocalDay("2026-07-01", "Australia/Sydney").toISOString()).toBe("2026-06-30T14:00:00.000Z");
    expect(startOfLocalDay("2026-01-15", "America/New_York").toISOString()).toBe("2026-01-15T05:00:00.000Z");
  });
});

describe("due dates per regime (properties)", () => {
  it("one calendar month lands on the same day number, or the month's last day when it has none", () => {
    fc.assert(
      fc.property(instants, zone, (start, timeZone) => {
        const { dueAt } = dueDatesOf(euGdpr, { timeZone, clockStartedAt: start });
        const from = wallClock(start, timeZone);
        const to = wallClock(dueAt, timeZone);
        const expectedMonth = from.month === 12 ? 1 : from.month + 1;
        expect(to.month).toBe(expectedMonth);
        expect(to.year).toBe(from.month === 12 ? from.year + 1 : from.year);
        expect(to.date).toBe(Math.min(from.date, daysInMonth(to.year, to.month)));
        expect(to.time).toBe("23:59:59");
      }),
      { numRuns: 400 },
    );
  });

  it("day-counted regimes are due exactly N local calendar days later, at the end of that day", () => {
    fc.assert(
      fc.property(instants, zone, fc.constantFrom(ccpa, australia), (start, timeZone, rules) => {
        const { dueAt } = dueDatesOf(rules, { timeZone, clockStartedAt: start });
        // A period "beginning on the day" of receipt (CCPA) ends N - 1 days after it.
        const days = ("days" in rules.period ? rules.period.days : 0) - (rules.countsDayOfReceipt ? 1 : 0);
        expect(calendarDaysBetween(localDay(start, timeZone), localDay(dueAt, timeZone))).toBe(days);
        expect(wallClock(dueAt, timeZone).time).toBe("23:59:59");
      }),
      { numRuns: 300 },
    );
  });

  it("an extension never shortens the deadline and stays within the regime's maximum", () => {
    fc.assert(
      fc.property(instants, zone, fc.integer({ min: 1, max: 2 }), (start, timeZone, months) => {
        const { dueAt, extendedDueAt } = dueDatesOf(euGdpr, { timeZone, clockStartedAt: start, extension: { months } });
        expect(extendedDueAt!.getTime()).toBeGreaterThan(dueAt.getTime());
        const longest = extendedDueDate(dueAt, { months: 2 }, timeZone);
        expect(extendedDueAt!.getTime()).toBeLessThanOrEqual(longest.getTime());
        expect(calendarDaysBetween(localDay(dueAt, timeZone), localDay(extendedDueAt!, timeZone))).toBeLessThanOrEqual(62);
      }),
      { numRuns: 300 },
    );
  });

  it("pauses move the due date by exactly the paused local days and never earlier", () => {
    const pause = fc
      .tuple(fc.integer({ min: 0, max: 40 * 24 }), fc.integer({ min: 0, max: 20 * 24 }))
      .map(([offsetHours, lengthHours]) => ({ offsetHours, lengthHours }));
    fc.assert(
      fc.property(instants, zone, fc.array(pause, { maxLength: 3 }), (start, timeZone, specs) => {
        const pauses = specs.map(({ offsetHours, lengthHours }) => ({
          startedAt: new Date(start.getTime() + offsetHours * 3_600_000),
          endedAt: new Date(start.getTime() + (offsetHours + lengthHours) * 3_600_000),
        }));
        const plain = dueDatesOf(ukGdpr, { timeZone, clockStartedAt: start });
        const paused = dueDatesOf(ukGdpr, { timeZone, clockStartedAt: start, pauses });
        const shift = pausedDays(pauses, timeZone, new Date());
        expect(paused.pausedDays).toBe(shift);
        expect(paused.dueAt.getTime()).toBeGreaterThanOrEqual(plain.dueAt.getTime());
        expect(calendarDaysBetween(localDay(plain.dueAt, timeZone), localDay(paused.dueAt, timeZone))).toBe(shift);
        expect(localDay(moveDueDate(plain.dueAt, shift, timeZone), timeZone)).toBe(localDay(paused.dueAt, timeZone));
      }),
      { numRuns: 300 },
    );
  });
});

describe("extensions", () => {
  const dueAt = new Date("2026-03-15T22:59:59.999Z");
  const now = new Date("2026-03-01T10:00:00Z");
  const valid = { extension: { months: 2 }, reason: "Complex request over several years of purchases", notifiedAt: now, dueAt, alreadyExtended: false, now };

  it("are accepted with a reason, within the limit, announced in the first period", () => {
    expect(extensionProblem(euGdpr, valid)).toBeNull();
    expect(extensionProblem(ccpa, { ...valid, extension: { days: 45 } })).toBeNull();
  });

  it("are refused without a reason, naming the field", () => {
    expect(extensionProblem(euGdpr, { ...valid, reason: "" })).toMatchObject({ field: "reason", message: expect.stringContaining("reason") });
    expect(extensionProblem(ukGdpr, { ...valid, reason: "short" })).toMatchObject({ field: "reason" });
  });

  it("are refused beyond the regime's maximum or under a regime that allows none", () => {
    expect(extensionProblem(euGdpr, { ...valid, extension: { months: 3 } })).toMatchObject({ field: "extendBy", message: expect.stringContaining("2 months") });
    expect(extensionProblem(ccpa, { ...valid, extension: { days: 46 } })).toMatchObject({ field: "extendBy", message: expect.stringContaining("45 days") });
    expect(extensionProblem(ccpa, { ...valid, extension: { months: 1 } })).toMatchObject({ field: "extendBy" });
    expect(extensionProblem(australia, { ...valid, extension: { days: 10 } })).toMatchObject({ field: "extendBy", message: expect.stringContaining("no extension") });
  });

  it("must be announced within the first period and only once", () => {
    expect(extensionProblem(euGdpr, { ...valid, now: new Date("2026-03-16T00:00:00Z"), notifiedAt: new Date("2026-03-16T00:00:00Z") })).toMatchObject({ field: "extendBy" });
    expect(extensionProblem(euGdpr, { ...valid, notifiedAt: null })).toMatchObject({ field: "notifiedAt" });
    expect(extensionProblem(euGdpr, { ...valid, notifiedAt: new Date("2026-03-20T00:00:00Z"), now: new Date("2026-03-10T00:00:00Z") })).toMatchObject({ field: "notifiedAt" });
    expect(extensionProblem(euGdpr, { ...valid, alreadyExtended: true })).toMatchObject({ field: "extendBy", message: expect.stringContaining("only once") });
  });
});

describe("privacy request deadline bands", () => {
  const at = new Date("2026-11-28T12:00:00Z");
  const days = (n: number) => new Date(at.getTime() + n * 86_400_000);

  it("counts from the extended due date when there is one", () => {
    expect(deadlineOf({ state: "in_progress", dueAt: days(-3), extendedDueAt: days(40) }, at)).toMatchObject({ daysLeft: 40, band: "ok" });
  });

  it("turns amber at 10 days, red at 5 and stays red once overdue", () => {
    expect(deadlineOf({ state: "in_progress", dueAt: days(11), extendedDueAt: null }, at).band).toBe("ok");
    expect(deadlineOf({ state: "in_progress", dueAt: days(10), extendedDueAt: null }, at).band).toBe("amber");
    expect(deadlineOf({ state: "in_progress", dueAt: days(5), extendedDueAt: null }, at).band).toBe("red");
    expect(deadlineOf({ state: "in_progress", dueAt: days(-0.1), extendedDueAt: null }, at)).toMatchObject({ band: "overdue", daysLeft: -1 });
  });

  it("shows a paused clock as paused, and stops it for completed and refused requests", () => {
    expect(deadlineOf({ state: "scope_clarification", dueAt: days(-2), extendedDueAt: null, isPaused: true }, at).band).toBe("paused");
    expect(deadlineOf({ state: "completed", dueAt: days(-30), extendedDueAt: null }, at).band).toBe("closed");
    expect(deadlineOf({ state: "refused", dueAt: days(2), extendedDueAt: null }, at).band).toBe("closed");
  });

  it("never gets more urgent as more time is left (property)", () => {
    const rank = { overdue: 0, red: 1, amber: 2, ok: 3 } as Record<string, number>;
    fc.assert(
      fc.property(fc.double({ min: -60, max: 60, noNaN: true }), fc.double({ min: 0, max: 30, noNaN: true }), (left, more) => {
        const sooner = deadlineOf({ state: "in_progress", dueAt: days(left), extendedDueAt: null }, at);
        const later = deadlineOf({ state: "in_progress", dueAt: days(left + more), extendedDueAt: null }, at);
        expect(rank[later.band]!).toBeGreaterThanOrEqual(rank[sooner.band]!);
        expect(later.daysLeft).toBeGreaterThanOrEqual(sooner.daysLeft);
      }),
    );
  });
});
