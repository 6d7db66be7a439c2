// Worker-thread entry for the ledger verifier: registers tsx's TypeScript loader inside the worker
// (Node 20 does not pass the parent's loader hooks to workers), then runs the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./verify-worker.ts");
