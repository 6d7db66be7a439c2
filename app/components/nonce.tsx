import { createContext, useContext } from "react";

// The per-request CSP nonce, so Remix's inline scripts run under a strict script-src.
const NonceContext = createContext<string | undefined>(undefined);

export const NonceProvider = NonceContext.Provider;

export function useNonce() {
  return useContext(NonceContext);
}
