import type { Role } from "~/generated/prisma/enums";
import type { RegionCode } from "~/modules/access/regions.server";

// Demo staff created by `npm run seed`: one account per role, plus a second compliance officer, a
// second DPO and a second admin so four-eyes approvals (DESIGN.md §5) can be tried out. Tests and the README use this
// list; the password is for demo databases only.

export const demoPassword = "attest-demo";

const allRegions: RegionCode[] = ["SE", "DE", "NL", "UK", "US", "AU"];

export interface DemoStaffMember {
  email: string;
  displayName: string;
  role: Role;
  regions: RegionCode[];
  /** What this account is for in a demo. */
  purpose: string;
}

export const demoStaff: readonly DemoStaffMember[] = [
  {
    email: "compliance@attest.test",
    displayName: "Cecilia Lindqvist",
    role: "compliance_officer",
    regions: allRegions,
    purpose: "Works the review queue, overturns decisions, approves rule-set versions",
  },
  {
    email: "compliance2@attest.test",
    displayName: "Jonas Weber",
    role: "compliance_officer",
    regions: allRegions,
    purpose: "Second compliance officer: the four-eyes approver",
  },
  {
    email: "ops.se@attest.test",
    displayName: "Sara Nyström",
    role: "regional_ops_manager",
    regions: ["SE"],
    purpose: "Regional operations for Sweden only",
  },
  {
    email: "ops.uk@attest.test",
    displayName: "Oliver Bennett",
    role: "regional_ops_manager",
    regions: ["UK"],
    purpose: "Regional operations for the United Kingdom only",
  },
  {
    email: "fraud@attest.test",
    displayName: "Mila de Vries",
    role: "fraud_analyst",
    regions: ["SE", "DE", "NL"],
    purpose: "Reviews fraud holds in Sweden, Germany and the Netherlands",
  },
  {
    email: "dpo@attest.test",
    displayName: "Anna Hoffmann",
    role: "dpo",
    regions: allRegions,
    purpose: "Owns privacy requests, approves erasures, sees unmasked personal data",
  },
  // Privacy erasure (issue 5): the second DPO who approves and executes an erasure the first proposed.
  {
    email: "dpo2@attest.test",
    displayName: "Lukas Brandt",
    role: "dpo",
    regions: allRegions,
    purpose: "Second DPO: approves and executes erasures (four-eyes)",
  },
  {
    email: "auditor@attest.test",
    displayName: "Priya Shah",
    role: "auditor",
    regions: allRegions,
    purpose: "Reads everything in scope with personal data masked; exports evidence packs",
  },
  {
    email: "admin@attest.test",
    displayName: "Erik Johansson",
    role: "admin",
    regions: allRegions,
    purpose: "Manages staff, API tokens and signing keys; sees no customer data",
  },
  {
    email: "admin2@attest.test",
    displayName: "Hannah Clarke",
    role: "admin",
    regions: allRegions,
    purpose: "Second admin: approves signing-key rotation",
  },
];

export function findDemoStaff(email: string) {
  return demoStaff.find((member) => member.email === email);
}
