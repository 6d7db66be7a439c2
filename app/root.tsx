import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import { ErrorPage } from "~/components/error-page";
import { AppShell } from "~/components/layout/app-shell";
import { navigationItems } from "~/components/layout/navigation";
import { useNonce } from "~/components/nonce";
import { defineAbilityFor } from "~/modules/access/ability.server";
import { getOptionalSession, readRegionFilter } from "~/modules/access/actor.server";
import { roleLabel } from "~/modules/access/policy.server";
import stylesheet from "~/styles/app.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [{ title: "Attest" }];

// The shell's data only: who is signed in and which sections to show. It protects nothing; every
// route authenticates and authorises for itself.
export async function loader({ request }: LoaderFunctionArgs) {
  const session = await getOptionalSession(request);
  if (!session || !session.isMfaComplete) return { viewer: null };
  const ability = defineAbilityFor(session.user);
  return {
    viewer: {
      displayName: session.user.displayName,
      email: session.user.email,
      role: session.user.role,
      roleLabel: roleLabel(session.user.role),
      regions: session.user.regions,
      regionFilter: await readRegionFilter(request, session.user.regions),
      navigation: navigationItems
        .filter((item) => ability.can(item.action, item.subject as never))
        .map(({ to, label }) => ({ to, label })),
    },
  };
}

export type RootLoaderData = Awaited<ReturnType<typeof loader>>;

export function Layout({ children }: { children: React.ReactNode }) {
  const nonce = useNonce();
  const data = useRouteLoaderData<typeof loader>("root");
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <AppShell viewer={data?.viewer ?? null}>{children}</AppShell>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  return <ErrorPage error={error} />;
}
