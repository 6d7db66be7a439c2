import { hash, verify } from "@node-rs/argon2";

// OWASP password storage guidance: argon2id, 19 MiB memory, 2 iterations, 1 lane.
const options = { algorithm: 2 /* Algorithm.Argon2id (a const enum) */, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string) {
  return hash(password, options);
}

export async function verifyPassword(passwordHash: string, password: string) {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// Compared against when the email is unknown, so a miss costs the same time as a wrong password.
export const decoyPasswordHash = await hashPassword("attest-decoy-password-never-used");
