import { TZDate } from "@date-fns/tz";
import { addDays, addMonths, differenceInCalendarDays, endOfDay, format } from "date-fns";

// The statutory clock of a privacy request (DESIGN.md §9), driven by policies/privacy-regimes.yaml.
// Pure: no database, no policy loading, so the arithmetic can be property-tested. Periods are counted
// in calendar days or calendar months in the region's own time zone, and a request is due at the end
// of its due day there (a request received in Sydney on 31 January is due at 23:59:59.999 Sydney time
// on 28 or 29 February).

export type Duration = { months: number } | { days: number };

export interface RegimeClockRules {
  period: Duration;
  /**
   * receipt: the day the request arrives. latest_of_receipt_identity_fee: UK GDPR Art. 12A (Data (Use and
   * Access) Act 2025) — the latest of receipt of the request, of the identity information the controller
   * asked for and of any fee.
   */
  clockStarts: "receipt" | "latest_of_receipt_identity_fee";
  /** Days periods: whether the day of receipt is the first day (11 CCR §7021(b): "beginning on the day"). */
  countsDayOfReceipt?: boolean;
  extension: { max: Duration; reasonRequired: boolean; announceWithinFirstPeriod: boolean } | null;
  pausesForClarification: boolean;
}

export interface ClockPause {
  startedAt: Date;
  endedAt: Date | null;
}

const DAY_MS = 86_400_000;
const AMBER_DAYS = 10;
const RED_DAYS = 5;

/** The instant as a wall-clock date in `timeZone`. */
function inZone(instant: Date, timeZone: string) {
  return new TZDate(instant.getTime(), timeZone);
}

/** Calendar arithmetic: date-fns clamps month ends (31 January + 1 month = 28/29 February). */
export function addDuration<D extends Date>(date: D, duration: Duration): D {
  return ("months" in duration ? addMonths(date, duration.months) : addDays(date, duration.days)) as D;
}

export function describeDuration(duration: Duration) {
  const [count, unit] = "months" in duration ? [duration.months, "month"] : [duration.days, "day"];
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}

/** The local calendar day ("2026-02-28") of an instant in a time zone. */
export function localDay(instant: Date, timeZone: string) {
  return format(inZone(instant, timeZone), "yyyy-MM-dd");
}

/**
 * Whole local days the clock stood still. A pause counts the calendar days from the day it started to
 * the day it ended (or to `now` while it is still open); a pause opened and closed on the same day
 * moves nothing.
 */
export function pausedDays(pauses: ClockPause[], timeZone: string, now: Date) {
  return pauses.reduce((total, pause) => {
    const end = pause.endedAt ?? now;
    const days = differenceInCalendarDays(inZone(end, timeZone), inZone(pause.startedAt, timeZone));
    return total + Math.max(0, days);
  }, 0);
}

export interface DueDatesInput {
  timeZone: string;
  clockStartedAt: Date;
  pauses?: ClockPause[];
  /** The extension granted, if any (checked against the regime with extensionProblem first). */
  extension?: Duration | null;
  now?: Date;
}

/**
 * The due date of a request and, when extended, the extended one. The extension runs from the end of
 * the first period (GDPR Art. 12(3): "extended by two further months"); pauses move both dates.
 */
export function dueDatesOf(rules: RegimeClockRules, input: DueDatesInput) {
  const now = input.now ?? new Date();
  const shift = rules.pausesForClarification ? pausedDays(input.pauses ?? [], input.timeZone, now) : 0;
  // A period "beginning on the day" of receipt ends one day earlier than one counted from the day after.
  const inclusive = rules.countsDayOfReceipt && "days" in rules.period ? -1 : 0;
  const firstDueDay = addDays(addDuration(inZone(input.clockStartedAt, input.timeZone), rules.period), inclusive);
  const dueAt = new Date(endOfDay(addDays(firstDueDay, shift)).getTime());
  const extendedDueAt = input.extension ? extendedDueDate(dueAt, input.extension, input.timeZone) : null;
  return { dueAt, extendedDueAt, pausedDays: shift };
}

/** A due date moved by whole local days (a pause that ended), still at the end of its day. */
export function moveDueDate(dueAt: Date, days: number, timeZone: string) {
  return new Date(endOfDay(addDays(inZone(dueAt, timeZone), days)).getTime());
}

/** The extended due date: the extension counted from the end of the first period. */
export function extendedDueDate(dueAt: Date, extension: Duration, timeZone: string) {
  return new Date(endOfDay(addDuration(inZone(dueAt, timeZone), extension)).getTime());
}

/**
 * UK GDPR Art. 12A(2): the period begins with the latest of the day the request was received, the day
 * the identity information the controller asked for was received, and the day any fee was received.
 * What arrives before the request counts as arriving with it.
 */
export function clockStartOf(input: { receivedAt: Date; identityInformationReceivedAt?: Date | null; feeReceivedAt?: Date | null }) {
  const candidates = [input.receivedAt, input.identityInformationReceivedAt, input.feeReceivedAt].filter((date): date is Date => date instanceof Date);
  return new Date(Math.max(...candidates.map((date) => date.getTime())));
}

/** The instant a local calendar day ("2026-01-31") starts in a time zone. */
export function startOfLocalDay(day: string, timeZone: string) {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return new Date(new TZDate(year, month - 1, date, timeZone).getTime());
}

function durationFits(requested: Duration, max: Duration) {
  if ("months" in requested) return "months" in max && requested.months >= 1 && requested.months <= max.months;
  return "days" in max && requested.days >= 1 && requested.days <= max.days;
}

export interface ExtensionAttempt {
  extension: Duration;
  reason: string | null | undefined;
  /** When the requester was told of the extension and its reasons. */
  notifiedAt: Date | null | undefined;
  /** The due date of the first period (before any extension). */
  dueAt: Date;
  alreadyExtended: boolean;
  now: Date;
}

/** Why an extension may not be recorded, naming the field at fault; null when it may. */
export function extensionProblem(rules: RegimeClockRules, attempt: ExtensionAttempt): { field: string; message: string } | null {
  const { extension } = rules;
  if (!extension) return { field: "extendBy", message: "this regime allows no extension of the deadline" };
  if (attempt.alreadyExtended) return { field: "extendBy", message: "the deadline was already extended; it can be extended only once" };
  if (!durationFits(attempt.extension, extension.max)) {
    return { field: "extendBy", message: `the extension must be between 1 and ${describeDuration(extension.max)}` };
  }
  if (extension.reasonRequired && (attempt.reason ?? "").trim().length < 10) {
    return { field: "reason", message: "record the reason for the extension (at least 10 characters); the requester is told it" };
  }
  if (extension.announceWithinFirstPeriod) {
    // GDPR Art. 12(3): the extension must be announced within the first period.
    if (attempt.now.getTime() > attempt.dueAt.getTime()) {
      return { field: "extendBy", message: "the first period has ended; an extension had to be announced before the original due date" };
    }
    if (!attempt.notifiedAt) return { field: "notifiedAt", message: "record when the requester was told of the extension" };
    if (attempt.notifiedAt.getTime() > attempt.dueAt.getTime()) {
      return { field: "notifiedAt", message: "the requester must be told within the first period, before the original due date" };
    }
    if (attempt.notifiedAt.getTime() > attempt.now.getTime() + 60_000) {
      return { field: "notifiedAt", message: "the requester cannot have been told in the future" };
    }
  }
  return null;
}

export type DeadlineBand = "overdue" | "red" | "amber" | "ok" | "paused" | "closed";

/** Days left until the effective due date (the extended one when an extension was recorded). */
export function deadlineOf(
  request: { state: string; dueAt: Date; extendedDueAt: Date | null; isPaused?: boolean },
  now = new Date(),
) {
  const due = request.extendedDueAt ?? request.dueAt;
  const remaining = due.getTime() - now.getTime();
  const daysLeft = remaining >= 0 ? Math.floor(remaining / DAY_MS) : -Math.ceil(-remaining / DAY_MS);
  const isClosed = request.state === "completed" || request.state === "refused";
  const band: DeadlineBand = isClosed
    ? "closed"
    : request.isPaused
      ? "paused"
      : remaining < 0
        ? "overdue"
        : daysLeft <= RED_DAYS
          ? "red"
          : daysLeft <= AMBER_DAYS
            ? "amber"
            : "ok";
  return { effectiveDueAt: due, daysLeft, band };
}
