import { Form, Link, NavLink, useLocation } from "@remix-run/react";
import type { RootLoaderData } from "~/root";

type Viewer = NonNullable<RootLoaderData["viewer"]>;

export function AppShell({ viewer, children }: { viewer: Viewer | null; children: React.ReactNode }) {
  if (!viewer) {
    return <main className="page page--bare">{children}</main>;
  }
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Attest home">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          Attest
        </Link>
        <nav aria-label="Main" className="mainnav">
          <NavLink to="/" end>
            Home
          </NavLink>
          {viewer.navigation.map((item) => (
            <NavLink key={item.to} to={item.to}>
              {item.label}
            </NavLink>
          ))}
        </nav>
        <div className="topbar-right">
          {viewer.regions.length > 0 ? <RegionFilter viewer={viewer} /> : null}
          <div className="whoami">
            <span className="whoami-name">{viewer.displayName}</span>
            <span className="whoami-role">{viewer.roleLabel}</span>
          </div>
          <Link to="/account" className="button button--ghost">
            Account
          </Link>
          <Form method="post" action="/logout">
            <button type="submit" className="button button--ghost">
              Sign out
            </button>
          </Form>
        </div>
      </header>
      <main id="main" className="page">
        {children}
      </main>
    </div>
  );
}

function RegionFilter({ viewer }: { viewer: Viewer }) {
  const location = useLocation();
  const isAll = viewer.regionFilter.length === viewer.regions.length;
  if (viewer.regions.length === 1) {
    return (
      <span className="region-scope" title="Your regions">
        Region: <strong>{viewer.regions[0]}</strong>
      </span>
    );
  }
  return (
    <Form method="post" action="/region-filter" className="region-filter">
      <input type="hidden" name="redirectTo" value={`${location.pathname}${location.search}`} />
      <label htmlFor="region-filter-select">Region</label>
      <select
        id="region-filter-select"
        name="region"
        defaultValue={isAll ? "" : viewer.regionFilter[0]}
        onChange={(event) => event.currentTarget.form?.requestSubmit()}
      >
        <option value="">All my regions ({viewer.regions.length})</option>
        {viewer.regions.map((code) => (
          <option key={code} value={code}>
            {code}
          </option>
        ))}
      </select>
      <noscript>
        <button type="submit" className="button button--ghost">
          Apply
        </button>
      </noscript>
    </Form>
  );
}
