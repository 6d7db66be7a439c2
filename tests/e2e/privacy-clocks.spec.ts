import { expect, test } from "@playwright/test";
import { screenshotTo, signInAs } from "./support";

// Issue 14: the UK clock under Art. 12A. The DPO logs a request received ten days ago, asks for identity
// information, and records that it arrived four days ago while checking it today: the clock runs from
// the day it arrived, both days are shown apart, and the due-date rule is shown with its citation.

/** A day relative to today in London, as a date input wants it. */
function dayInLondon(daysAgo: number) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(Date.now() - daysAgo * 86_400_000));
}

test("a DPO records when the UK identity information arrived, and the clock runs from that day", async ({ page }) => {
  await signInAs(page, "dpo");
  await page.goto("/privacy/new");
  await page.getByLabel("Type of request").selectOption("rectification");
  await page.getByLabel("Region of the request").selectOption("UK");
  await page.getByLabel("Received through").selectOption("post");
  await page.getByLabel("Customer reference").fill("CUS-UK-000001");
  await page.getByLabel("Day received").fill(dayInLondon(10));
  await page.getByRole("button", { name: "Log request" }).click();
  await expect(page.getByRole("status")).toContainText("Request logged. Due");
  await expect(page.getByText(/One month from the latest of receipt.*UK GDPR Art\. 12A/)).toBeVisible();

  await page.getByRole("button", { name: "Ask the requester to confirm identity" }).click();
  await expect(page.getByRole("status")).toContainText("Identity check started");
  await page.getByLabel("How identity was checked").selectOption("postal_letter");
  await page.getByRole("checkbox", { name: "Postal address matches" }).check();
  await page.getByLabel("Result").selectOption("verified");
  await page.getByLabel("Day the identity information arrived").fill(dayInLondon(4));
  await page.getByRole("button", { name: "Record identity check" }).click();
  await expect(page.getByRole("status")).toContainText(`The statutory clock runs from ${dayInLondon(4)}`);
  await expect(page.getByText("Identity information arrived")).toBeVisible();
  await expect(page.getByText("Identity checked")).toBeVisible();
  await screenshotTo(page, "privacy-request-uk-clock");
});
