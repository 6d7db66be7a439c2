import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { regionFilterCookie, requireActor } from "~/modules/access/actor.server";
import { safeRedirectPath } from "~/utils/redirect";

// Narrows every list and dashboard to one of the viewer's own regions (a display preference: the
// access rules still apply on every query). Anything outside the viewer's regions is ignored.
export async function loader() {
  return redirect("/");
}

export async function action({ request }: ActionFunctionArgs) {
  const actor = await requireActor(request);
  const form = await request.formData();
  const region = form.get("region");
  const chosen = typeof region === "string" && actor.user.regions.includes(region) ? [region] : [];
  return redirect(safeRedirectPath(form.get("redirectTo")), {
    headers: { "Set-Cookie": await regionFilterCookie.serialize(chosen) },
  });
}
