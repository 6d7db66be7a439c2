import pino from "pino";
import { env } from "./env.server";

export const logger = pino({
  level: env.NODE_ENV === "test" ? "warn" : env.LOG_LEVEL,
  redact: ["password", "*.password", "totp", "*.totp", "req.headers.cookie", "req.headers.authorization"],
});
