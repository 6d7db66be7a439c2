import { describe, expect, it } from "vitest";
import { reviewTriggerFor } from "./queue-rules.server";
import { reviewDueAt } from "./sla";

const bands = { approveAbove: 0.7, declineBelow: 0.4 };

describe("queue rules for ingested decisions", () => {
  it("queues referrals and fraud holds whatever the score", () => {
    expect(reviewTriggerFor({ kind: "credit", outcome: "referred", score: 0.95 }, bands)).toBe("referral");
    expect(reviewTriggerFor({ kind: "fraud", outcome: "fraud_hold", score: 0.99 }, null)).toBe("fraud_hold");
  });

  it("queues credit and limit decisions in the grey band between decline-below and approve-above", () => {
    expect(reviewTriggerFor({ kind: "credit", outcome: "approved", score: 0.4 }, bands)).toBe("grey_band");
    expect(reviewTriggerFor({ kind: "limit", outcome: "declined", score: 0.69 }, bands)).toBe("grey_band");
    expect(reviewTriggerFor({ kind: "credit", outcome: "approved", score: 0.7 }, bands)).toBeNull();
    expect(reviewTriggerFor({ kind: "credit", outcome: "declined", score: 0.39 }, bands)).toBeNull();
    // Fraud scores are on another scale; without an active rule set there is no band.
    expect(reviewTriggerFor({ kind: "fraud", outcome: "approved", score: 0.5 }, bands)).toBeNull();
    expect(reviewTriggerFor({ kind: "credit", outcome: "approved", score: 0.5 }, null)).toBeNull();
  });

  it("gives a fraud hold a shorter deadline than a referral", () => {
    const now = new Date("2026-11-28T09:00:00Z");
    expect(reviewDueAt("fraud_hold", now).toISOString()).toBe("2026-11-29T09:00:00.000Z");
    expect(reviewDueAt("referral", now).toISOString()).toBe("2026-11-30T09:00:00.000Z");
  });
});
