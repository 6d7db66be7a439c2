import { expect, test } from "@playwright/test";
import { signInAs } from "./support";

// The auditor verifies the ledger against a checkpoint kept outside Attest (issue 12): what is not a
// checkpoint is refused at the field; the signed note saved from /api/v1/audit/checkpoint proves the
// current ledger extends it; the checkpoint card shows the witnesses' cosignatures.

test("an auditor verifies the ledger against a saved signed checkpoint", async ({ page }) => {
  await signInAs(page, "auditor");
  await page.goto("/audit/verify");
  // Wait for the first checkpoint of the run's database (signed within a second of the first event).
  let note = "";
  await expect(async () => {
    const response = await page.request.get("/api/v1/audit/checkpoint");
    expect(response.status()).toBe(200);
    expect(response.headers()["content-type"]).toContain("text/plain");
    note = await response.text();
  }).toPass({ timeout: 15_000 });
  expect(note).toMatch(/^\S+\n\d+\n[A-Za-z0-9+/]+=*\n\n— /);

  await page.getByText("Verify against a checkpoint kept outside Attest").click();
  await page.getByLabel(/Trusted checkpoint/).fill("not a checkpoint");
  await page.getByRole("button", { name: "Verify the ledger now" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Trusted checkpoint:" })).toBeVisible();
  await page.screenshot({ path: "tests/.artifacts/ledger-trust-field-error.png", fullPage: true });

  await page.getByLabel(/Trusted checkpoint/).fill(note);
  await page.getByRole("button", { name: "Verify the ledger now" }).click();
  await expect(page.getByTestId("verification-result")).toContainText("The ledger is intact", { timeout: 60_000 });
  await expect(page.getByTestId("checkpoint-witnesses")).toContainText("no cosignature yet");
  await page.screenshot({ path: "tests/.artifacts/ledger-trust-verified.png", fullPage: true });
});
