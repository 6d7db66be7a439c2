import fs from "node:fs";
import path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";

// Policies are reviewed data (DESIGN.md §3): YAML under policies/, validated with zod at start-up.
// A bad file stops the process with the file, the line and the field that is wrong.

export const policiesDir = path.resolve(process.env.ATTEST_POLICIES_DIR ?? "policies");

export class PolicyFileError extends Error {}

export function loadPolicyFile<T extends z.ZodTypeAny>(fileName: string, schema: T): z.infer<T> {
  const filePath = path.join(policiesDir, fileName);
  const text = fs.readFileSync(filePath, "utf8");
  return parsePolicyText(`policies/${fileName}`, text, schema);
}

export function parsePolicyText<T extends z.ZodTypeAny>(label: string, text: string, schema: T): z.infer<T> {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new PolicyFileError(`${label}: ${document.errors[0]!.message}`);
  }
  const result = schema.safeParse(document.toJS());
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const node = document.getIn(issue.path, true) as { range?: [number, number] } | undefined;
    const line = node?.range ? `line ${lineCounter.linePos(node.range[0]).line}: ` : "";
    return `  ${line}${issue.path.join(".") || "(root)"}: ${issue.message}`;
  });
  throw new PolicyFileError(`${label} is invalid:\n${problems.join("\n")}`);
}
