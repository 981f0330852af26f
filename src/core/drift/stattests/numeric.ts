/**
 * Floating-point helpers that reproduce NumPy's behaviour where results must equal SciPy's:
 * the summation order of np.sum, round-half-even, frexp/ldexp.
 */

/** np.sum of a float64 array: NumPy's pairwise summation (8 accumulators, blocks of 128). */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** Neumaier's compensated sum: long sums (millions of terms) stay within an ulp or two of exact. */
export class CompensatedSum {
  private sum = 0;
  private c = 0;
  add(x: number): void {
    const t = this.sum + x;
    if (Math.abs(this.sum) >= Math.abs(x)) this.c += this.sum - t + x;
    else this.c += x - t + this.sum;
    this.sum = t;
  }
  get value(): number {
    return this.sum + this.c;
  }
}

/** np.round for scalars: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // index of the high word (little-endian: 1)

/** C frexp: x = m·2^e with 0.5 ≤ |m| < 1. */
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  f64[0] = x;
  let exp = (u32[HI] >>> 20) & 0x7ff;
  let shift = 0;
  if (exp === 0) {
    f64[0] = x * 2 ** 54; // subnormal: normalise first
    exp = (u32[HI] >>> 20) & 0x7ff;
    shift = 54;
  }
  u32[HI] = (u32[HI] & 0x800fffff) | (1022 << 20);
  return [f64[0], exp - 1022 - shift];
}

/** 2^e exactly, for -1074 ≤ e ≤ 1023 (built from the bits: no pow rounding to trust). */
function pow2(e: number): number {
  if (e >= -1022) {
    u32[HI] = (e + 1023) << 20;
    u32[1 - HI] = 0;
  } else {
    const bit = e + 1074; // subnormal: one mantissa bit
    u32[HI] = bit >= 32 ? 1 << (bit - 32) : 0;
    u32[1 - HI] = bit < 32 ? (1 << bit) >>> 0 : 0;
  }
  return f64[0];
}

/** C ldexp: x·2^e, rounded once (also into the subnormals). */
export function ldexp(x: number, e: number): number {
  if (x === 0 || !Number.isFinite(x) || e === 0) return x;
  const [m, me] = frexp(x);
  const E = me + e;
  if (E > 1024) return m * Infinity;
  if (E >= -1021) return m * 2 * pow2(E - 1);
  if (E < -1074) return m * 0;
  return m * pow2(E);
}
