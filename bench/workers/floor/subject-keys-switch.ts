// See without-subject-keys.mjs: the real subject-keys module, with createSubjectKeys switchable off.
import * as real from "../../../app/modules/customers/subject-keys.server";

export * from "../../../app/modules/customers/subject-keys.server";

export const subjectKeySwitch = { createKeysForNewSubjects: true, calls: 0 };

export async function createSubjectKeys(...args: Parameters<typeof real.createSubjectKeys>): ReturnType<typeof real.createSubjectKeys> {
  subjectKeySwitch.calls++;
  if (!subjectKeySwitch.createKeysForNewSubjects) return new Map();
  return real.createSubjectKeys(...args);
}
