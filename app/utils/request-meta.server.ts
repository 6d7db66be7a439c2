import crypto from "node:crypto";

// Set by server.ts for every request: the request id and the client address as the server saw it
// (incoming copies of these headers are overwritten, so a client cannot forge them).
export const REQUEST_ID_HEADER = "x-request-id";
export const CLIENT_IP_HEADER = "x-attest-client-ip";

export interface RequestMeta {
  requestId: string;
  ipAddress: string;
  userAgent: string | null;
}

export function requestMeta(request: Request): RequestMeta {
  return {
    requestId: request.headers.get(REQUEST_ID_HEADER) ?? crypto.randomUUID(),
    ipAddress: request.headers.get(CLIENT_IP_HEADER) ?? "unknown",
    userAgent: request.headers.get("user-agent"),
  };
}
