import { describe, expect, it } from "vitest";
import { slaOf } from "./sla";

const now = new Date("2026-11-28T12:00:00Z");
const hours = (n: number) => new Date(now.getTime() + n * 3_600_000);

describe("review SLA bands", () => {
  it("is red once overdue, amber within 24 hours, green otherwise", () => {
    expect(slaOf({ status: "open", dueAt: hours(-1) }, now).slaBand).toBe("overdue");
    expect(slaOf({ status: "claimed", dueAt: hours(23) }, now).slaBand).toBe("due_soon");
    expect(slaOf({ status: "open", dueAt: hours(25) }, now).slaBand).toBe("on_time");
  });

  it("has no clock once the review is closed", () => {
    expect(slaOf({ status: "closed", dueAt: hours(-100) }, now).slaBand).toBe("closed");
  });
});
