import { expect, test } from "@playwright/test";
import { personas, signInThroughForm } from "./support";

test("a wrong password shows an error and keeps the person on the sign-in page", async ({ page }) => {
  await signInThroughForm(page, personas.auditor.email, "definitely-not-the-password");
  await expect(page.getByRole("alert")).toHaveText("The email or password is not correct, or the account is not active.");
  await expect(page).toHaveURL(/\/login/);
  // Still signed out: a protected page sends the person back to sign in.
  await page.goto("/account");
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Faccount$/);
});

test("signing in from a deep link returns the person to it, and signing out ends the session", async ({ page }) => {
  await page.goto("/reviews");
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Freviews$/);
  await page.getByLabel("Work email").fill(personas.compliance.email);
  await page.getByLabel("Password").fill("attest-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/reviews$/);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goBack();
  await page.reload();
  await expect(page).toHaveURL(/\/login/);
});
