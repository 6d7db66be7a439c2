import { expect, test } from "@playwright/test";
import { expectForbidden, screenshotTo, signInAs, type PersonaName } from "./support";

// One journey per demo role: sign in through the form, land on the home built for that role, and be
// refused — with the missing permission named — a page outside the role or its regions.

interface Journey {
  persona: PersonaName;
  roleLine: RegExp;
  /** Cards and sections this role's home must show. */
  sees: string[];
  /** …and must not show (work for other roles). */
  doesNotSee: string[];
  forbidden: { url: string; missingPermission: string }[];
}

const journeys: Journey[] = [
  {
    persona: "compliance",
    roleLine: /^Compliance officer · AU, DE, NL, SE, UK, US$/,
    sees: ["reviews waiting", "awaiting your second approval", "open privacy requests", "Rule-set versions awaiting your approval", "Automated decisions, last 30 days"],
    doesNotSee: ["active staff accounts"],
    forbidden: [{ url: "/admin/staff", missingPermission: "read StaffUser" }],
  },
  {
    persona: "opsSe",
    roleLine: /^Regional operations manager · SE$/,
    sees: ["reviews waiting", "customer contests", "Rule-set drafts in your regions", "Automated decisions, last 30 days"],
    doesNotSee: ["open privacy requests", "active staff accounts"],
    forbidden: [
      { url: "/admin/staff", missingPermission: "read StaffUser" },
    ],
  },
  {
    persona: "fraud",
    roleLine: /^Fraud analyst · DE, NL, SE$/,
    sees: ["reviews waiting", "Automated decisions, last 30 days"],
    doesNotSee: ["open privacy requests", "active staff accounts"],
    forbidden: [
      { url: "/privacy", missingPermission: "read PrivacyRequest" },
    ],
  },
  {
    persona: "dpo",
    roleLine: /^Data protection officer · AU, DE, NL, SE, UK, US$/,
    sees: ["open privacy requests", "Privacy requests near their deadline"],
    doesNotSee: ["active staff accounts", "Rule-set"],
    forbidden: [{ url: "/rulesets", missingPermission: "read RuleSetVersion" }],
  },
  {
    persona: "auditor",
    roleLine: /^Auditor · AU, DE, NL, SE, UK, US$/,
    sees: ["reviews waiting", "open privacy requests", "Automated decisions, last 30 days"],
    doesNotSee: ["active staff accounts", "awaiting your second approval"],
    forbidden: [{ url: "/admin/staff/new", missingPermission: "create StaffUser" }],
  },
  {
    persona: "admin",
    roleLine: /^Administrator/,
    sees: ["active staff accounts", "privileged accounts without two-step", "deactivated accounts"],
    doesNotSee: ["reviews waiting", "open privacy requests", "Automated decisions, last 30 days"],
    forbidden: [{ url: "/decisions", missingPermission: "read Decision" }],
  },
];

for (const journey of journeys) {
  test(`${journey.persona}: signs in, sees their home, and is refused what is outside their role`, async ({ page }) => {
    await signInAs(page, journey.persona);
    await expect(page).toHaveURL(/\/$/);
    const main = page.locator("main");
    await expect(main.getByText(journey.roleLine)).toBeVisible();
    for (const text of journey.sees) await expect(main.getByText(text, { exact: false }).first(), `home shows "${text}"`).toBeVisible();
    for (const text of journey.doesNotSee) await expect(main.getByText(text, { exact: false }), `home hides "${text}"`).toHaveCount(0);
    await screenshotTo(page, `home-${journey.persona}`);

    for (const { url, missingPermission } of journey.forbidden) {
      const response = await page.goto(url);
      expect(response?.status(), url).toBe(403);
      await expectForbidden(page, missingPermission);
    }
    await screenshotTo(page, `forbidden-${journey.persona}`);
  });
}

test("the Swedish ops manager's decision list holds only Swedish decisions", async ({ page }) => {
  await signInAs(page, "opsSe");
  await page.goto("/decisions");
  const rows = page.locator("table tbody tr");
  await expect(rows).toHaveCount(2);
  for (const region of await rows.locator("td:nth-child(3)").allTextContents()) expect(region.trim()).toBe("SE");
  await expect(page.getByText("ENG-DE-", { exact: false })).toHaveCount(0);
});
