import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { fixtureIds as ids } from "../fixtures/ids";
import { screenshotTo, signInAs, signInThroughForm } from "./support";

// The review workflow as people use it (issue 4.5): a compliance officer claims a declined decision
// from the queue and proposes to overturn it; she cannot approve her own proposal; a second compliance
// officer approves it (four-eyes). A regional ops manager for Sweden cannot open a German decision.

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical").map((violation) => `${violation.id}: ${violation.help}`);
}

const decisionUrl = `/decisions/${ids.decisions.ukDeclined}`;

test("a compliance officer works the queue and overturns a decline with a second approver", async ({ browser }) => {
  const first = await browser.newContext();
  const page = await first.newPage();
  await signInAs(page, "compliance");

  await page.goto("/reviews?region=UK");
  const queue = page.getByRole("table", { name: "Review queue" });
  const row = queue.getByRole("row").filter({ hasText: "ENG-UK-000006" });
  await expect(row).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await screenshotTo(page, "review-queue");
  await row.getByRole("button", { name: /^Claim review of ENG-UK-000006$/ }).click();
  await expect(page.getByRole("status")).toHaveText("You hold this review now.");
  await expect(queue.getByRole("row").filter({ hasText: "ENG-UK-000006" })).toContainText("Cecilia Lindqvist");

  await page.goto(decisionUrl);
  const decide = page.getByRole("form", { name: "Decide this review" });
  // The verdict needs a reason and a justification; the server says which field is missing.
  await decide.getByLabel("Overturn it").check();
  await decide.getByRole("button", { name: "Record verdict" }).click();
  await expect(page.getByText("Choose the reason for your verdict")).toBeVisible();
  await expect(page.getByText("Give a justification")).toBeVisible();

  const retry = page.getByRole("form", { name: "Decide this review" });
  await retry.getByLabel("Overturn it").check();
  await retry.getByLabel("Reason", { exact: true }).selectOption("history_explained");
  await retry.getByLabel("Justification").fill("The late payments were on a disputed phone bill, settled in full since.");
  await retry.getByRole("button", { name: "Record verdict" }).click();
  await expect(page.getByRole("status")).toContainText("Overturn proposed. A second person with the approve permission must confirm it");
  await expect(page.getByText("A second person with the approve permission must confirm your proposal (four-eyes).")).toBeVisible();
  await expect(page.getByRole("button", { name: "Approve overturn" })).toHaveCount(0);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshotTo(page, "decision-awaiting-approval");
  await first.close();

  const second = await browser.newContext();
  const approverPage = await second.newPage();
  await signInThroughForm(approverPage, "compliance2@attest.test");
  await expect(approverPage.getByRole("heading", { level: 1, name: /^Good to see you, / })).toBeVisible();
  await approverPage.goto(decisionUrl);
  await expect(approverPage.getByText("Cecilia Lindqvist proposes to overturn this decision")).toBeVisible();
  await approverPage.getByLabel("Note (optional)").fill("Checked the settlement letter.");
  await approverPage.getByRole("button", { name: "Approve overturn" }).click();
  await expect(approverPage.getByRole("status")).toContainText("Overturn approved");
  const facts = approverPage.getByRole("region", { name: "Decision" });
  await expect(facts.getByText("overturned")).toBeVisible();
  await expect(approverPage.getByText("Second approver")).toBeVisible();
  // Every step is on the signed ledger, linked to its inclusion proof.
  const audit = approverPage.getByRole("region", { name: /Audit events about this decision/ });
  for (const action of ["review.claimed", "review.overturn_proposed", "review.overturn_approved"]) {
    await expect(audit.getByRole("cell", { name: action })).toBeVisible();
  }
  await screenshotTo(approverPage, "decision-overturned");
  await second.close();
});

test("a contest recorded on the decision page joins its open review at the top of the queue; the decline's notice opens in Swedish", async ({ page }) => {
  await signInAs(page, "compliance");
  await page.goto(`/decisions/${ids.decisions.seDeclined}`);
  await page.getByRole("button", { name: "Record contest" }).click();
  await expect(page.getByText("Record the customer's point of view")).toBeVisible();
  await page.getByLabel("The customer's point of view").fill("The collection entry belongs to her former partner, not to her.");
  await page.getByRole("button", { name: "Record contest" }).click();
  // The decision's referral review is still open: the contest joins it rather than opening a second one.
  await expect(page.getByRole("status")).toContainText("it joins the review already open for this decision, now at the top of the queue");
  await expect(page.getByRole("article")).toHaveCount(1);
  const contest = page.getByRole("article", { name: "referral review" });
  await expect(contest.getByText("answers a customer contest")).toBeVisible();
  // The customer's words may hold personal data: a compliance officer sees that they are withheld.
  await expect(contest.getByText("withheld — may contain personal data (the DPO can read it)")).toBeVisible();
  await expect(page.getByText("The collection entry belongs to her former partner, not to her.")).toHaveCount(0);
  expect(await seriousViolations(page)).toEqual([]);

  await page.goto("/reviews");
  const firstRow = page.getByRole("table", { name: "Review queue" }).getByRole("row").nth(1);
  await expect(firstRow).toContainText("customer contest");
  await expect(firstRow).toContainText("ENG-SE-000001");

  await page.goto(`/decisions/${ids.decisions.seDeclined}/notice?kind=adverse_action`);
  await expect(page.getByRole("heading", { level: 1, name: "Besked om vårt kreditbeslut" })).toBeVisible();
  await expect(page.getByText("att framföra dina synpunkter och att bestrida beslutet")).toBeVisible();
  const pdf = await page.request.get(`/decisions/${ids.decisions.seDeclined}/notice?kind=adverse_action&format=pdf`);
  expect(pdf.headers()["content-type"]).toBe("application/pdf");
  expect((await pdf.body()).subarray(0, 5).toString()).toBe("%PDF-");
  await page.goto(`/decisions/${ids.decisions.seDeclined}`);
  await expect(page.getByRole("region", { name: "Customer notices" }).getByRole("cell", { name: "sv-SE" })).toHaveCount(2);
});

test("a regional ops manager for Sweden cannot open a German decision by URL", async ({ page }) => {
  await signInAs(page, "opsSe");
  await page.goto(`/decisions/${ids.decisions.deFraudHold}`);
  // Exactly what a missing decision shows: no region named (issue 13).
  await expect(page.getByRole("heading", { level: 1, name: "Nothing here" })).toBeVisible();
  await expect(page.getByText("That decision was not found.")).toBeVisible();
  await expect(page.getByText(/region DE/)).toHaveCount(0);
  await page.goto("/decisions/oversight?region=DE");
  await expect(page.getByText("DE is not one of your regions (SE)")).toBeVisible();
});
