// The HTTP server: Express in front of the Remix request handler. It sets the security headers,
// the request id and client address, and refuses cross-origin mutations before any route runs.
import crypto from "node:crypto";
import path from "node:path";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import express from "express";
import helmet from "helmet";
import { env, isDevelopment } from "./app/utils/env.server";
import { logger } from "./app/utils/logger.server";
import { CLIENT_IP_HEADER, REQUEST_ID_HEADER } from "./app/utils/request-meta.server";
import { isSameOriginMutation } from "./app/utils/origin.server";

const app = express();
app.disable("x-powered-by");
// Behind a load balancer set TRUST_PROXY so req.ip is the client's address, not the balancer's.
app.set("trust proxy", process.env.TRUST_PROXY ?? false);

app.use((req, res, next) => {
  const requestId = crypto.randomUUID();
  req.headers[REQUEST_ID_HEADER] = requestId;
  req.headers[CLIENT_IP_HEADER] = req.ip ?? "unknown";
  res.setHeader("X-Request-Id", requestId);
  res.locals.cspNonce = crypto.randomBytes(16).toString("base64");
  next();
});

app.use(
  helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: isDevelopment
          ? ["'self'", "'unsafe-inline'"]
          : ["'self'", (_req, res) => `'nonce-${(res as express.Response).locals.cspNonce as string}'`],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: isDevelopment ? ["'self'", "ws:"] : ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    strictTransportSecurity: isDevelopment ? false : { maxAge: 31536000, includeSubDomains: true },
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: "same-origin" },
  }),
);

app.use((req, res, next) => {
  if (isSameOriginMutation(req.method, req.headers, req.path, env.TRUSTED_ORIGINS)) return next();
  logger.warn({ method: req.method, path: req.path, origin: req.headers.origin }, "cross-origin mutation refused");
  res.status(403).type("text/plain").send("Forbidden: this request did not come from an Attest page (Origin check failed).");
});

// The app uses single fetch (`.data`); a legacy `?_data=` request would reach Remix's old data path and
// fail with a 500 (issue 13). It is answered as the page it names: the parameter is dropped.
app.use((req, _res, next) => {
  if (req.url.includes("_data=")) {
    const url = new URL(req.url, "http://attest.invalid");
    if (url.searchParams.has("_data")) {
      url.searchParams.delete("_data");
      req.url = `${url.pathname}${url.search}`;
    }
  }
  next();
});

async function main() {
  let build: ServerBuild | (() => Promise<ServerBuild>);
  if (isDevelopment) {
    const vite = await import("vite");
    const devServer = await vite.createServer({ server: { middlewareMode: true } });
    app.use(devServer.middlewares);
    build = () => devServer.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>;
  } else {
    const buildDir = path.resolve("build");
    app.use("/assets", express.static(path.join(buildDir, "client", "assets"), { immutable: true, maxAge: "1y" }));
    app.use(express.static(path.join(buildDir, "client"), { maxAge: "1h" }));
    build = (await import(path.join(buildDir, "server", "index.js"))) as ServerBuild;
  }

  app.all(
    "*",
    createRequestHandler({
      build,
      mode: isDevelopment ? "development" : "production",
      getLoadContext: (_req, res) => ({ cspNonce: res.locals.cspNonce as string }),
    }),
  );

  const server = app.listen(env.PORT, () => {
    logger.info(`Attest is listening on http://localhost:${env.PORT}`);
  });

  const shutdown = async (signal: string) => {
    logger.info(`${signal}: shutting down`);
    server.close();
    // The build registered its background work (checkpoint signer, database) on a process-wide hook.
    const hooks = await (globalThis as { __attestBackground?: Promise<{ stop(): Promise<void> }> }).__attestBackground;
    await hooks?.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  logger.fatal(error);
  process.exit(1);
});
