import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { screenshotTo, signInAs } from "./support";

// The DPO's journey with a privacy request: log it from the form, verify the requester's identity,
// extend the deadline with a reason, and read the days left on the request and in the list.

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical").map((violation) => `${violation.id}: ${violation.nodes[0]?.html.slice(0, 160)}`);
}

/** Today in Stockholm, as a date input wants it. */
function todayInStockholm() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Stockholm", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

test("a DPO logs a request, verifies identity, extends the deadline with a reason and sees the days left", async ({ page }) => {
  await signInAs(page, "dpo");
  await page.getByRole("link", { name: "Privacy requests", exact: true }).click();
  await page.getByRole("link", { name: "New request" }).click();
  expect(await seriousViolations(page)).toEqual([]);

  // A form sent without a subject names the field to fill in.
  await page.getByLabel("Type of request").selectOption("portability");
  await page.getByLabel("Region of the request").selectOption("SE");
  await page.getByLabel("Received through").selectOption("email");
  await page.getByRole("button", { name: "Log request" }).click();
  await expect(page.getByText("Give the customer reference or the requester's email")).toBeVisible();

  await page.getByLabel("Customer reference").fill("CUS-SE-000001");
  await page.getByLabel("What they asked for").fill("A machine-readable copy of my purchase history.");
  await page.getByRole("button", { name: "Log request" }).click();
  await expect(page.getByRole("status")).toContainText("Request logged. Due");
  await expect(page.getByRole("heading", { level: 1 })).toContainText(/PR-SE-\d{4}-/);
  const reference = (await page.getByRole("heading", { level: 1 }).innerText()).split(" ")[0]!;
  await expect(page.getByText("unverified", { exact: true }).first()).toBeVisible();

  // Identity: what was checked is recorded, never a document.
  await page.getByText("Record an identity check").click();
  await page.getByLabel("How identity was checked").selectOption("email_on_file");
  await page.getByRole("checkbox", { name: "Email matches the address on file" }).check();
  await page.getByRole("checkbox", { name: "Date of birth matches" }).check();
  await page.getByLabel("Result").selectOption("verified");
  await page.getByRole("button", { name: "Record identity check" }).click();
  await expect(page.getByRole("status")).toHaveText("Identity verified.");
  await expect(page.getByText("none (checks recorded only)")).toBeVisible();

  // An extension without a reason is refused with a message naming it.
  await page.getByText("Extend the deadline").click();
  await page.getByLabel("Day the requester was told").fill(todayInStockholm());
  await page.getByRole("button", { name: "Extend deadline" }).click();
  await expect(page.getByRole("alert").filter({ hasText: /^record the reason for the extension/ })).toBeVisible();

  // The form stays open with the error beside the field.
  await page.getByLabel("Reason (told to the requester)").fill("Complex request covering several years of purchases");
  await page.getByLabel("Day the requester was told").fill(todayInStockholm());
  await page.getByRole("button", { name: "Extend deadline" }).click();
  await expect(page.getByRole("status")).toContainText("Deadline extended by 2 months to");
  await expect(page.getByText("Complex request covering several years of purchases")).toBeVisible();
  // Two further months on top of the first: at least 80 days left, in the green band.
  const left = page.locator("dd").filter({ hasText: /^\d+ days$/ });
  await expect(left).toBeVisible();
  expect(Number((await left.innerText()).split(" ")[0])).toBeGreaterThanOrEqual(80);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshotTo(page, "privacy-request-extended");

  // The list shows it with its days left and the extended due date.
  await page.goto(`/privacy?q=${reference}`);
  const row = page.getByRole("row").filter({ hasText: reference });
  await expect(row).toContainText("extended");
  await expect(row).toContainText(/\d+ days/);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshotTo(page, "privacy-request-list");
});

test("a DPO sees the rectification form refuse an empty correction, and cannot approve their own refusal", async ({ page }) => {
  await signInAs(page, "dpo");
  await page.goto("/privacy/new");
  await page.getByLabel("Type of request").selectOption("rectification");
  await page.getByLabel("Region of the request").selectOption("US");
  await page.getByLabel("Received through").selectOption("phone");
  await page.getByLabel("Customer reference").fill("CUS-US-000001");
  await page.getByRole("button", { name: "Log request" }).click();
  await expect(page.getByRole("status")).toContainText("Request logged. Due");
  await expect(page.getByText("CCPA / CPRA: 45 days from receipt")).toBeVisible();

  await page.getByText("Record an identity check").click();
  await page.getByLabel("How identity was checked").selectOption("knowledge_check");
  await page.getByRole("checkbox", { name: "A recent order confirmed" }).check();
  await page.getByLabel("Result").selectOption("verified");
  await page.getByRole("button", { name: "Record identity check" }).click();
  await expect(page.getByRole("status")).toHaveText("Identity verified.");

  await page.getByText("Rectify personal data").click();
  await page.getByRole("button", { name: "Save corrections" }).click();
  await expect(page.getByRole("alert").filter({ hasText: /^enter at least one new value/ })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await screenshotTo(page, "privacy-request-rectification");

  await page.getByText("Propose a refusal").click();
  await page.getByLabel("Reason for refusal").fill("The disputed address matches the customer's signed order confirmation");
  await page.getByRole("button", { name: "Propose refusal" }).click();
  await expect(page.getByRole("heading", { name: "Refusal waiting for a second DPO" })).toBeVisible();
  await expect(page.getByText("You proposed this refusal: a second DPO must approve or reject it.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Approve refusal" })).toHaveCount(0);
  await expect(page.getByText("California Attorney General").first()).toBeVisible();
});
