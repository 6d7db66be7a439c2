import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createCookie } from "@remix-run/node";
import { env, isSecureCookie } from "./env.server";
import { logger } from "./logger.server";

// The session cookie carries only a random session id, signed; the session row (StaffSession) holds the
// rest, so sign-out, deactivation and MFA reset end a session everywhere at once.

function resolveSessionSecret() {
  if (env.SESSION_SECRET) return env.SESSION_SECRET;
  if (env.DATABASE_URL && env.NODE_ENV === "production") {
    throw new Error("SESSION_SECRET must be set (32+ characters) when running against PostgreSQL in production");
  }
  // Embedded/demo mode: generate once and keep it beside the embedded database.
  const secretPath = path.resolve(path.dirname(env.EMBEDDED_DB_DIR), "session-secret");
  if (!fs.existsSync(secretPath)) {
    fs.mkdirSync(path.dirname(secretPath), { recursive: true });
    fs.writeFileSync(secretPath, crypto.randomBytes(48).toString("base64url"), { mode: 0o600 });
    logger.warn(`generated a session secret at ${secretPath} (demo mode); set SESSION_SECRET in production`);
  }
  return fs.readFileSync(secretPath, "utf8").trim();
}

export const sessionCookie = createCookie("__attest_session", {
  httpOnly: true,
  sameSite: "lax",
  secure: isSecureCookie,
  path: "/",
  secrets: [resolveSessionSecret()],
  maxAge: env.SESSION_ABSOLUTE_HOURS * 3600,
});

export async function readSessionId(request: Request): Promise<string | null> {
  const value = (await sessionCookie.parse(request.headers.get("Cookie"))) as unknown;
  return typeof value === "string" && value.length > 0 ? value : null;
}

export function commitSessionId(sessionId: string) {
  return sessionCookie.serialize(sessionId);
}

export function clearSessionCookie() {
  return sessionCookie.serialize("", { maxAge: 0 });
}

export function newSessionId() {
  return crypto.randomBytes(32).toString("base64url");
}
