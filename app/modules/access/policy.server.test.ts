import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";

// policies/access.yaml is reviewed data validated at start-up: a mistake must stop the process and
// name the line a reviewer has to fix, not fail open or surface later as a wrong answer.

const realPolicy = fs.readFileSync(path.resolve("policies/access.yaml"), "utf8");
const lines = realPolicy.split("\n");

/** Line number (1-based) of the first line containing `needle` in the real policy. */
function lineOf(needle: string, after = 0) {
  const index = lines.findIndex((line, i) => i >= after && line.includes(needle));
  if (index < 0) throw new Error(`policy fixture drifted: "${needle}" not found in policies/access.yaml`);
  return index + 1;
}

/** Loads policy.server with `text` as policies/access.yaml, the way the app does at start-up. */
async function loadAccessPolicy(text: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "attest-policy-"));
  fs.writeFileSync(path.join(dir, "access.yaml"), text);
  vi.stubEnv("ATTEST_POLICIES_DIR", dir);
  vi.resetModules();
  try {
    return await import("./policy.server");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function loadError(text: string) {
  const error = await loadAccessPolicy(text).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error, "the broken policy was accepted").toBeInstanceOf(Error);
  expect((error as Error).constructor.name).toBe("PolicyFileError");
  return (error as Error).message;
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe("access policy validation", () => {
  it("accepts the shipped policy with all six roles", async () => {
    const { accessPolicy } = await loadAccessPolicy(realPolicy);
    expect(Object.keys(accessPolicy.roles).sort()).toEqual(["admin", "auditor", "compliance_officer", "dpo", "fraud_analyst", "regional_ops_manager"]);
  });

  it("names the line of an action that does not exist", async () => {
    const auditorStart = lineOf("  auditor:");
    const target = lineOf("{ subject: Review, actions: [read], conditions: { regionCode: { in: $regions } } }", auditorStart);
    const broken = lines.map((line, i) => (i === target - 1 ? line.replace("actions: [read]", "actions: [read, delete]") : line)).join("\n");
    const message = await loadError(broken);
    expect(message).toContain("policies/access.yaml is invalid");
    expect(message).toMatch(new RegExp(`line ${target}: roles\\.auditor\\.rules\\.\\d+\\.actions\\.1:`));
  });

  it("names the line of a personal-data field granted under a misspelt name", async () => {
    const target = lineOf("{ subject: Customer, actions: [read], fields: [id, reference");
    const broken = lines.map((line, i) => (i === target - 1 ? line.replace("fields: [id,", "fields: [ssn, id,") : line)).join("\n");
    const message = await loadError(broken);
    expect(message).toContain(`line ${target}: roles.compliance_officer.rules.`);
    expect(message).toContain("unknown Customer field(s): ssn");
  });

  it("refuses conditions on a capability such as the Ledger", async () => {
    const target = lineOf("{ subject: Ledger, actions: [verify] }");
    const broken = lines
      .map((line, i) => (i === target - 1 ? line.replace("actions: [verify] }", "actions: [verify], conditions: { regionCode: SE } }") : line))
      .join("\n");
    const message = await loadError(broken);
    expect(message).toContain(`line ${target}:`);
    expect(message).toContain("Ledger is a capability, not a record");
  });

  it("refuses a policy that leaves out a role instead of granting it nothing silently", async () => {
    const start = lineOf("  admin:");
    const message = await loadError(lines.slice(0, start - 1).join("\n"));
    expect(message).toContain("roles.admin");
    expect(message).toContain("Required");
  });

  it("reports a YAML syntax error with its line", async () => {
    const target = lineOf("  dpo:");
    const broken = lines.map((line, i) => (i === target ? "    label: [Data protection officer" : line)).join("\n");
    const message = await loadError(broken);
    expect(message).toMatch(/^policies\/access\.yaml: /);
    expect(message).toMatch(/line \d+/);
  });
});

describe("parsePolicyText", () => {
  it("points at the offending value of any policy file", async () => {
    const { parsePolicyText } = await import("~/utils/policy-file.server");
    const schema = z.object({ version: z.literal(1), regions: z.array(z.object({ code: z.string().length(2) })) });
    const text = ["version: 1", "regions:", "  - code: SE", "  - code: Sweden", ""].join("\n");
    expect(() => parsePolicyText("policies/regions.yaml", text, schema)).toThrowError(/line 4: regions\.1\.code: String must contain exactly 2 character/);
  });
});
