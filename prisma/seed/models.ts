import type { DecisionKind } from "~/generated/prisma/enums";
import { dayMs, type DecisionCalendar } from "./calendar";
import type { Random } from "./random";

// The decision models behind the synthetic decisions and their release history. Each release rolls
// out over a couple of weeks (both versions score traffic meanwhile). The newest credit model drifts:
// its scores slide downwards month by month, which the model dashboard's PSI should flag (0.10, 0.25).

export interface ModelVersion {
  name: string;
  version: string;
  /** Day index in the seed window (negative: released before the window starts). */
  releasedOnDay: number;
  rolloutDays: number;
  /** Calibration offset on the logit scale. */
  logitShift: number;
  /** Scoring noise on the logit scale: newer versions discriminate better. */
  logitNoise: number;
  /** Downward drift of the logit per month since release. */
  driftPerMonth: number;
}

export const modelVersionsByKind: Record<DecisionKind, readonly ModelVersion[]> = {
  credit: [
    { name: "credit-risk-gbm", version: "3.1", releasedOnDay: -210, rolloutDays: 14, logitShift: 0, logitNoise: 0.55, driftPerMonth: 0 },
    { name: "credit-risk-gbm", version: "3.2", releasedOnDay: 268, rolloutDays: 14, logitShift: 0.05, logitNoise: 0.45, driftPerMonth: 0 },
    { name: "credit-risk-gbm", version: "3.3", releasedOnDay: 574, rolloutDays: 10, logitShift: 0.08, logitNoise: 0.4, driftPerMonth: 0.2 },
  ],
  limit: [
    { name: "credit-limit-gbm", version: "2.0", releasedOnDay: -320, rolloutDays: 14, logitShift: 0, logitNoise: 0.5, driftPerMonth: 0 },
    { name: "credit-limit-gbm", version: "2.1", releasedOnDay: 402, rolloutDays: 21, logitShift: 0.04, logitNoise: 0.42, driftPerMonth: 0 },
  ],
  fraud: [
    { name: "fraud-net", version: "1.4", releasedOnDay: -95, rolloutDays: 7, logitShift: 0, logitNoise: 0.6, driftPerMonth: 0 },
    { name: "fraud-net", version: "1.5", releasedOnDay: 212, rolloutDays: 7, logitShift: -0.05, logitNoise: 0.5, driftPerMonth: 0 },
    { name: "fraud-net", version: "1.6", releasedOnDay: 521, rolloutDays: 10, logitShift: -0.1, logitNoise: 0.45, driftPerMonth: 0 },
  ],
};

/** The version that scored a decision at `time`: the newest released one, or its predecessor mid-rollout. */
export function chooseModelVersion(kind: DecisionKind, time: number, calendar: DecisionCalendar, random: Random) {
  const versions = modelVersionsByKind[kind];
  const day = (time - calendar.start) / dayMs;
  let index = 0;
  for (let candidate = 0; candidate < versions.length; candidate++) {
    if (versions[candidate]!.releasedOnDay <= day) index = candidate;
  }
  const current = versions[index]!;
  const daysLive = day - current.releasedOnDay;
  if (index > 0 && daysLive < current.rolloutDays && random.next() > daysLive / current.rolloutDays) {
    return versions[index - 1]!;
  }
  return current;
}

/** Logit adjustment of a version at `time`: calibration offset minus accumulated drift. */
export function modelLogitOffset(model: ModelVersion, time: number, calendar: DecisionCalendar) {
  if (model.driftPerMonth === 0) return model.logitShift;
  const monthsLive = Math.max(0, (time - calendar.start) / dayMs - model.releasedOnDay) / 30.4;
  return model.logitShift - model.driftPerMonth * monthsLive;
}
