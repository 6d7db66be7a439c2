import type { Random } from "./random";

// When synthetic decisions happen: ~24 months ending at the seed's anchor date, growing over time, with
// the shopping calendar of a BNPL lender (weekends, Black Friday, December, a quiet January) and an
// evening peak in the customer's local time.

export const dayMs = 86_400_000;
export const hourMs = 3_600_000;

const windowDays = 730;
// The book grows ~2.4× over the two years, so recent months carry most of the volume.
const growthOverWindow = 2.4;

// Indexed by Date#getUTCDay (Sunday = 0).
const weekdayFactor = [1.14, 0.97, 0.96, 0.98, 1.0, 1.07, 1.12];

// Share of a day's checkouts per local hour.
const hourlyProfile = [
  0.6, 0.35, 0.2, 0.15, 0.15, 0.25, 0.6, 1.2, 2.2, 3.2, 4.0, 4.5, 5.0, 5.0, 4.9, 4.8, 4.9, 5.3, 6.1, 7.0, 7.6, 7.2, 5.6,
  3.2,
];

function isBlackFridayWeekend(date: Date) {
  if (date.getUTCMonth() !== 10 && date.getUTCMonth() !== 11) return false;
  const year = date.getUTCFullYear();
  const novemberFirst = new Date(Date.UTC(year, 10, 1)).getUTCDay();
  const blackFriday = Date.UTC(year, 10, 1 + ((5 - novemberFirst + 7) % 7) + 21);
  const offsetDays = (date.getTime() - blackFriday) / dayMs;
  return offsetDays >= 0 && offsetDays <= 3;
}

function seasonalFactor(date: Date) {
  if (isBlackFridayWeekend(date)) return 2.6;
  const month = date.getUTCMonth();
  const day = date.getUTCDate();
  if (month === 11 && day >= 24 && day <= 26) return 0.6;
  if (month === 11 && day < 24) return 1.35;
  if (month === 0) return 0.85;
  if (month === 6) return 0.92;
  return 1;
}

export class DecisionCalendar {
  readonly start: number;
  readonly end: number;
  private readonly cumulativeWeights: Float64Array;
  private readonly cumulativeHours: Float64Array;

  constructor(readonly now: Date) {
    this.end = now.getTime();
    this.start = this.end - windowDays * dayMs;
    this.cumulativeWeights = new Float64Array(windowDays);
    let total = 0;
    for (let day = 0; day < windowDays; day++) {
      const date = new Date(this.start + day * dayMs);
      const growth = Math.pow(growthOverWindow, day / windowDays);
      total += growth * weekdayFactor[date.getUTCDay()]! * seasonalFactor(date);
      this.cumulativeWeights[day] = total;
    }
    this.cumulativeHours = new Float64Array(24);
    let hours = 0;
    hourlyProfile.forEach((weight, hour) => {
      hours += weight;
      this.cumulativeHours[hour] = hours;
    });
  }

  get windowDays() {
    return windowDays;
  }

  /** Day index (0 = first day of the window) of a timestamp. */
  dayOf(time: number) {
    return Math.floor((time - this.start) / dayMs);
  }

  /** A checkout moment in the window, following volume growth, the shopping calendar and local hours. */
  sampleTime(random: Random, utcOffsetHours: number) {
    const day = searchCumulative(this.cumulativeWeights, random.next() * this.cumulativeWeights[windowDays - 1]!);
    const localHour = searchCumulative(this.cumulativeHours, random.next() * this.cumulativeHours[23]!);
    const time =
      this.start + day * dayMs + (localHour - utcOffsetHours) * hourMs + Math.floor(random.next() * hourMs);
    // The local-hour shift can cross the window's edges; fold those moments back inside.
    if (time >= this.end) return time - dayMs;
    if (time < this.start) return time + dayMs;
    return time;
  }
}

function searchCumulative(cumulative: Float64Array, target: number) {
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (cumulative[middle]! <= target) low = middle + 1;
    else high = middle;
  }
  return low;
}
