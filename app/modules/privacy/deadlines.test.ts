import { describe, expect, it } from "vitest";
import { deadlineOf } from "./deadlines";

const now = new Date("2026-11-28T12:00:00Z");
const days = (n: number) => new Date(now.getTime() + n * 86_400_000);

describe("privacy request deadline bands", () => {
  it("counts from the extended due date when there is one", () => {
    expect(deadlineOf({ state: "in_progress", dueAt: days(-3), extendedDueAt: days(40) }, now)).toMatchObject({ daysLeft: 40, band: "ok" });
  });

  it("turns amber at 10 days, red at 5 and stays red once overdue", () => {
    expect(deadlineOf({ state: "in_progress", dueAt: days(11), extendedDueAt: null }, now).band).toBe("ok");
    expect(deadlineOf({ state: "in_progress", dueAt: days(10), extendedDueAt: null }, now).band).toBe("amber");
    expect(deadlineOf({ state: "in_progress", dueAt: days(5), extendedDueAt: null }, now).band).toBe("red");
    expect(deadlineOf({ state: "in_progress", dueAt: days(-0.1), extendedDueAt: null }, now)).toMatchObject({ band: "overdue", daysLeft: -1 });
  });

  it("stops the clock for completed and refused requests", () => {
    expect(deadlineOf({ state: "completed", dueAt: days(-30), extendedDueAt: null }, now).band).toBe("closed");
    expect(deadlineOf({ state: "refused", dueAt: days(2), extendedDueAt: null }, now).band).toBe("closed");
  });
});
