import { ForbiddenError, subject as asSubject, type ForcedSubject, type PureAbility } from "@casl/ability";
import { permittedFieldsOf } from "@casl/ability/extra";
import { accessibleBy, createAbilityFactory, type PrismaQueryOf } from "@casl/prisma/runtime";
import type { Prisma } from "~/generated/prisma/client";
import type { Role } from "~/generated/prisma/enums";
import { accessPolicy, personalDataFields, type Action, type SubjectName } from "./policy.server";

// CASL abilities compiled from policies/access.yaml for one signed-in actor, once per request.

export interface AbilityActor {
  id: string;
  role: Role;
  regions: string[];
}

type Conditions = PrismaQueryOf<Prisma.TypeMap>;
export type AppAbility = PureAbility<[Action, SubjectName | ForcedSubject<SubjectName>], Conditions>;

const createPrismaAbility = createAbilityFactory<Prisma.ModelName, Conditions>();

function interpolate(value: unknown, actor: AbilityActor): unknown {
  if (value === "$regions") return actor.regions;
  if (value === "$userId") return actor.id;
  if (Array.isArray(value)) return value.map((item) => interpolate(item, actor));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, actor)]));
  }
  return value;
}

export function defineAbilityFor(actor: AbilityActor): AppAbility {
  const rolePolicy = accessPolicy.roles[actor.role];
  const rules = rolePolicy.rules.map((rule) => ({
    action: rule.actions,
    subject: rule.subject,
    fields: rule.fields,
    inverted: rule.inverted,
    conditions: rule.conditions ? (interpolate(rule.conditions, actor) as Conditions) : undefined,
  }));
  return createPrismaAbility(rules as never) as unknown as AppAbility;
}

/** A database row as a CASL subject instance, so conditions are checked against the record itself. */
export function subjectOf<T extends Record<string, unknown>>(type: SubjectName, row: T) {
  return asSubject(type, { ...row });
}

/** The Prisma `where` that limits a list to what the actor may see (accessibleBy), for one model. */
export function accessibleWhere<M extends keyof ReturnType<typeof accessibleBy<AppAbility>>>(
  ability: AppAbility,
  action: Action,
  model: M,
) {
  return accessibleBy(ability, action)[model];
}

export function assertCan(ability: AppAbility, action: Action, target: SubjectName | ForcedSubject<SubjectName>, field?: string) {
  ForbiddenError.from(ability).throwUnlessCan(action, target as never, field);
}

const MASK = "••••••";

/**
 * Personal data fields the actor may not read are replaced on the server, before anything is sent:
 * masking in the browser would still ship the data (DESIGN.md §5).
 */
export function maskPersonalData<T extends Record<string, unknown>>(
  ability: AppAbility,
  customer: { regionCode: string } & Record<string, unknown>,
  personalData: T,
): { data: T; isMasked: boolean } {
  const instance = subjectOf("Customer", customer);
  const masked: Record<string, unknown> = { ...personalData };
  let isMasked = false;
  for (const field of personalDataFields) {
    if (field in masked && !ability.can("read", instance as never, field)) {
      masked[field] = MASK;
      isMasked = true;
    }
  }
  return { data: masked as T, isMasked };
}

/**
 * Free text written about a subject (their own words, staff notes, reasons given to them) may hold
 * their personal data. It is sent only to roles that may read all of the customer's personal data
 * fields (the DPO); everyone else gets this in its place, from the server.
 */
export const WITHHELD_FREE_TEXT = "withheld — may contain personal data";

export function canReadPersonalData(ability: AppAbility, customer: { regionCode: string } & Record<string, unknown>) {
  const instance = subjectOf("Customer", customer);
  return personalDataFields.every((field) => ability.can("read", instance as never, field));
}

export function readableFields(ability: AppAbility, type: SubjectName, allFields: string[]) {
  return permittedFieldsOf(ability, "read", type, { fieldsFrom: (rule) => rule.fields ?? allFields });
}

export { ForbiddenError };
