import fs from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";
import { artifactsDir } from "../support/paths";
import { fixturePassword, personas, type PersonaName } from "../fixtures/staff";

// Shared steps of the browser journeys: signing in through the real form, as a person would.

export { personas, type PersonaName };

export async function signInThroughForm(page: Page, email: string, password = fixturePassword) {
  await page.goto("/login");
  await page.getByLabel("Work email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signInAs(page: Page, persona: PersonaName) {
  await signInThroughForm(page, personas[persona].email);
  await expect(page.getByRole("heading", { level: 1, name: /^Good to see you, / })).toBeVisible();
}

export async function screenshotTo(page: Page, name: string) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: path.join(artifactsDir, "screenshots", `${name}.png`), fullPage: true });
}

/** The forbidden page a person sees, naming the permission their role lacks. */
export async function expectForbidden(page: Page, missingPermission: string | RegExp) {
  await expect(page.getByRole("heading", { level: 1, name: "You do not have access to this page" })).toBeVisible();
  await expect(page.getByText("403 · Forbidden")).toBeVisible();
  await expect(page.getByTestId("missing-permission")).toHaveText(missingPermission);
}
