// Deterministic randomness for the synthetic data: the same seed yields the same stream on every
// machine and Node version (Math.random cannot be seeded). sfc32 is fast, passes PractRand to 2^40
// and needs only 32-bit integer arithmetic.

function splitmix32(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A stable 32-bit seed for a named stream, so that independent streams (ids, people, …) never overlap. */
export function deriveSeed(seed: number, stream: string) {
  let hash = 0x811c9dc5 ^ seed;
  for (let index = 0; index < stream.length; index++) {
    hash = Math.imul(hash ^ stream.charCodeAt(index), 0x01000193);
  }
  return hash >>> 0;
}

const hexByte = Array.from({ length: 256 }, (_, value) => value.toString(16).padStart(2, "0"));

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    const next = splitmix32(seed);
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let warmUp = 0; warmUp < 12; warmUp++) this.nextUint32();
  }

  nextUint32() {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next() {
    return this.nextUint32() / 4294967296;
  }

  between(min: number, max: number) {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max]. */
  integer(min: number, max: number) {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number) {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks a key of `weights` with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    let total = 0;
    for (const [, weight] of entries) total += weight;
    let target = this.next() * total;
    for (const [key, weight] of entries) {
      target -= weight;
      if (target < 0) return key;
    }
    return entries[entries.length - 1]![0];
  }

  /** Standard normal (Box–Muller). */
  normal() {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  logNormal(median: number, sigma: number) {
    return median * Math.exp(sigma * this.normal());
  }

  exponential(mean: number) {
    return -mean * Math.log(1 - this.next());
  }

  /** Poisson count (Knuth); the seed only needs small means. */
  poisson(mean: number) {
    const limit = Math.exp(-mean);
    let count = 0;
    let product = this.next();
    while (product > limit) {
      count++;
      product *= this.next();
    }
    return count;
  }

  /** A version-4-shaped UUID from this stream: deterministic, yet indistinguishable from a random one. */
  uuid() {
    const w0 = this.nextUint32();
    const w1 = this.nextUint32();
    const w2 = this.nextUint32();
    const w3 = this.nextUint32();
    return (
      hexByte[w0 >>> 24]! + hexByte[(w0 >>> 16) & 255]! + hexByte[(w0 >>> 8) & 255]! + hexByte[w0 & 255]! + "-" +
      hexByte[w1 >>> 24]! + hexByte[(w1 >>> 16) & 255]! + "-" +
      hexByte[0x40 | ((w1 >>> 8) & 15)]! + hexByte[w1 & 255]! + "-" +
      hexByte[0x80 | ((w2 >>> 24) & 63)]! + hexByte[(w2 >>> 16) & 255]! + "-" +
      hexByte[(w2 >>> 8) & 255]! + hexByte[w2 & 255]! +
      hexByte[w3 >>> 24]! + hexByte[(w3 >>> 16) & 255]! + hexByte[(w3 >>> 8) & 255]! + hexByte[w3 & 255]!
    );
  }
}
