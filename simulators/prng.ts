/**
 * Seeded pseudo-random numbers for the simulator: xoshiro128** (Blackman & Vigna), seeded
 * through splitmix32. Every device draws from its own streams, derived from the fleet seed and
 * the device's index, so device i's data never depends on how many devices run beside it.
 */

/** splitmix32: spreads a 32-bit seed over xoshiro's 128-bit state (all-zero state is invalid). */
function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** murmur3's finaliser: a cheap avalanche so neighbouring indices give unrelated seeds. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over a string's UTF-16 code units. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A 32-bit seed from user input: an integer is taken as is, any other text is hashed. */
export function seedFrom(input: string | number): number {
  if (typeof input === 'number') return input >>> 0;
  return /^\d{1,10}$/.test(input) && Number(input) <= 0xffffffff ? Number(input) >>> 0 : hashString(input);
}

/** A child seed for a named purpose, e.g. `deriveSeed(seed, 'device', 7, 'noise')`. */
export function deriveSeed(seed: number, ...labels: readonly (string | number)[]): number {
  let h = fmix32((seed >>> 0) ^ 0x5bd1e995);
  for (const label of labels) {
    const part = typeof label === 'number' ? fmix32(label >>> 0) : hashString(label);
    h = fmix32(Math.imul(h ^ part, 0x27d4eb2f) + 0x165667b1);
  }
  return h;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const init = splitmix32(seed);
    this.a = init();
    this.b = init();
    this.c = init();
    this.d = init();
  }

  /** The next 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform on [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller; always two uniforms, so the draw count per call is fixed). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log(0) is never taken
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and shape σ (of the underlying normal). */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Weibull by inversion: scale·(−ln U)^(1/shape). */
  weibull(shape: number, scale: number): number {
    return scale * Math.pow(-Math.log(1 - this.next()), 1 / shape);
  }

  /** An index drawn with the given (non-negative, not all zero) weights. */
  pickWeighted(weights: readonly number[]): number {
    const total = weights.reduce((s, w) => s + w, 0);
    let x = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
