// See without-subject-keys.mjs: the real subject-keys module, with createSubjectKeys switchable off.
import * as real from "../../../app/modules/customers/subject-keys.server";

export * from "../../../app/modules/customers/subject-keys.server";

/** Whether keys are created, how often it was called, and the time spent creating them (ms, each call). */
export const subjectKeySwitch = { createKeysForNewSubjects: true, calls: 0, creatingMs: [] as number[] };

export async function createSubjectKeys(...args: Parameters<typeof real.createSubjectKeys>): ReturnType<typeof real.createSubjectKeys> {
  subjectKeySwitch.calls++;
  if (!subjectKeySwitch.createKeysForNewSubjects) return new Map();
  const startedAt = process.hrtime.bigint();
  const keys = await real.createSubjectKeys(...args);
  subjectKeySwitch.creatingMs.push(Number(process.hrtime.bigint() - startedAt) / 1e6);
  return keys;
}
