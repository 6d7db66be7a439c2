import type { IncomingHttpHeaders } from "node:http";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function originOf(value: string | undefined) {
  if (!value) return null;
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

/**
 * CSRF defence in depth beside SameSite=Lax: a mutation must carry an Origin (or, failing that, a
 * Referer) of this host or of a configured trusted origin. API calls without cookies are exempt;
 * they are authorised by their bearer token alone (any case of "Bearer", RFC 7235).
 */
export function isSameOriginMutation(method: string, headers: IncomingHttpHeaders, pathname: string, trustedOrigins: string) {
  if (SAFE_METHODS.has(method.toUpperCase())) return true;
  // The Origin check guards cookie sessions: an API call without a cookie is no CSRF risk, and gets
  // the API's own answer (401 with WWW-Authenticate when it has no token), not a browser 403.
  if (pathname.startsWith("/api/") && !headers.cookie) return true;
  const claimed = originOf(headers.origin) ?? originOf(headers.referer);
  if (!claimed || !headers.host) return false;
  const allowed = new Set([`http://${headers.host}`, `https://${headers.host}`]);
  for (const origin of trustedOrigins.split(",")) {
    const trusted = originOf(origin.trim());
    if (trusted) allowed.add(trusted);
  }
  return allowed.has(claimed);
}
