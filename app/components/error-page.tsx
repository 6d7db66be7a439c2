import { isRouteErrorResponse, Link, useRouteError } from "@remix-run/react";

interface ErrorData {
  kind?: string;
  message?: string;
  missingPermission?: string;
}

function errorData(data: unknown): ErrorData {
  return data && typeof data === "object" ? (data as ErrorData) : { message: typeof data === "string" ? data : undefined };
}

/** Every route's error view: a 403 names the permission that is missing, a 404 says what was not found. */
export function ErrorPage({ error: given }: { error?: unknown }) {
  const routeError = useRouteError();
  const error = given ?? routeError;
  if (isRouteErrorResponse(error)) {
    const data = errorData(error.data);
    if (error.status === 403) {
      return (
        <section className="error-page" aria-labelledby="error-title">
          <p className="error-code">403 · Forbidden</p>
          <h1 id="error-title">You do not have access to this page</h1>
          <p>{data.message ?? "Your role does not allow this."}</p>
          {data.missingPermission ? (
            <p>
              Missing permission: <code data-testid="missing-permission">{data.missingPermission}</code>
            </p>
          ) : null}
          <p className="muted">If you need it for your work, ask an administrator to review your role and regions.</p>
          <Link to="/">Back to your home page</Link>
        </section>
      );
    }
    if (error.status === 404) {
      return (
        <section className="error-page" aria-labelledby="error-title">
          <p className="error-code">404 · Not found</p>
          <h1 id="error-title">Nothing here</h1>
          <p>{data.message ?? "The page or record you asked for does not exist."}</p>
          <Link to="/">Back to your home page</Link>
        </section>
      );
    }
    return (
      <section className="error-page" aria-labelledby="error-title">
        <p className="error-code">{error.status}</p>
        <h1 id="error-title">{error.status === 400 ? "That request could not be understood" : error.statusText || "Request failed"}</h1>
        <p>{data.message}</p>
        <Link to="/">Back to your home page</Link>
      </section>
    );
  }
  return (
    <section className="error-page" aria-labelledby="error-title">
      <p className="error-code">500 · Error</p>
      <h1 id="error-title">Something went wrong</h1>
      <p>The error was logged. Try again, or tell IT the time it happened.</p>
    </section>
  );
}
