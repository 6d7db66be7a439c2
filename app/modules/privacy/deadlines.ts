import type { DeadlineBand } from "./ui/badges";

// The statutory clock of a privacy request as the list shows it (DESIGN.md §9). The due dates
// themselves are set per regime when the request is received or extended; this only reads them.

const DAY_MS = 86_400_000;
const AMBER_DAYS = 10;
const RED_DAYS = 5;

/** Days left until the effective due date (the extended one when an extension was recorded). */
export function deadlineOf(request: { state: string; dueAt: Date; extendedDueAt: Date | null }, now = new Date()) {
  const due = request.extendedDueAt ?? request.dueAt;
  const remaining = due.getTime() - now.getTime();
  const daysLeft = remaining >= 0 ? Math.floor(remaining / DAY_MS) : -Math.ceil(-remaining / DAY_MS);
  const isClosed = request.state === "completed" || request.state === "refused";
  const band: DeadlineBand = isClosed
    ? "closed"
    : remaining < 0
      ? "overdue"
      : daysLeft <= RED_DAYS
        ? "red"
        : daysLeft <= AMBER_DAYS
          ? "amber"
          : "ok";
  return { effectiveDueAt: due, daysLeft, band };
}
