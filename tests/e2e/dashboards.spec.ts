import fs from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { expectForbidden, screenshotTo, signInAs, type PersonaName } from "./support";

// The dashboards as each role opens them (issue 10): every permitted dashboard renders its charts,
// a chart's table view drills down into the explorer with the segment's filters and as many rows as
// the chart counted, and a dashboard outside the role answers with the 403 page.

const permitted: Record<Exclude<PersonaName, "admin">, string[]> = {
  compliance: ["risk", "fraud", "model", "fairness", "operations"],
  auditor: ["risk", "fraud", "model", "fairness", "operations"],
  opsSe: ["risk", "fraud", "operations"],
  fraud: ["fraud"],
  dpo: ["operations"],
};
const allDashboards = ["risk", "fraud", "model", "fairness", "operations"];

// Five pages with charts and a full-page screenshot each: more than the default minute on a busy machine.
test.describe.configure({ timeout: 180_000 });

async function expectChartsRendered(page: Page) {
  const charts = page.locator("figure.chart");
  await expect(charts.first()).toBeVisible();
  // Each chart shows either its drawing or its empty message, never nothing.
  for (const chart of await charts.all()) {
    await expect(chart.locator("svg.recharts-surface, p.empty").first()).toBeVisible();
  }
}

for (const [persona, dashboards] of Object.entries(permitted) as [Exclude<PersonaName, "admin">, string[]][]) {
  test(`${persona} opens the dashboards the role allows and is refused the others`, async ({ page }) => {
    await signInAs(page, persona);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboards" }).click();
    await expect(page).toHaveURL(new RegExp(`/dashboards/${dashboards[0]}`));
    for (const dashboard of dashboards) {
      await page.goto(`/dashboards/${dashboard}`);
      await expect(page.getByRole("heading", { level: 1, name: /dashboard$/ })).toBeVisible();
      await expectChartsRendered(page);
      await screenshotTo(page, `dashboard-${dashboard}-${persona}`);
    }
    for (const dashboard of allDashboards.filter((name) => !dashboards.includes(name))) {
      await page.goto(`/dashboards/${dashboard}`);
      await expectForbidden(page, `read Dashboard (${dashboard})`);
    }
  });
}

test("admin has no Dashboards entry and is refused them", async ({ page }) => {
  await signInAs(page, "admin");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboards" })).toHaveCount(0);
  await page.goto("/dashboards/risk");
  await expectForbidden(page, "read Dashboard (risk)");
});

test("a rate drills down into the explorer with the segment's filters and as many decisions", async ({ page }) => {
  await signInAs(page, "opsSe");
  await page.goto("/dashboards/risk");
  const chart = page.locator('figure[data-chart="risk-outcome-rates"]');
  await chart.getByRole("button", { name: "Table" }).click();
  const table = chart.getByRole("table");
  // The newest month with decisions: its approval rate and count give the approved decisions.
  const rows = table.locator("tbody tr");
  let target: { link: string; approved: number } | null = null;
  for (let index = (await rows.count()) - 1; index >= 0 && !target; index--) {
    const row = rows.nth(index);
    const decisions = Number((await row.locator("td").nth(3).innerText()).replace(/,/g, ""));
    const rate = await row.locator("td").nth(0).innerText();
    if (decisions > 0 && rate !== "–" && rate !== "0.0%") {
      target = { link: (await row.locator("td").nth(0).getByRole("link").getAttribute("href"))!, approved: Math.round((Number(rate.replace("%", "")) / 100) * decisions) };
    }
  }
  expect(target, "a month with approved credit decisions").not.toBeNull();

  const downloading = page.waitForEvent("download");
  await chart.getByRole("button", { name: "CSV" }).click();
  const csv = fs.readFileSync((await (await downloading).path())!, "utf8");
  expect(csv.split("\n")[0]).toBe("Month,Approval rate,Referral rate,Decline rate,Decisions");

  await page.goto(target!.link);
  await expect(page).toHaveURL(/\/decisions\?kind=credit&outcome=approved&from=\d{4}-\d{2}-01&to=\d{4}-\d{2}-\d{2}/);
  await expect(page.getByLabel("Outcome", { exact: true })).toHaveValue("approved");
  await expect(page.getByText(`${target!.approved} decisions on this page`)).toBeVisible();
});
