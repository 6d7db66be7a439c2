/** Only same-site paths: a crafted ?redirectTo= must not send a signed-in user elsewhere. */
export function safeRedirectPath(to: unknown, fallback = "/") {
  if (typeof to !== "string" || !to.startsWith("/") || to.startsWith("//") || to.startsWith("/\\")) return fallback;
  return to;
}
