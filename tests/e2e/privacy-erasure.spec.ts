import fs from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Download, type Page } from "@playwright/test";
import * as openpgp from "openpgp";
import { erasureSubjectPersonalData, journeyErasureSubject } from "../fixtures/erasure-subject";
import { screenshotTo, signInAs, signInThroughForm } from "./support";

// The DPO's erasure journey (issue 5): export what is held about the customer, then take their erasure
// request from the intake form to the signed certificate — log it, match it to the customer, verify the
// requester's identity, open the erasure plan from the request page and propose it — with a second DPO
// approving and executing it. The customer (tests/fixtures/erasure-subject.ts), whose records sit in
// several retention states, and an answered access request are loaded by serve.ts; the erasure request
// is made here, through the form.

const { ids, reference: customerReference } = journeyErasureSubject;
const personal = erasureSubjectPersonalData(journeyErasureSubject.tag);
// The customer writes from an address Attest does not hold, so the request is matched by hand.
const newEmail = "t.vormwald.newaddress@example.net";

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical").map((violation) => `${violation.id}: ${violation.help}`);
}

async function downloaded(page: Page, click: () => Promise<void>): Promise<{ download: Download; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent("download"), click()]);
  return { download, bytes: fs.readFileSync((await download.path())!) };
}

/** Checks a detached OpenPGP signature against the ledger's published keys (GET /api/v1/audit/keys). */
async function isSignedByLedgerKey(page: Page, bytes: Buffer, armoredSignature: string) {
  const response = await page.request.get("/api/v1/audit/keys?format=json");
  expect(response.ok()).toBe(true);
  const { keys } = (await response.json()) as { keys: { armoredPublicKey: string }[] };
  const verificationKeys = await Promise.all(keys.map((key) => openpgp.readKey({ armoredKey: key.armoredPublicKey })));
  const { signatures } = await openpgp.verify({
    message: await openpgp.createMessage({ binary: new Uint8Array(bytes) }),
    signature: await openpgp.readSignature({ armoredSignature }),
    verificationKeys,
  });
  return signatures[0]!.verified.then(
    () => true,
    () => false,
  );
}

test.describe.configure({ mode: "serial" });

test("the DPO generates a signed access export from the request page", async ({ page }) => {
  await signInAs(page, "dpo");
  await page.goto(`/privacy/${ids.requests.access}`);
  await page.getByRole("link", { name: "Access export", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/privacy/${ids.requests.access}/access-export$`));
  await expect(page.getByRole("heading", { level: 1, name: /^Access export PR-US-ACC-/ })).toBeVisible();
  await page.getByRole("button", { name: "Generate signed export" }).click();
  await expect(page.getByRole("status")).toContainText("generated and signed");
  const link = page.getByRole("link", { name: /^attest-access-export-.*\.zip$/ });
  await expect(link).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await screenshotTo(page, "privacy-access-export");
  const { bytes } = await downloaded(page, () => link.click());
  expect(bytes.subarray(0, 2).toString("latin1")).toBe("PK");

  // The request page lists the export among its files, with its signature.
  await page.goto(`/privacy/${ids.requests.access}`);
  const files = page.getByRole("region", { name: "Files" });
  const signature = await downloaded(page, () => files.getByRole("link", { name: /^Signature of attest-access-export-/ }).click());
  expect(signature.download.suggestedFilename()).toMatch(/\.zip\.asc$/);
  expect(await isSignedByLedgerKey(page, bytes, signature.bytes.toString("utf8"))).toBe(true);
});

test("the DPO takes an erasure request from the intake form to a signed certificate with a second DPO", async ({ page, browser }) => {
  // Intake: the request arrives by email from an address Attest does not know.
  await signInAs(page, "dpo");
  await page.goto("/privacy/new");
  await page.getByLabel("Type of request").selectOption("erasure");
  await page.getByLabel("Region of the request").selectOption("US");
  await page.getByLabel("Received through").selectOption("email");
  await page.getByLabel("Requester's email").fill(newEmail);
  await page.getByLabel("Requester's name").fill(personal.fullName);
  await page.getByLabel("What they asked for").fill("Please delete my account and everything you hold about me.");
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole("button", { name: "Log request" }).click();
  await expect(page.getByRole("status")).toContainText("Request logged. Due");
  const heading = page.getByRole("heading", { level: 1 });
  await expect(heading).toContainText(/PR-US-\d{4}-/);
  const requestReference = (await heading.innerText()).split(" ")[0]!;
  const requestUrl = page.url().replace(/\?.*$/, "");
  await expect(page.getByText("not matched to a customer yet")).toBeVisible();

  // Matching: by the customer reference the requester gave in their email.
  await page.getByLabel("Customer reference").fill("CUS-US-NOBODY-0000");
  await page.getByRole("button", { name: "Match to customer" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "no customer of region US has the reference CUS-US-NOBODY-0000" }).first()).toBeVisible();
  await page.getByLabel("Customer reference").fill(customerReference);
  await page.getByRole("button", { name: "Match to customer" }).click();
  await expect(page.getByRole("status")).toHaveText("Matched to the customer.");
  await expect(page.getByRole("link", { name: customerReference })).toBeVisible();

  // Before identity is verified, the erasure plan cannot be proposed.
  await page.getByRole("link", { name: "Erasure plan", exact: true }).click();
  await expect(page.getByText("The requester's identity must be verified before an erasure is planned.")).toBeVisible();
  await page.goBack();

  // Identity: asked, then what was checked recorded (never a document).
  await page.getByRole("button", { name: "Ask the requester to confirm identity" }).click();
  await expect(page.getByRole("status")).toContainText("Identity check started");
  await page.getByLabel("How identity was checked").selectOption("knowledge_check");
  await page.getByRole("checkbox", { name: "Name matches" }).check();
  await page.getByRole("checkbox", { name: "Date of birth matches" }).check();
  await page.getByLabel("Result").selectOption("verified");
  await page.getByRole("button", { name: "Record identity check" }).click();
  await expect(page.getByRole("status")).toHaveText("Identity verified.");
  expect(await seriousViolations(page)).toEqual([]);
  await screenshotTo(page, "privacy-erasure-request");

  // The erasure plan, opened from the request page.
  await page.getByRole("link", { name: "Erasure plan", exact: true }).click();
  await expect(page).toHaveURL(`${requestUrl}/erasure`);
  await expect(page.getByRole("heading", { level: 1, name: `Erasure ${requestReference}` })).toBeVisible();
  const plan = page.getByRole("table");
  await expect(plan.getByRole("rowheader", { name: /Credit decision records/ })).toBeVisible();
  await expect(plan).toContainText("12 CFR 1002.12");
  await expect(plan).toContainText("31 CFR 1010.430");
  expect(await seriousViolations(page)).toEqual([]);
  await screenshotTo(page, "privacy-erasure-plan");

  // Proposing needs a reason; the proposer cannot approve their own plan.
  await page.getByLabel("Why this plan is right (recorded in the ledger)").fill("Identity verified; nothing outstanding; plan checked against policy.");
  await page.getByRole("button", { name: "Propose this plan for approval" }).click();
  await expect(page.getByRole("status")).toContainText("Plan proposed");
  await expect(page.getByText("You proposed this plan: a second person with the approve permission must approve and execute it.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Approve plan" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Execute erasure" })).toHaveCount(0);

  // The second DPO approves and executes.
  const context = await browser.newContext();
  const second = await context.newPage();
  await signInThroughForm(second, "dpo2@attest.test");
  await expect(second.getByRole("heading", { level: 1, name: /^Good to see you, / })).toBeVisible();
  await second.goto(requestUrl);
  await second.getByRole("link", { name: "Erasure plan", exact: true }).click();
  await expect(second.getByRole("heading", { level: 2, name: "Plan as proposed" })).toBeVisible();
  await second.getByLabel("Your reason (recorded in the ledger)").fill("Matches the retention policy");
  await second.getByRole("button", { name: "Approve plan" }).click();
  await expect(second.getByRole("status")).toContainText("Plan approved");

  // A wrong confirmation is refused with the reason; the right one executes.
  await second.getByLabel(`Type the customer reference ${customerReference} to confirm`).fill("CUS-NOT-THIS-ONE");
  await second.getByRole("button", { name: "Execute erasure" }).click();
  await expect(second.getByRole("alert")).toContainText(`Type the customer reference ${customerReference} exactly`);
  await second.getByLabel(`Type the customer reference ${customerReference} to confirm`).fill(customerReference);
  await second.getByRole("button", { name: "Execute erasure" }).click();
  await expect(second.getByRole("status")).toContainText("Erasure executed");
  await expect(second.getByRole("heading", { level: 1 })).toContainText("completed");
  await expect(second.getByRole("link", { name: `erasure-certificate-${requestReference}.json` })).toBeVisible();
  await expect(second.getByText("restricted").first()).toBeVisible();
  expect(await seriousViolations(second)).toEqual([]);
  await screenshotTo(second, "privacy-erasure-certificate");

  // The request is completed; its page lists the certificate, which downloads with its signature.
  await second.goto(requestUrl);
  await expect(second.getByRole("heading", { level: 1 })).toContainText("completed");
  const files = second.getByRole("region", { name: "Files" });
  const certificate = await downloaded(second, () => files.getByRole("link", { name: `erasure-certificate-${requestReference}.json`, exact: true }).click());
  const signature = await downloaded(second, () => files.getByRole("link", { name: `Signature of erasure-certificate-${requestReference}.json` }).click());
  expect(await isSignedByLedgerKey(second, certificate.bytes, signature.bytes.toString("utf8"))).toBe(true);
  const text = certificate.bytes.toString("utf8");
  expect(JSON.parse(text)).toMatchObject({ subject: { customerReference }, cryptoShredding: { subjectKeyDestroyed: true } });
  for (const value of [personal.fullName, personal.email, newEmail, personal.phone, personal.street, personal.city, personal.postalCode, personal.dateOfBirth]) {
    expect(text).not.toContain(value);
  }

  // The customer page now holds no personal data.
  await second.goto(`/customers/${ids.customer}`);
  await expect(second.getByText("Erased: no personal data is held.")).toBeVisible();
  await expect(second.getByText("processing restricted")).toBeVisible();
  await context.close();
});
