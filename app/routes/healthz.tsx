import { checkDatabase } from "~/utils/health.server";

// Load-balancer health check: public, no data, 503 when the database does not answer.
export async function loader() {
  const isDatabaseUp = await checkDatabase();
  return Response.json({ status: isDatabaseUp ? "ok" : "database_unavailable" }, { status: isDatabaseUp ? 200 : 503 });
}
