import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { fixtureIds as ids } from "../fixtures/ids";
import { screenshotTo, signInAs, signInThroughForm } from "./support";

// The rule-set journey (issue 9): ops.se drafts a change from the active Swedish version, sees the
// diff as she types, runs the backtest and submits; a compliance officer approves it with a chosen
// effective time; the signed API serves the new version from that time on. ops.uk can neither see nor
// touch the Swedish draft.

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical").map((violation) => `${violation.id}: ${violation.help}`);
}

/** "YYYY-MM-DDTHH:mm" in Stockholm, `minutes` from now, rounded up to the next whole minute. */
function stockholmLocal(minutes: number) {
  const at = new Date(Math.ceil((Date.now() + minutes * 60_000) / 60_000) * 60_000);
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Stockholm", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(at).map((part) => [part.type, part.value]));
  return { local: `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`, at };
}

test("ops drafts, backtests and submits; compliance approves for a chosen time; the API serves it then", async ({ browser, request }) => {
  test.setTimeout(240_000);
  const ops = await (await browser.newContext()).newPage();
  await signInAs(ops, "opsSe");
  await ops.goto("/rulesets");
  await ops.getByRole("button", { name: "New draft for SE" }).click();
  await expect(ops.getByRole("heading", { level: 1 })).toContainText("v3");
  const draftUrl = ops.url();

  // The diff against the active version follows the keystrokes; an out-of-bounds value is named inline.
  const fraudHold = ops.getByLabel("Fraud hold at or above");
  await fraudHold.fill("0.3");
  await expect(ops.getByText(/Fraud hold at or above must be at least 0\.5 in SE/)).toBeVisible();
  await expect(ops.getByRole("button", { name: "Save draft" })).toBeDisabled();
  await fraudHold.fill("0.8");
  const diff = ops.getByRole("region", { name: /Compared with the active version/ });
  await expect(diff.getByRole("listitem").filter({ hasText: "Fraud hold at or above" })).toContainText("0.85 → 0.80");
  expect(await seriousViolations(ops)).toEqual([]);
  await screenshotTo(ops, "ruleset-editor");
  await ops.getByRole("button", { name: "Save draft" }).click();
  await expect(ops.getByRole("status").filter({ hasText: "Draft saved" })).toBeVisible();

  await ops.getByRole("button", { name: "Run backtest" }).click();
  await expect(ops.getByRole("heading", { name: "Backtest result" })).toBeVisible({ timeout: 60_000 });
  await expect(ops.getByText(/stored decisions in SE decided from/)).toBeVisible();
  await ops.reload();
  await expect(ops.getByRole("heading", { name: "Backtest result" })).toBeVisible();
  await screenshotTo(ops, "ruleset-backtest");
  await ops.getByLabel("Change note for the approver").fill("Lower the fraud hold to 0.80 after the holiday review.");
  await ops.getByRole("button", { name: "Submit for approval" }).click();
  await expect(ops.getByRole("status").filter({ hasText: "Submitted for approval" })).toBeVisible();

  // ops.uk: the Swedish draft is not theirs to see or change.
  const uk = await (await browser.newContext()).newPage();
  await signInThroughForm(uk, "ops.uk@attest.test");
  await expect(uk.getByRole("heading", { level: 1, name: /^Good to see you, / })).toBeVisible();
  await uk.goto("/rulesets");
  await expect(uk.getByRole("heading", { name: /Sweden/ })).toHaveCount(0);
  // Outside their region it answers exactly as a version that does not exist (no existence oracle).
  const ukView = await uk.goto(draftUrl);
  expect(ukView!.status()).toBe(404);
  // Same-origin, so that the refusal comes from the authorization check and not from the CSRF guard.
  const ukPost = await uk.request.post(draftUrl, { form: { intent: "withdraw", revision: "3", reason: "not mine" }, headers: { Origin: new URL(draftUrl).origin } });
  expect(ukPost.status()).toBe(404);

  // An API token for the Swedish engine, created by an administrator.
  const admin = await (await browser.newContext()).newPage();
  await signInAs(admin, "admin");
  await admin.goto("/admin/api-tokens");
  await admin.getByLabel("Name").fill("engine-se-rules");
  await admin.locator('input[name="scopes"][value="rulesets:read"]').check();
  await admin.locator('input[name="regions"][value="SE"]').check();
  await admin.getByRole("button", { name: "Create token" }).click();
  const token = (await admin.getByTestId("new-token").textContent())!.trim();
  const fetchActive = async () => {
    const response = await request.get("/api/v1/rulesets/SE/active", { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status()).toBe(200);
    return JSON.parse(await response.text()) as { version: number; parameters: { fraudHoldAbove: number } };
  };
  expect((await fetchActive()).version).toBe(1);

  const compliance = await (await browser.newContext()).newPage();
  await signInAs(compliance, "compliance");
  await compliance.goto("/rulesets");
  const inbox = compliance.getByRole("region", { name: "Waiting for your approval" });
  await inbox.getByRole("link", { name: "SE v3" }).click();
  expect(await seriousViolations(compliance)).toEqual([]);
  const { local, at } = stockholmLocal(1);
  await compliance.getByLabel(/Effective from \(Europe\/Stockholm time\)/).fill(local);
  await screenshotTo(compliance, "ruleset-approval");
  await compliance.getByRole("button", { name: "Approve v3" }).click();
  await expect(compliance.getByRole("status").filter({ hasText: "Approved: takes effect" })).toBeVisible();

  // Before the chosen time the engine still gets v1; from it on, v3.
  if (Date.now() < at.getTime() - 2_000) expect((await fetchActive()).version).toBe(1);
  await expect.poll(async () => (await fetchActive()).version, { timeout: 150_000, intervals: [2_000] }).toBe(3);
  expect((await fetchActive()).parameters.fraudHoldAbove).toBe(0.8);
  await compliance.goto(`/rulesets/${ids.ruleSetVersions.seActive}`);
  await expect(compliance.getByRole("heading", { level: 1 })).toContainText("v1");
});
