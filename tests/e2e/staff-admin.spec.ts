import crypto from "node:crypto";
import { expect, test } from "@playwright/test";
import { signInAs, signInThroughForm } from "./support";

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

  await expect(page.getByText("Account created.")).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: "Noor Analyst" })).toBeVisible();

  await page.goto("/admin/staff");
  const row = page.getByRole("row").filter({ hasText: email });
  await expect(row).toContainText("Fraud analyst");
  await expect(row).toContainText("DE, NL");
  await expect(row).toContainText("Active");

  // The new person can sign in (in a separate browser context)…
  const newcomer = await browser.newContext();
  const newcomerPage = await newcomer.newPage();
  await signInThroughForm(newcomerPage, email, password);
  await expect(newcomerPage.getByText(/^Fraud analyst · DE, NL$/)).toBeVisible();

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
