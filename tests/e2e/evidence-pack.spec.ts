import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { screenshotTo, signInAs } from "./support";

// The auditor's evidence pack journey (issue 11): pick a scope with an audit sample, see the estimate,
// build the pack, watch its progress, download it — then check the zip with the verifier inside it,
// gpg and sha256sum, as an outside auditor would.

test("an auditor builds a pack with a sample, watches it build, downloads it and it verifies", async ({ page }) => {
  test.setTimeout(180_000);
  await signInAs(page, "auditor");
  await page.getByRole("link", { name: "Evidence packs" }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: "Evidence packs" })).toBeVisible();

  await page.getByLabel("From (UTC day)").fill("2000-01-01");
  await page.getByLabel("Sample size").fill("2");
  await page.getByLabel("Seed").fill("e2e-seed-1");
  await page.getByRole("button", { name: "Estimate rows" }).click();
  await expect(page.getByRole("status")).toContainText(/About [\d,]+ rows/);
  await screenshotTo(page, "evidence-scope-estimate");

  await page.getByRole("button", { name: "Build the pack" }).click();
  const row = page.locator("tr[data-pack-id]").first();
  await expect(row).toBeVisible();
  await expect(row.getByRole("link", { name: "Download" })).toBeVisible({ timeout: 120_000 });
  await expect(row.getByText("completed")).toBeVisible();
  await screenshotTo(page, "evidence-pack-list");

  const [download] = await Promise.all([page.waitForEvent("download"), row.getByRole("link", { name: "Download" }).click()]);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "attest-e2e-pack-"));
  try {
    const zip = path.join(work, "pack.zip");
    await download.saveAs(zip);
    expect(download.suggestedFilename()).toMatch(/^evidence-pack-.*\.zip$/);
    execFileSync("unzip", ["-q", zip, "-d", path.join(work, "out")]);
    const [top] = fs.readdirSync(path.join(work, "out"));
    const dir = path.join(work, "out", top!);
    const verify = spawnSync(process.execPath, ["verify.mjs", "--require-gpg"], { cwd: dir, encoding: "utf8" });
    expect(`${verify.stdout}${verify.stderr}`).toContain("PASS");
    expect(verify.status).toBe(0);
    expect(spawnSync("sha256sum", ["-c", "--quiet", "SHA256SUMS"], { cwd: dir }).status).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
    expect(manifest.sample).toMatchObject({ seed: "e2e-seed-1", size: 2, method: "attest-sample/v1" });
    expect(manifest.requester.role).toBe("auditor");

    // The summary opens offline.
    await page.goto(`file://${path.join(dir, "index.html")}`);
    await expect(page.getByRole("heading", { level: 1, name: "Evidence pack" })).toBeVisible();
    await screenshotTo(page, "evidence-pack-index");
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
