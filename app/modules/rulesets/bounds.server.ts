import { z } from "zod";
import { findRegion, RegionCodeSchema } from "~/modules/access/regions.server";
import { loadPolicyFile } from "~/utils/policy-file.server";
import { parameterDisplay } from "./parameters";
import { parameterTypes, parameterUnits, validateRuleSetParameters, type ParameterBound, type RegionRuleBounds } from "./schema";

// policies/rule-set-bounds.yaml as typed data, validated at start-up: every numeric parameter has a
// type, a unit and a bound; a region may only narrow a known parameter.

const numericPaths = parameterDisplay.filter((entry) => entry.kind !== "features").map((entry) => entry.path);
const PathSchema = z.string().refine((path) => numericPaths.includes(path), { message: `not a numeric rule-set parameter (one of ${numericPaths.join(", ")})` });

const DefaultBoundSchema = z
  .object({
    type: z.enum(parameterTypes),
    unit: z.enum(parameterUnits),
    min: z.number().optional(),
    max: z.number().optional(),
    why: z.string().min(3),
  })
  .strict();
const RegionBoundSchema = z.object({ min: z.number().optional(), max: z.number().optional(), why: z.string().min(3) }).strict();

const BoundsPolicySchema = z
  .object({
    version: z.literal(1),
    defaults: z.record(PathSchema, DefaultBoundSchema),
    regions: z.record(RegionCodeSchema, z.record(PathSchema, RegionBoundSchema)),
  })
  .superRefine((policy, context) => {
    for (const path of numericPaths) {
      if (!policy.defaults[path]) context.addIssue({ code: z.ZodIssueCode.custom, path: ["defaults"], message: `${path} has no default bound` });
    }
  });

const policy = loadPolicyFile("rule-set-bounds.yaml", BoundsPolicySchema);

const labels = new Map(parameterDisplay.map((entry) => [entry.path, entry.label]));
export const parameterLabel = (path: string) => labels.get(path) ?? path;

/** The bounds in force for a region: the defaults, narrowed by the region's own entries. */
export function ruleBoundsFor(regionCode: string): RegionRuleBounds {
  const region = findRegion(regionCode);
  if (!region) throw new Error(`unknown region ${regionCode}`);
  const narrowed = policy.regions[region.code] ?? {};
  const bounds: ParameterBound[] = Object.entries(policy.defaults).map(([path, base]) => {
    const own = narrowed[path];
    return {
      path,
      type: base.type,
      unit: base.unit,
      min: own?.min ?? base.min ?? null,
      max: own?.max ?? base.max ?? null,
      minWhy: own?.min !== undefined ? own.why : base.why,
      maxWhy: own?.max !== undefined ? own.why : base.why,
    };
  });
  return { regionCode: region.code, currency: region.currency, bounds };
}

/** Server-side validation of a draft for its region (the same function the editor runs). */
export function validateParametersForRegion(regionCode: string, parameters: unknown) {
  return validateRuleSetParameters(parameters, ruleBoundsFor(regionCode), parameterLabel);
}
