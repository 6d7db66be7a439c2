import pg from "pg";

// Checkpoint cadence while events arrive (issue 12: a signed checkpoint at least every second, p99):
// for each checkpoint signed in [from, to], how long after the previous checkpoint it came — counted
// from the moment an event was first pending, so a quiet spell with nothing to sign is not a gap:
//   wait = signed_at − max(previous checkpoint's signed_at, occurred_at of the first event it did not cover).
// Under a steady stream of events that is simply the gap between consecutive checkpoints. Times are
// the checkpoints' signed timestamps, which is what a verifier or witness sees.

export interface CheckpointCadence {
  /** Checkpoints whose wait was measured. */
  count: number;
  p99Ms: number | null;
  maxMs: number | null;
}

export function percentile(sorted: number[], fraction: number) {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * fraction) - 1))]!;
}

export async function checkpointCadence(url: string, window: { from: Date; to: Date; excludeNumbers?: number[] }): Promise<CheckpointCadence> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: checkpoints } = await client.query<{ number: string; created_at: Date; tree_size: string }>(
      // Ordered by the column, not by its text alias (which would put 10 before 2).
      "SELECT c.number::text AS number, c.created_at, c.tree_size::text AS tree_size FROM checkpoint c WHERE c.created_at <= $1 ORDER BY c.number",
      [window.to],
    );
    const firstPendingSeqs = checkpoints.map((checkpoint) => Number(checkpoint.tree_size) + 1);
    const { rows: events } = await client.query<{ seq: string; occurred_at: Date }>("SELECT seq::text, occurred_at FROM audit_event WHERE seq = ANY($1::bigint[])", [firstPendingSeqs]);
    const occurredAt = new Map(events.map((event) => [Number(event.seq), event.occurred_at.getTime()]));
    const excluded = new Set(window.excludeNumbers ?? []);
    const waits: number[] = [];
    for (let i = 1; i < checkpoints.length; i++) {
      const [previous, checkpoint] = [checkpoints[i - 1]!, checkpoints[i]!];
      if (checkpoint.created_at < window.from || excluded.has(Number(checkpoint.number))) continue;
      const pendingSince = Math.max(previous.created_at.getTime(), occurredAt.get(Number(previous.tree_size) + 1) ?? previous.created_at.getTime());
      waits.push(checkpoint.created_at.getTime() - pendingSince);
    }
    waits.sort((a, b) => a - b);
    return { count: waits.length, p99Ms: percentile(waits, 0.99), maxMs: waits.at(-1) ?? null };
  } finally {
    await client.end();
  }
}

export function describeCadence(cadences: CheckpointCadence[]) {
  const measured = cadences.filter((cadence) => cadence.p99Ms !== null);
  if (measured.length === 0) return "";
  const p99s = measured.map((cadence) => cadence.p99Ms!).sort((a, b) => a - b);
  const median = p99s[Math.floor(p99s.length / 2)]!;
  const worst = Math.max(...measured.map((cadence) => cadence.maxMs!));
  return `checkpoint cadence p99 ${median.toFixed(0)} ms (median of ${measured.length} runs, ${measured.map((cadence) => cadence.count).join("/")} checkpoints; worst wait ${worst} ms; target ≤ 1000 ms ${median <= 1000 ? "met" : "NOT met"})`;
}
