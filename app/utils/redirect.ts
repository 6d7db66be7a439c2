const PLACEHOLDER_ORIGIN = "http://attest.invalid";

/**
 * Only same-site paths: a crafted ?redirectTo= must not send a signed-in user elsewhere. Browsers drop
 * tabs and newlines and treat "\" like "/", so the target is resolved the way a browser would and
 * accepted only if it stays on this origin.
 */
export function safeRedirectPath(to: unknown, fallback = "/") {
  if (typeof to !== "string" || !to.startsWith("/")) return fallback;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u001f\u007f\s\\]/.test(to)) return fallback;
  try {
    const resolved = new URL(to, PLACEHOLDER_ORIGIN);
    return resolved.origin === PLACEHOLDER_ORIGIN ? to : fallback;
  } catch {
    return fallback;
  }
}
