import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { signInAs } from "./support";

// WCAG 2.1 AA checks with axe: no serious or critical violation on the sign-in page and a home page.

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => {
      const where = violation.nodes.slice(0, 3).map((node) => `${node.html.slice(0, 120)} — ${node.failureSummary?.split("\n").slice(1).join(" ").trim() ?? ""}`);
      return `${violation.impact}: ${violation.id} — ${violation.help}\n    ${where.join("\n    ")}`;
    });
}

test("the sign-in page has no serious accessibility violations", async ({ page }) => {
  await page.goto("/login");
  expect(await seriousViolations(page)).toEqual([]);
});

test("the compliance officer's home has no serious accessibility violations", async ({ page }) => {
  await signInAs(page, "compliance");
  expect(await seriousViolations(page)).toEqual([]);
});

test("the administrator's home has no serious accessibility violations", async ({ page }) => {
  await signInAs(page, "admin");
  expect(await seriousViolations(page)).toEqual([]);
});
