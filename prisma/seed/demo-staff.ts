import type { Role } from "../../app/generated/prisma/enums";

// The demo staff accounts, one per role plus the second people four-eyes approvals need.
// Demo data only: production staff are created by an administrator.
export const DEMO_PASSWORD = "attest-demo";

export interface DemoStaffMember {
  email: string;
  displayName: string;
  role: Role;
  regions: string[];
  description: string;
}

const allRegions = ["SE", "DE", "NL", "UK", "US", "AU"];

export const demoStaff: DemoStaffMember[] = [
  { email: "compliance@attest.test", displayName: "Clara Lindqvist", role: "compliance_officer", regions: allRegions, description: "Compliance officer, all regions" },
  { email: "compliance2@attest.test", displayName: "Jonas Weber", role: "compliance_officer", regions: allRegions, description: "Second compliance officer (four-eyes approvals)" },
  { email: "ops.se@attest.test", displayName: "Erik Nilsson", role: "regional_ops_manager", regions: ["SE"], description: "Regional ops manager, Sweden only" },
  { email: "ops.uk@attest.test", displayName: "Hannah Price", role: "regional_ops_manager", regions: ["UK"], description: "Regional ops manager, United Kingdom only" },
  { email: "fraud@attest.test", displayName: "Lena Vogel", role: "fraud_analyst", regions: ["SE", "DE", "NL"], description: "Fraud analyst, SE, DE and NL" },
  { email: "dpo@attest.test", displayName: "Pieter de Vries", role: "dpo", regions: allRegions, description: "Data protection officer, all regions" },
  { email: "auditor@attest.test", displayName: "Amira Haddad", role: "auditor", regions: allRegions, description: "Auditor, read-only, personal data masked" },
  { email: "admin@attest.test", displayName: "Sam Okafor", role: "admin", regions: [], description: "Administrator: staff accounts, no customer data" },
  { email: "admin2@attest.test", displayName: "Mia Johansson", role: "admin", regions: [], description: "Second administrator (four-eyes approvals)" },
];
