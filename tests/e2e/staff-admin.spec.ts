import crypto from "node:crypto";
import { expect, test } from "@playwright/test";
import { screenshotTo, signInAs, signInThroughForm } from "./support";

test("an administrator creates a staff account, finds it in the list and deactivates it with a justification", async ({ page, browser }) => {
  const email = `new.analyst.${crypto.randomBytes(3).toString("hex")}@attest.test`;
  const password = "a-strong-initial-password";
  await signInAs(page, "admin");

  await page.getByRole("link", { name: "Staff", exact: true }).click();
  await page.getByRole("link", { name: "New staff account" }).click();
  await page.getByLabel("Work email").fill(email);
  await page.getByLabel("Full name").fill("Noor Analyst");
  await page.getByLabel("Role").selectOption({ label: "Fraud analyst" });
  await page.getByRole("checkbox", { name: "DE" }).check();
  await page.getByRole("checkbox", { name: "NL" }).check();
  await page.getByLabel("Initial password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();

  await expect(page.getByText("Account created. It can sign in once a second administrator approves it.")).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: "Noor Analyst" })).toBeVisible();
  // The creator sees the pending change but no Approve button: four-eyes (ADR 014).
  await expect(page.getByRole("button", { name: "Approve" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Withdraw" })).toBeVisible();

  await page.goto("/admin/staff");
  const row = page.getByRole("row").filter({ hasText: email });
  await expect(row).toContainText("Fraud analyst");
  await expect(row).toContainText("DE, NL");
  await expect(row).toContainText("Awaiting approval");

  // The new person cannot sign in yet (in a separate browser context)…
  const newcomer = await browser.newContext();
  const newcomerPage = await newcomer.newPage();
  await signInThroughForm(newcomerPage, email, password);
  await expect(newcomerPage.getByRole("alert")).toContainText("not correct, or the account is not active");

  // …until a second administrator approves the account.
  const second = await browser.newContext();
  const secondPage = await second.newPage();
  await signInThroughForm(secondPage, "admin2@attest.test");
  await secondPage.goto("/admin/staff");
  await expect(secondPage.getByRole("heading", { name: "Waiting for a second administrator" })).toBeVisible();
  await secondPage.getByRole("row").filter({ hasText: email }).getByRole("link", { name: "Noor Analyst" }).click();
  await screenshotTo(secondPage, "staff-change-awaiting-approval");
  await secondPage.getByLabel("Justification (recorded in the audit ledger)").first().fill("Hire confirmed by HR ticket 88");
  await secondPage.getByRole("button", { name: "Approve" }).click();
  await expect(secondPage.getByRole("status")).toHaveText("Change approved; it applies now.");
  await second.close();

  await signInThroughForm(newcomerPage, email, password);
  await expect(newcomerPage.getByText(/^Fraud analyst · DE, NL$/)).toBeVisible();
  await page.goto("/admin/staff");
  await expect(row).toContainText("Active");

  // …until the administrator deactivates the account, which also ends that open session.
  await row.getByRole("link", { name: "Noor Analyst" }).click();
  await page.getByLabel("Justification (recorded in the audit ledger)").last().fill("Contract ended early");
  await page.getByRole("button", { name: "Deactivate" }).click();
  await expect(page.getByRole("status")).toHaveText("Account deactivated; its sessions were ended.");
  await expect(page.getByText("Deactivated", { exact: true }).first()).toBeVisible();

  await newcomerPage.reload();
  await expect(newcomerPage).toHaveURL(/\/login/);
  await signInThroughForm(newcomerPage, email, password);
  await expect(newcomerPage.getByRole("alert")).toContainText("not correct, or the account is not active");
  await newcomer.close();

  await page.goto("/admin/staff");
  await expect(page.getByRole("row").filter({ hasText: email })).toContainText("Deactivated");
});

test("an administrator is refused deactivating their own account", async ({ page }) => {
  await signInAs(page, "admin");
  await page.getByRole("link", { name: "Staff", exact: true }).click();
  await page.getByRole("row").filter({ hasText: "admin@attest.test" }).getByRole("link").click();
  await expect(page.getByRole("button", { name: "Deactivate" })).toHaveCount(0);
});
