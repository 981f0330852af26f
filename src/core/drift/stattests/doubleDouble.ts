/**
 * Double-double arithmetic (≥ 106-bit significand): the subset SciPy's smirnov() uses
 * (xsf/cephes/dd_real.h, from Hida, Li and Bailey's qd package). Without it the binomial
 * terms of the one-sided Smirnov sum lose about n·ε of their precision.
 */
import { frexp as frexpDouble, ldexp as ldexpDouble } from './numeric';

export class DD {
  constructor(
    readonly hi: number,
    readonly lo = 0,
  ) {}
}

const SPLITTER = 134217729; // 2^27 + 1

/** fl(a+b) and its error, for |a| ≥ |b| */
function quickTwoSum(a: number, b: number): [number, number] {
  const s = a + b;
  return [s, b - (s - a)];
}

function twoSum(a: number, b: number): [number, number] {
  const s = a + b;
  const c = s - a;
  return [s, a - (s - c) + (b - c)];
}

/** fl(a·b) and its exact error: Dekker's split stands in for C's fma */
function twoProd(a: number, b: number): [number, number] {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

export const dd = (x: number | DD): DD => (typeof x === 'number' ? new DD(x) : x);

export function neg(a: DD): DD {
  return new DD(-a.hi, -a.lo);
}

export function add(a: DD | number, b: DD | number): DD {
  if (typeof b === 'number') {
    const A = dd(a);
    let [s1, s2] = twoSum(A.hi, b);
    s2 += A.lo;
    [s1, s2] = quickTwoSum(s1, s2);
    return new DD(s1, s2);
  }
  if (typeof a === 'number') {
    let [s1, s2] = twoSum(a, b.hi);
    s2 += b.lo;
    [s1, s2] = quickTwoSum(s1, s2);
    return new DD(s1, s2);
  }
  let [s1, s2] = twoSum(a.hi, b.hi);
  const [t1, t2] = twoSum(a.lo, b.lo);
  s2 += t1;
  [s1, s2] = quickTwoSum(s1, s2);
  s2 += t2;
  [s1, s2] = quickTwoSum(s1, s2);
  return new DD(s1, s2);
}

export function sub(a: DD | number, b: DD | number): DD {
  if (typeof b === 'number') {
    const A = dd(a);
    let [s1, s2] = twoSum(A.hi, -b);
    s2 += A.lo;
    [s1, s2] = quickTwoSum(s1, s2);
    return new DD(s1, s2);
  }
  if (typeof a === 'number') {
    let [s1, s2] = twoSum(a, -b.hi);
    s2 -= b.lo;
    [s1, s2] = quickTwoSum(s1, s2);
    return new DD(s1, s2);
  }
  return add(a, neg(b));
}

export function mul(a: DD | number, b: DD | number): DD {
  if (typeof a === 'number' && typeof b === 'number') return mul(dd(a), b);
  if (typeof b === 'number' || typeof a === 'number') {
    const [x, y] = typeof b === 'number' ? [a as DD, b] : [b, a as number];
    const [p1, e1] = twoProd(x.hi, y);
    const [p2, e2] = twoProd(x.lo, y);
    const [s, e] = quickTwoSum(p1, e2 + p2 + e1);
    return new DD(s, e);
  }
  let [p1, p2] = twoProd(a.hi, b.hi);
  p2 += a.hi * b.lo + a.lo * b.hi;
  [p1, p2] = quickTwoSum(p1, p2);
  return new DD(p1, p2);
}

export function div(a: DD | number, b: DD | number): DD {
  const A = dd(a);
  const B = dd(b);
  let q1 = A.hi / B.hi;
  let r = sub(A, mul(B, q1));
  let q2 = r.hi / B.hi;
  r = sub(r, mul(B, q2));
  const q3 = r.hi / B.hi;
  [q1, q2] = quickTwoSum(q1, q2);
  return add(new DD(q1, q2), q3);
}

export function isZero(a: DD): boolean {
  return a.hi === 0 && a.lo === 0;
}

export function floor(a: DD): DD {
  let hi = Math.floor(a.hi);
  let lo = 0;
  if (hi === a.hi) {
    lo = Math.floor(a.lo);
    [hi, lo] = quickTwoSum(hi, lo);
  }
  return new DD(hi, lo);
}

export function ldexp(a: DD, e: number): DD {
  return new DD(ldexpDouble(a.hi, e), ldexpDouble(a.lo, e));
}

/** a = m·2^e with 0.5 ≤ |m.hi| < 1 (or |m.hi| = 1 with m.hi·m.lo < 0) */
export function frexp(a: DD): [DD, number] {
  let [man, e] = frexpDouble(a.hi);
  let b1 = ldexpDouble(a.lo, -e);
  if (Math.abs(man) === 0.5 && man * b1 < 0) {
    man *= 2;
    b1 *= 2;
    e -= 1;
  }
  return [new DD(man, b1), e];
}
