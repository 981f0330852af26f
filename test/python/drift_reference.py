"""Reference drift results with NumPy and SciPy, for test/unit/drift-scipy.test.ts.

Reads a JSON list of specs on stdin and writes a list of per-column results on stdout:

  {"reference": [files], "current": [files], "format": "parquet" | "csv" | "json",
   "columns": {"name": "numerical" | "categorical" | "boolean", ...},
   "method": "auto" | "ks" | "chisquare" | "ztest" | "wasserstein" | "jensenshannon" | "psi",
   "threshold": null | number,
   "window": null | {"column": "timestamp", "from": iso | null, "to": iso | null}}

Each column follows Evidently 0.7 (legacy/calculations/stattests): NaN and infinities dropped,
the default test chosen from the reference size and the distinct values of both sides, the
tests computed with scipy.stats (ks_2samp, chisquare, wasserstein_distance, norm) and
scipy.spatial.distance.jensenshannon, binning as get_binned_data (numpy.histogram_bin_edges,
bins="sturges"). Two choices of Slipway where SciPy or Evidently would fail are mirrored:
a one-category chi-square has p-value 1, and the z-test uses 2 * norm.sf(|z|).
A method that does not apply to a column falls back to the default test, as Slipway does.
"""
import json
import math
import sys
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
from scipy import stats
from scipy.spatial import distance

DEFAULT_THRESHOLDS = {"ks": 0.05, "chisquare": 0.05, "ztest": 0.05, "wasserstein": 0.1, "jensenshannon": 0.1, "psi": 0.1}


def read(files, fmt, window=None):
    if fmt == "parquet":
        tables = [pq.read_table(f) for f in files]
    elif fmt == "csv":
        tables = [pacsv.read_csv(f) for f in files]
    else:
        tables = [pajson.read_json(f) for f in files]
    table = pa.concat_tables(tables, promote_options="default")
    if window:
        ts = table.column(window["column"])
        if not pa.types.is_timestamp(ts.type):
            ts = pc.strptime(ts, format="%Y-%m-%dT%H:%M:%S%z", unit="us") if pa.types.is_string(ts.type) else ts
        if ts.type.tz is None:
            ts = pc.assume_timezone(ts, "UTC")
        bound = lambda text: pa.scalar(datetime.fromisoformat(text.replace("Z", "+00:00")), pa.timestamp("us", tz="UTC"))  # noqa: E731
        keep = pa.array([True] * len(table))
        if window.get("from"):
            keep = pc.and_(keep, pc.greater_equal(ts, bound(window["from"])))
        if window.get("to"):
            keep = pc.and_(keep, pc.less(ts, bound(window["to"])))
        table = table.filter(keep)
    if "inputs" in table.column_names and pa.types.is_struct(table.column("inputs").type):
        inputs = table.column("inputs").combine_chunks()
        table = pa.table({f.name: inputs.field(i) for i, f in enumerate(inputs.type)})
    return table


def column_values(table, name, numerical):
    col = table.column(name).combine_chunks()
    col = col.filter(pc.is_valid(col))
    if numerical:
        if pa.types.is_boolean(col.type):
            col = col.cast(pa.int64())
        if pa.types.is_string(col.type):
            col = pa.array([_to_float(v) for v in col.to_pylist()], pa.float64())
            col = col.filter(pc.is_valid(col))
        a = col.to_numpy(zero_copy_only=False)
        if a.dtype.kind == "f":
            a = a[np.isfinite(a)]
        return a, pa.types.is_integer(col.type)
    values = col.to_pylist()
    return [v for v in values if not (isinstance(v, float) and not math.isfinite(v))], False


def _to_float(v):
    try:
        return float(v)
    except ValueError:
        return None


def value_counts(ref, cur):
    keys = sorted(set(ref) | set(cur))
    rc, cc = {}, {}
    for v in ref:
        rc[v] = rc.get(v, 0) + 1
    for v in cur:
        cc[v] = cc.get(v, 0) + 1
    return keys, [rc.get(k, 0) for k in keys], [cc.get(k, 0) for k in keys]


def binned(ref, cur, numerical, feel_zeroes):
    """Evidently's get_binned_data (keys sorted instead of set order: only the summation order differs)."""
    edges = None
    if numerical and len(np.unique(ref)) > 20:
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        rcount = np.histogram(ref, edges)[0]
        ccount = np.histogram(cur, edges)[0]
        keys = None
    else:
        keys, rcount, ccount = value_counts(list(ref), list(cur))
        rcount, ccount = np.array(rcount), np.array(ccount)
    rp = rcount / len(ref)
    cp = ccount / len(cur)
    if feel_zeroes:
        for p in (rp, cp):
            m = min(p[p != 0])
            np.place(p, p == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return rp, cp, edges, keys, rcount, ccount


def default_method(numerical, n_ref, n_values):
    if n_ref <= 1000:
        if numerical and n_values > 5:
            return "ks"
        return "chisquare" if n_values > 2 else "ztest"
    if numerical and n_values > 5:
        return "wasserstein"
    return "jensenshannon"


def test_column(ref, cur, numerical, method):
    if numerical:
        n_values = len(np.unique(np.concatenate([ref, cur])))
    else:
        n_values = len(set(ref) | set(cur))
    auto = default_method(numerical, len(ref), n_values)
    if method == "auto" or (method in ("ks", "wasserstein") and not numerical) or (method == "ztest" and n_values > 2):
        method = auto
    statistic = None
    if method == "ks":
        r = stats.ks_2samp(ref, cur)
        score, statistic = float(r.pvalue), float(r.statistic)
    elif method == "wasserstein":
        score = float(stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001))
    elif method in ("chisquare", "ztest"):
        keys, rc, cc = value_counts(list(ref), list(cur))
        if method == "chisquare":
            k_norm = len(cur) / len(ref)
            f_exp = [c * k_norm for c in rc]
            if len(keys) == 1:
                score, statistic = 1.0, 0.0
            else:
                with np.errstate(divide="ignore"):
                    r = stats.chisquare(cc, f_exp)
                score, statistic = float(r.pvalue), float(r.statistic)
        else:
            rs, cs = set(ref), set(cur)
            if len(rs) == 1 and len(cs) == 1 and rs == cs:
                score, statistic = 1.0, 0.0
            else:
                n1, n2 = len(ref), len(cur)
                p1 = float(sum(0 if x == keys[0] else 1 for x in ref)) / n1
                p2 = float(sum(0 if x == keys[0] else 1 for x in cur)) / n2
                P = float(p1 * n1 + p2 * n2) / (n1 + n2)
                z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
                score, statistic = float(2 * stats.norm.sf(abs(z))), float(z)
    elif method == "jensenshannon":
        rp, cp, *_ = binned(ref, cur, numerical, False)
        score = float(distance.jensenshannon(rp, cp))
    else:
        rp, cp, *_ = binned(ref, cur, numerical, True)
        score = float(np.sum((rp - cp) * np.log(rp / cp)))
    _, _, edges, _, rcount, ccount = binned(ref, cur, numerical, False)
    bins = None if edges is None else {"edges": [float(e) for e in edges], "reference": [int(c) for c in rcount], "current": [int(c) for c in ccount]}
    return {"method": method, "score": score, "statistic": statistic, "unique": n_values, "n_ref": len(ref), "n_cur": len(cur), "bins": bins}


def finite(x):
    if isinstance(x, dict):
        return {k: finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [finite(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def main():
    json.dump([finite(run(spec)) for spec in json.load(sys.stdin)], sys.stdout)


def run(spec):
    ref_table = read(spec["reference"], spec["format"])
    cur_table = read(spec["current"], spec.get("current_format", spec["format"]), spec.get("window"))
    out = {}
    for name, kind in spec["columns"].items():
        numerical = kind == "numerical"
        ref, ref_int = column_values(ref_table, name, numerical)
        cur, cur_int = column_values(cur_table, name, numerical)
        if numerical and not (ref_int and cur_int):
            ref, cur = ref.astype(float), cur.astype(float)
        result = test_column(ref, cur, numerical, spec.get("method", "auto"))
        threshold = spec.get("threshold") or DEFAULT_THRESHOLDS[result["method"]]
        p_value = result["method"] in ("ks", "chisquare", "ztest")
        if result["method"] == "ks":
            result["drifted"] = result["score"] <= threshold
        elif p_value:
            result["drifted"] = result["score"] < threshold
        else:
            result["drifted"] = result["score"] >= threshold
        out[name] = result
    return out


if __name__ == "__main__":
    main()
