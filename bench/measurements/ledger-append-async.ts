import { ledgerAppendMeasurement } from "./ledger-append";

// The same append benchmark with AUDIT_SYNCHRONOUS_COMMIT=off (ADR 004).
export default ledgerAppendMeasurement("off");
