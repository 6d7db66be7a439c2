import pg from "pg";

/** Whether the server behind an open connection is PGlite (its version string says so). */
export async function isPGliteConnection(client: pg.ClientBase) {
  const { rows } = await client.query<{ version: string }>("SELECT version()");
  return rows[0]?.version.includes("PGlite") ?? false;
}

/**
 * PGlite serves one session: statements of concurrent connections interleave inside it (one
 * connection's Bind can land on another's Parse). Against it — embedded, or a PGlite server
 * elsewhere — the app uses a single connection, and long readers avoid holding a transaction open.
 * (The ledger verifier asks its own connection: isPGliteConnection.)
 */
export async function isPGliteServer(url: string) {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return await isPGliteConnection(client);
  } finally {
    await client.end().catch(() => {});
  }
}
