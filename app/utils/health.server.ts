import { db } from "./db.server";

export async function checkDatabase() {
  try {
    await db.$queryRaw`SELECT 1`;
    return true;
  } catch {
    return false;
  }
}
