// A minimal HTTP client for the running test server: form posts with the Origin a browser would send,
// the session cookie carried by hand, redirects reported rather than followed.

// Well below the test timeout, so a hung server fails with a message instead of a bare timeout.
const REQUEST_TIMEOUT_MS = 15_000;

export interface HttpResult {
  status: number;
  /** "200", "403", … or "redirect:<path>" for a 3xx, the outcome notation of route-access.ts. */
  outcome: string;
  location: string | null;
  headers: Headers;
  body: string;
}

export interface HttpOptions {
  method?: "GET" | "POST";
  cookie?: string | null;
  form?: Record<string, string | string[]>;
  /** The Origin header; defaults to the server's own origin for POSTs, as a browser sends it. */
  origin?: string | null;
  headers?: Record<string, string>;
}

export function formBody(form: Record<string, string | string[]>) {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) for (const item of [value].flat()) body.append(key, item);
  return body;
}

export async function http(serverOrigin: string, path: string, options: HttpOptions = {}): Promise<HttpResult> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = { Accept: "text/html,application/json", "User-Agent": "attest-route-walk", ...options.headers };
  if (options.cookie) headers.Cookie = options.cookie;
  const origin = options.origin === undefined ? (method === "POST" ? serverOrigin : null) : options.origin;
  if (origin) headers.Origin = origin;
  const response = await fetch(`${serverOrigin}${path}`, {
    method,
    headers,
    body: method === "POST" ? formBody(options.form ?? {}) : undefined,
    redirect: "manual",
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  }).catch((error: unknown) => {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw new Error(`${method} ${path} got no answer within ${REQUEST_TIMEOUT_MS / 1000} s (is the database blocked by an open transaction?)`);
    }
    throw error;
  });
  const location = response.headers.get("location");
  const relative = location?.startsWith(serverOrigin) ? location.slice(serverOrigin.length) || "/" : location;
  const isRedirect = response.status >= 300 && response.status < 400;
  return {
    status: response.status,
    outcome: isRedirect ? `redirect:${relative}` : String(response.status),
    location: relative ?? null,
    headers: response.headers,
    body: await response.text(),
  };
}

/** Signs in through the real sign-in form and returns the session cookie ("name=value"). */
export async function signInOverHttp(serverOrigin: string, email: string, password: string) {
  const result = await http(serverOrigin, "/login", { method: "POST", form: { email, password, redirectTo: "/" } });
  const setCookie = result.headers.get("set-cookie");
  if (result.status !== 302 || !setCookie) {
    throw new Error(`signing in as ${email} over HTTP failed: ${result.outcome}\n${result.body.slice(0, 500)}`);
  }
  return setCookie.split(";")[0]!;
}
