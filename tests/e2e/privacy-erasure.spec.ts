import fs from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { erasureSubjectPersonalData, journeyErasureSubject } from "../fixtures/erasure-subject";
import { screenshotTo, signInAs, signInThroughForm } from "./support";

// The DPO's erasure journey (issue 5): export what is held about the customer, then take their erasure
// request from the plan to the signed certificate, with a second DPO approving and executing it.
// The subject (tests/fixtures/erasure-subject.ts) is loaded by serve.ts with identity already verified.
// TODO(merge): start at the intake form of /privacy/new once the request workflow is merged.

const { ids, reference } = journeyErasureSubject;
const personal = erasureSubjectPersonalData(journeyErasureSubject.tag);

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical").map((violation) => `${violation.id}: ${violation.help}`);
}

test.describe.configure({ mode: "serial" });

test("the DPO generates a signed access export of everything held about the customer", async ({ page }) => {
  await signInAs(page, "dpo");
  await page.goto(`/privacy/${ids.requests.access}/access-export`);
  await expect(page.getByRole("heading", { level: 1, name: /^Access export PR-US-ACC-/ })).toBeVisible();
  await page.getByRole("button", { name: "Generate signed export" }).click();
  await expect(page.getByRole("status")).toContainText("generated and signed");
  const link = page.getByRole("link", { name: /^attest-access-export-.*\.zip$/ });
  await expect(link).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await screenshotTo(page, "privacy-access-export");
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  const bytes = fs.readFileSync((await download.path())!);
  expect(bytes.subarray(0, 2).toString("latin1")).toBe("PK");
});

test("the DPO takes an erasure request from plan to signed certificate with a second DPO", async ({ page, browser }) => {
  await signInAs(page, "dpo");
  await page.goto(`/privacy/${ids.requests.erasure}/erasure`);
  await expect(page.getByRole("heading", { level: 1, name: /^Erasure PR-US-ERA-/ })).toBeVisible();
  const plan = page.getByRole("table");
  await expect(plan.getByRole("rowheader", { name: /Credit decision records/ })).toBeVisible();
  await expect(plan).toContainText("12 CFR 1002.12");
  await expect(plan).toContainText("31 CFR 1010.430");
  expect(await seriousViolations(page)).toEqual([]);
  await screenshotTo(page, "privacy-erasure-plan");

  // Proposing needs a reason; the proposer cannot approve their own plan.
  await page.getByLabel("Why this plan is right (recorded in the ledger)").fill("Identity verified; nothing outstanding; plan checked against policy.");
  await page.getByRole("button", { name: "Propose this plan for approval" }).click();
  await expect(page.getByRole("status")).toContainText("Plan proposed");
  await expect(page.getByText("You proposed this plan: a second person with the approve permission must approve and execute it.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Approve plan" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Execute erasure" })).toHaveCount(0);

  // The second DPO approves and executes.
  const context = await browser.newContext();
  const second = await context.newPage();
  await signInThroughForm(second, "dpo2@attest.test");
  await expect(second.getByRole("heading", { level: 1, name: /^Good to see you, / })).toBeVisible();
  await second.goto(`/privacy/${ids.requests.erasure}/erasure`);
  await expect(second.getByRole("heading", { level: 2, name: "Plan as proposed" })).toBeVisible();
  await second.getByLabel("Your reason (recorded in the ledger)").fill("Matches the retention policy");
  await second.getByRole("button", { name: "Approve plan" }).click();
  await expect(second.getByRole("status")).toContainText("Plan approved");

  // A wrong confirmation is refused with the reason; the right one executes.
  await second.getByLabel(`Type the customer reference ${reference} to confirm`).fill("CUS-NOT-THIS-ONE");
  await second.getByRole("button", { name: "Execute erasure" }).click();
  await expect(second.getByRole("alert")).toContainText(`Type the customer reference ${reference} exactly`);
  await second.getByLabel(`Type the customer reference ${reference} to confirm`).fill(reference);
  await second.getByRole("button", { name: "Execute erasure" }).click();
  await expect(second.getByRole("status")).toContainText("Erasure executed");
  await expect(second.getByRole("heading", { level: 1 })).toContainText("completed");
  const certificateLink = second.getByRole("link", { name: /^erasure-certificate-PR-US-ERA-.*\.json$/ });
  await expect(certificateLink).toBeVisible();
  await expect(second.getByText("restricted").first()).toBeVisible();
  expect(await seriousViolations(second)).toEqual([]);
  await screenshotTo(second, "privacy-erasure-certificate");

  const [download] = await Promise.all([second.waitForEvent("download"), certificateLink.click()]);
  const certificate = fs.readFileSync((await download.path())!, "utf8");
  expect(JSON.parse(certificate)).toMatchObject({ subject: { customerReference: reference }, cryptoShredding: { subjectKeyDestroyed: true } });
  expect(certificate).not.toContain(personal.fullName);
  expect(certificate).not.toContain(personal.email);

  // The customer page now holds no personal data.
  await second.goto(`/customers/${ids.customer}`);
  await expect(second.getByText("Erased: no personal data is held.")).toBeVisible();
  await expect(second.getByText("processing restricted")).toBeVisible();
  await context.close();
});
