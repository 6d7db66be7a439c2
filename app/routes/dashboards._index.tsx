import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { ErrorPage } from "~/components/error-page";
import { forbidden, requireActor } from "~/modules/access/actor.server";
import { permittedDashboards } from "~/modules/dashboards/access.server";

// GET /dashboards — the first dashboard this viewer may open.
export async function loader({ request }: LoaderFunctionArgs) {
  const actor = await requireActor(request);
  const [first] = permittedDashboards(actor);
  if (!first) throw forbidden("read", "Dashboard");
  const search = new URL(request.url).search;
  return redirect(`/dashboards/${first}${search}`);
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
