import fs from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { screenshotTo, signInAs } from "./support";

// The decision explorer as its users work it (issue 4 §3): sort, filter and choose columns, with the
// whole view in the address so it can be shared; export what is on screen as CSV within one's regions.

test("compliance sorts by score, filters a score range, hides a column, shares the address and exports it", async ({ page }) => {
  await signInAs(page, "compliance");
  await page.goto("/decisions");
  const table = page.getByRole("table", { name: "Decisions" });
  await expect(table).toBeVisible();

  await table.getByRole("link", { name: /^Score/ }).click();
  await expect(page).toHaveURL(/sort=score/);
  // The address changes before the sorted page renders (a transition); the filter form is rendered
  // afresh with it, so a value typed before then would be lost. The sorted header says it has rendered.
  await expect(table.getByRole("columnheader", { name: /^Score/ })).toHaveAttribute("aria-sort", "descending");
  await page.getByLabel("Score from").fill("0.2");
  await page.getByLabel("Score to").fill("0.6");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/scoreMin=0\.2/);
  const scores = (await table.locator("tbody tr td.num").filter({ hasText: /^0\.\d{3}$/ }).allInnerTexts()).map(Number);
  expect(scores.length).toBeGreaterThan(0);
  for (const score of scores) expect(score).toBeGreaterThanOrEqual(0.2);
  expect(scores.every((score) => score <= 0.6)).toBe(true);

  await page.getByText("Columns", { exact: false }).click();
  await page.getByRole("link", { name: "Hide the Model column" }).click();
  await expect(page).toHaveURL(/cols=/);
  await expect(table.getByRole("columnheader", { name: "Model" })).toHaveCount(0);

  // The address alone reproduces the view.
  const shared = page.url();
  await page.goto("/decisions");
  await page.goto(shared);
  await expect(table.getByRole("columnheader", { name: "Model" })).toHaveCount(0);
  await expect(page.getByLabel("Score from")).toHaveValue("0.2");

  const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(axe.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical").map((violation) => violation.id)).toEqual([]);
  await screenshotTo(page, "decision-explorer-compliance");

  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const download = await downloading;
  const csv = fs.readFileSync((await download.path())!, "utf8");
  const [header, ...rows] = csv.trim().split("\n");
  expect(header).toMatch(/^decision_id,external_id,decided_at/);
  expect(rows.length).toBe(scores.length);
});

test("the Swedish ops manager exports only Swedish decisions; the fraud analyst is offered no export", async ({ page, browser }) => {
  await signInAs(page, "opsSe");
  await page.goto("/decisions");
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const csv = fs.readFileSync((await (await downloading).path())!, "utf8");
  const regions = csv.trim().split("\n").slice(1).map((row) => row.split(",")[4]);
  expect(regions.length).toBeGreaterThan(0);
  expect(new Set(regions)).toEqual(new Set(["SE"]));

  const fraudContext = await browser.newContext();
  const fraudPage = await fraudContext.newPage();
  await signInAs(fraudPage, "fraud");
  await fraudPage.goto("/decisions");
  await expect(fraudPage.getByRole("table", { name: "Decisions" })).toBeVisible();
  await expect(fraudPage.getByRole("link", { name: "Export CSV" })).toHaveCount(0);
  const refused = await fraudPage.request.get("/decisions/export");
  expect(refused.status()).toBe(403);
  await fraudContext.close();
});
