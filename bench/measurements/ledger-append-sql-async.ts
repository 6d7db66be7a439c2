import { ledgerAppendMeasurement } from "./ledger-append";

// The async-commit append benchmark with the statements sent over plain pg connections (no Prisma).
export default ledgerAppendMeasurement("off", "sql");
