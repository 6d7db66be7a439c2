// Times named variants in one process, in rounds that alternate which goes first (so a change in the
// machine's load falls on every variant alike), after `warmRounds` untimed rounds; answers each
// variant's median in milliseconds.
export async function medianOfAlternatingRounds<Name extends string>(variants: Record<Name, () => Promise<unknown>>, rounds: number, warmRounds = 5) {
  const names = Object.keys(variants) as Name[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Name, number[]>;
  for (let round = 0; round < warmRounds + rounds; round++) {
    const order = round % 2 === 1 ? [...names].reverse() : names;
    for (const name of order) {
      const startedAt = process.hrtime.bigint();
      await variants[name]();
      if (round >= warmRounds) samples[name].push(Number(process.hrtime.bigint() - startedAt) / 1e6);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return Object.fromEntries(names.map((name) => [name, { p50: median(samples[name]) }])) as Record<Name, { p50: number }>;
}
