"""Baseline for bench/drift.mjs: the default drift tests (Evidently's choice, as Slipway makes
it) computed with pyarrow, NumPy and SciPy from the same Parquet files.

    python bench/drift_baseline.py REFERENCE.parquet CURRENT.parquet > results.json

Idiomatic vectorised code: pyarrow reads the columns, NumPy drops NaN/inf and counts values,
scipy.stats/scipy.spatial compute the tests. Prints {column: {method, score, statistic}} and,
on stderr, its peak RSS ("maxrss_kb <n>").
"""
import json
import resource
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scipy import stats
from scipy.spatial import distance


def numbers(col):
    a = col.to_numpy(zero_copy_only=False)
    if a.dtype.kind == "f":
        a = a[np.isfinite(a)]
    elif a.dtype.kind == "O":  # integers with nulls come back as objects
        a = np.array([v for v in a if v is not None], dtype=np.int64)
    return a


def counts_of(ref, cur, numerical):
    """keys (sorted) and the count of each on both sides"""
    if numerical:
        keys, inverse = np.unique(np.concatenate([ref, cur]), return_inverse=True)
        rc = np.bincount(inverse[: len(ref)], minlength=len(keys))
        cc = np.bincount(inverse[len(ref):], minlength=len(keys))
        return keys, rc, cc
    r = pc.value_counts(ref)
    c = pc.value_counts(cur)
    rd = dict(zip(r.field("values").to_pylist(), r.field("counts").to_pylist()))
    cd = dict(zip(c.field("values").to_pylist(), c.field("counts").to_pylist()))
    keys = sorted(set(rd) | set(cd))
    return keys, np.array([rd.get(k, 0) for k in keys]), np.array([cd.get(k, 0) for k in keys])


def test(ref, cur, numerical):
    n_ref, n_cur = len(ref), len(cur)
    keys, rc, cc = counts_of(ref, cur, numerical)
    n_values = len(keys)
    if n_ref <= 1000:
        if numerical and n_values > 5:
            r = stats.ks_2samp(ref, cur)
            return "ks", float(r.pvalue), float(r.statistic)
        if n_values > 2:
            r = stats.chisquare(cc, rc * (n_cur / n_ref))
            return "chisquare", float(r.pvalue), float(r.statistic)
        p1, p2 = (n_ref - rc[0]) / n_ref, (n_cur - cc[0]) / n_cur
        P = (p1 * n_ref + p2 * n_cur) / (n_ref + n_cur)
        z = (p1 - p2) / np.sqrt(P * (1 - P) * (1 / n_ref + 1 / n_cur)) if n_values > 1 else 0.0
        return "ztest", float(2 * stats.norm.sf(abs(z))), float(z)
    if numerical and n_values > 5:
        return "wasserstein", float(stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)), None
    if numerical and len(np.unique(ref)) > 20:
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        rc, cc = np.histogram(ref, edges)[0], np.histogram(cur, edges)[0]
    return "jensenshannon", float(distance.jensenshannon(rc / n_ref, cc / n_cur)), None


def main():
    ref_table = pq.read_table(sys.argv[1])
    cur_table = pq.read_table(sys.argv[2])
    out = {}
    for name in ref_table.column_names:
        if name not in cur_table.column_names:
            continue
        rcol, ccol = ref_table.column(name), cur_table.column(name)
        numerical = pa.types.is_integer(rcol.type) or pa.types.is_floating(rcol.type)
        if numerical:
            ref, cur = numbers(rcol), numbers(ccol)
            if ref.dtype != cur.dtype:
                ref, cur = ref.astype(float), cur.astype(float)
        else:
            ref, cur = pc.drop_null(rcol), pc.drop_null(ccol)
        method, score, statistic = test(ref, cur, numerical)
        out[name] = {"method": method, "score": score, "statistic": statistic}
    json.dump(out, sys.stdout)
    print(f"maxrss_kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)


if __name__ == "__main__":
    main()
