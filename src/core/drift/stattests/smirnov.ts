/**
 * The one-sided Smirnov distribution's survival function, smirnov(n, x) = Pr(D+_n ≥ x): the
 * algorithm of SciPy's scipy.special.smirnov (xsf/cephes/kolmogorov.h, van Mulbregt 2018),
 * in double-double arithmetic like the original so that results agree to a few ulps.
 * kstwo.sf uses it for large n·x² (the p-values of clearly drifted columns).
 */
import { DD, add, div, frexp, isZero, ldexp, mul, sub, floor } from './doubleDouble';
import { ldexp as ldexpDouble } from './numeric';

const SMIRNOV_MAX_COMPUTE_N = 1000000;
const SM_UPPER_MAX_TERMS = 3;
const SM_UPPERSUM_MIN_N = 10;
const SM_MAX_EXPONENT = 960; // < 1023 - 52: both halves of a double-double stay normal
const MINLOG = -7.451332191019412076235e2; // log(2^-1075)

function nextPowerOf2(x: number): number {
  const q = ldexpDouble(x, 1 - 53);
  let L = Math.abs(q + x);
  if (L === 0) L = Math.abs(x);
  else if (Math.trunc(L) === L) L = Math.trunc(L);
  return L;
}

/** floor(n·x) and the fractional part, exactly */
function modNX(n: number, x: number): { nxfl: number; alpha: number; nx: number } {
  const nxD = mul(n, new DD(x));
  const nxfloorD = floor(nxD);
  let alpha = sub(nxD, nxfloorD).hi;
  let nxfl = Math.trunc(nxfloorD.hi);
  if (alpha === 1) {
    nxfl += 1;
    alpha = 0;
  }
  return { nxfl, alpha, nx: nxD.hi };
}

/** binomial(n, j+1) from binomial(n, j), kept as a mantissa and a separate exponent */
interface Binomial {
  man: DD;
  expt: number;
}
function updateBinomial(c: Binomial, n: number, j: number): void {
  const rat = div(new DD(n - j), j + 1.0);
  const [man, e] = frexp(mul(c.man, rat));
  c.expt += e;
  c.man = man;
}

/** a^m: pow() of the high part, corrected for the low part (SciPy's accuracy/time trade-off) */
function powD(a: DD, m: number): DD {
  if (m <= 0) return m === 0 ? new DD(1) : div(1.0, powD(a, -m));
  if (isZero(a)) return new DD(0);
  const ans = Math.pow(a.hi, m);
  const r = a.lo / a.hi;
  let adj = m * r;
  if (Math.abs(adj) > 1e-8) {
    if (Math.abs(adj) < 1e-4) adj += m * r * (((m - 1) / 2.0) * r);
    else adj = Math.expm1(m * Math.log1p(r));
  }
  return add(new DD(ans), ans * adj);
}

function pow2(a: number, b: number, m: number): number {
  return powD(add(new DD(a), b), m).hi;
}

/** a^m as (mantissa, exponent), splitting the power so no step underflows */
function pow2ScaledD(a: DD, m: number): [DD, number] {
  if (m <= 0) {
    if (m === 0) return [new DD(1), 0];
    const [inv, e1] = pow2ScaledD(a, -m);
    const [ans, e2] = frexp(div(1.0, inv));
    return [ans, -e1 + e2];
  }
  const [y, yE] = frexp(a);
  if (m === 1) return [y, yE];
  let maxExpt = SM_MAX_EXPONENT;
  if ((m * (y.hi - 1)) / y.hi < -SM_MAX_EXPONENT * Math.LN2) {
    const lg2y = Math.log(y.hi) / Math.LN2;
    if (m * lg2y <= -SM_MAX_EXPONENT) maxExpt = Math.trunc(nextPowerOf2(-SM_MAX_EXPONENT / lg2y + 1) / 2);
  }
  if (m <= maxExpt) {
    const [ans, e] = frexp(powD(y, m));
    return [ans, e + m * yE];
  }
  const q = Math.trunc(m / maxExpt);
  const r = m % maxExpt;
  const [y2r, y2rE] = pow2ScaledD(y, r);
  const [y2m, y2mE] = pow2ScaledD(y, maxExpt);
  const [y2mq, y2mqE] = pow2ScaledD(y2m, q);
  const [ans, e] = frexp(mul(y2r, y2mq));
  return [ans, e + y2mqE + y2mE * q + y2rE + m * yE];
}

/** ((a+b)/(c+d))^m */
function pow4D(a: number, b: number, c: number, d: number, m: number): DD {
  if (m <= 0) return m === 0 ? new DD(1) : pow4D(c, d, a, b, -m);
  const A = add(new DD(a), b);
  const C = add(new DD(c), d);
  if (isZero(A)) return isZero(C) ? new DD(NaN, NaN) : new DD(0);
  if (isZero(C)) return A.hi < 0 ? new DD(-Infinity, -Infinity) : new DD(Infinity, Infinity);
  return powD(div(A, C), m);
}

/** A_v(n, x) = binomial(n, v)·(1 - x - v/n)^(n-v)·(x + v/n)^(v-1) */
function computeAv(n: number, x: number, v: number, c: Binomial): DD {
  const [t2, t2E] = pow2ScaledD(sub(div(new DD(n - v), n), x), n - v);
  const [t1, t1E] = pow2ScaledD(add(div(new DD(v), n), x), v - 1);
  return ldexp(mul(mul(t1, t2), c.man), c.expt + t1E + t2E);
}

/** scipy.special.smirnov(n, x): Pr(D+_n ≥ x) */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const { nxfl, alpha } = modNX(n, x);
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  let n1mxceil = n - nxfl;
  if (alpha === 0) {
    // x·n is an integer: the last term belongs to neither sum
    n1mxfl -= 1;
    n1mxceil += 1;
  }
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) return 1 - x * pow2(1, x, n - 1); // x ≤ 1/n
  if (-2 * n * x * x < MINLOG) return 0; // the sf underflows
  if (nxfl >= n - 1) return pow2(1, -x, n); // x ≥ 1 - 1/n
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    // too many terms: p ~ e^(-(6nx+1)^2 / 18n)
    const logp = -Math.pow(6.0 * n * x + 1, 2) / 18.0 / n;
    return logp < -Math.LN2 ? Math.exp(logp) : 1 - -Math.expm1(logp);
  }
  // the upper sum alternates in sign: only when it has very few terms
  const nUpperTerms = n - n1mxceil + 1;
  const useUpper = (nUpperTerms <= 1 && x < 0.5) || (n >= SM_UPPERSUM_MIN_N && nUpperTerms <= SM_UPPER_MAX_TERMS && x <= 0.5 / Math.sqrt(n));
  const start = useUpper ? n : 0;
  const step = useUpper ? -1 : 1;
  const nTerms = useUpper ? n - n1mxceil + 1 : n1mxfl + 1;
  const vmid = Math.trunc(n / 2);
  const c: Binomial = { man: new DD(1), expt: 0 };
  let Aj = useUpper ? pow4D(1, x, 1, 0, n - 1) : div(pow4D(1, -x, 1, 0, n), x);
  let AjSum = add(new DD(0), Aj);
  updateBinomial(c, n, 0);
  for (let j = 1; j < nTerms; j++) {
    Aj = computeAv(n, x, start + j * step, c);
    if (Number.isFinite(Aj.hi) && !isZero(Aj)) AjSum = add(AjSum, Aj);
    if (!isZero(Aj)) {
      // the rest cannot change the sum
      if (4 * (nTerms - j) * Math.abs(Aj.hi) < Number.EPSILON * AjSum.hi && j !== nTerms - 1) break;
    } else if (j > vmid) break;
    updateBinomial(c, n, j);
  }
  const prob = mul(x, AjSum).hi;
  const sf = step < 0 ? 1 - prob : prob;
  return Math.min(Math.max(sf, 0), 1);
}
