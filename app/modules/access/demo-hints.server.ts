import { demoPassword, demoStaff } from "../../../prisma/seed/demo-staff";
import { isDemoMode } from "~/utils/env.server";

/** The demo accounts for the sign-in page, in demo mode only (never against production data). */
export function demoSignInHints() {
  if (!isDemoMode) return null;
  return {
    password: demoPassword,
    accounts: demoStaff.map(({ email, purpose }) => ({ email, description: purpose })),
  };
}
