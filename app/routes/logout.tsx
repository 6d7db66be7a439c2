import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { getOptionalSession } from "~/modules/access/actor.server";
import { signOut } from "~/modules/access/auth.server";
import { clearSessionCookie } from "~/utils/session.server";
import { requestMeta } from "~/utils/request-meta.server";

// Sign-out is a POST (a link or image could otherwise sign people out); GET just goes home.
export async function loader() {
  return redirect("/");
}

export async function action({ request }: ActionFunctionArgs) {
  const session = await getOptionalSession(request);
  if (session) await signOut(session, requestMeta(request));
  return redirect("/login", { headers: { "Set-Cookie": await clearSessionCookie() } });
}
