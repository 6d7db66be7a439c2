// Module hook for the ingestion benchmark's floor (bench/workers/ingest-customers.ts): every import of
// app/modules/customers/subject-keys.server.ts resolves to subject-keys-switch.ts instead, which
// forwards to the real module but lets the worker switch the creation of new customers' keys off — the
// ingestion as it was before encryption at rest — without a switch in the product's code.
const TARGET = "/app/modules/customers/subject-keys.server.ts";
const SWITCH = new URL("./subject-keys-switch.ts", import.meta.url).href;

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.split("?")[0].endsWith(TARGET) && context.parentURL !== SWITCH) return { ...resolved, url: SWITCH };
  return resolved;
}
