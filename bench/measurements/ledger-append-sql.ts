import { ledgerAppendMeasurement } from "./ledger-append";

// The durable append benchmark with the statements sent over plain pg connections (no Prisma).
export default ledgerAppendMeasurement("on", "sql");
