import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { fixtureIds as ids } from "../fixtures/ids";
import { screenshotTo, signInAs, signInThroughForm } from "./support";

// Issues 4 and 5 together: a customer's contest taken by phone is answered by its priority review. The
// reviewer cannot answer it before the DPO has verified who called; once verified, upholding the
// decision completes the contest's privacy request, whose page then offers the review-outcome notice.

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical").map((violation) => `${violation.id}: ${violation.help}`);
}

const decisionUrl = `/decisions/${ids.decisions.usApproved}`;

test("closing a contest's review completes the contest, and its page offers the outcome notice", async ({ page, browser }) => {
  // Compliance records the contest the customer phoned in, and claims its review.
  await signInAs(page, "compliance");
  await page.goto(decisionUrl);
  await page.getByLabel("The customer's point of view").fill("My limit was set before my salary rise; please have a person look again.");
  await page.getByRole("button", { name: "Record contest" }).click();
  await expect(page.getByRole("status")).toContainText("a priority review is at the top of the queue");
  const review = page.getByRole("article", { name: "customer contest review" });
  const contestReference = (await review.getByRole("link", { name: /^PR-US-/ }).innerText()).trim();
  await review.getByRole("button", { name: "Claim to work" }).click();

  // Not answerable yet: the caller's identity is unverified, and the reviewer is told so.
  const decide = async () => {
    const form = page.getByRole("form", { name: "Decide this review" });
    await form.getByLabel("Uphold the automated decision").check();
    await form.getByLabel("Reason", { exact: true }).selectOption("contest_rejected");
    await form.getByLabel("Justification").fill("The limit follows the income verified at application; no new evidence was sent.");
    await form.getByRole("button", { name: "Record verdict" }).click();
  };
  await decide();
  await expect(page.getByRole("alert")).toContainText(`The customer's contest ${contestReference} cannot be answered yet: verify the requester's identity`);

  // The DPO follows the contest from the decision page and verifies the caller.
  const dpoContext = await browser.newContext();
  const dpo = await dpoContext.newPage();
  await signInThroughForm(dpo, "dpo@attest.test");
  await expect(dpo.getByRole("heading", { level: 1, name: /^Good to see you, / })).toBeVisible();
  await dpo.goto(decisionUrl);
  await dpo.getByRole("link", { name: contestReference }).click();
  await expect(dpo.getByRole("heading", { level: 1 })).toContainText(contestReference);
  await expect(dpo.getByText("The request completes when that review closes.")).toBeVisible();
  await dpo.getByLabel("How identity was checked").selectOption("knowledge_check");
  await dpo.getByRole("checkbox", { name: "Name matches" }).check();
  await dpo.getByRole("checkbox", { name: "Date of birth matches" }).check();
  await dpo.getByLabel("Result").selectOption("verified");
  await dpo.getByRole("button", { name: "Record identity check" }).click();
  await expect(dpo.getByRole("status")).toHaveText("Identity verified.");

  // Now the verdict closes the review and completes the contest.
  await page.reload();
  await decide();
  await expect(page.getByRole("status")).toBeVisible();
  await expect(review.getByText("upheld")).toBeVisible();

  await dpo.reload();
  await expect(dpo.getByRole("heading", { level: 1 })).toContainText("completed");
  const outcome = dpo.getByTestId("contest-outcome");
  await expect(outcome).toContainText("the automated decision stands");
  await expect(dpo.getByText("Human review closed: the automated decision stands.")).toBeVisible();
  expect(await seriousViolations(dpo)).toEqual([]);
  await screenshotTo(dpo, "contest-request-completed");
  const noticeUrl = await outcome.getByRole("link", { name: "printable page" }).getAttribute("href");
  expect(noticeUrl).toBe(`${decisionUrl}/notice?kind=review_outcome`);
  await dpo.goto(noticeUrl!);
  await expect(dpo.getByRole("heading", { level: 1, name: "Outcome of the human review of our decision" })).toBeVisible();
  await dpoContext.close();
});
