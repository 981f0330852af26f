"""Data sets for test/unit/drift-scipy.test.ts: varied, seeded, in Parquet, CSV and JSON Lines.

    python drift_fixtures.py OUT_DIR     writes the files and prints a JSON manifest:
    [{"name", "reference": [files], "current": [files], "format", "columns": {name: type},
      "methods": [...], "window"?}]

Covers: ties, small and large samples, equal and unequal sizes (both exact KS branches), a
sample large enough for the asymptotic KS branch, 2 and many categories, a category new in
current, constant columns, NaN and ±inf, integer and float Sturges bins, booleans, both
reference-size regimes of the default tests, globs over several files, inference records.
"""
import json
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ALL = ["auto", "ks", "chisquare", "ztest", "wasserstein", "jensenshannon", "psi"]


def with_nonfinite(rng, a, share=0.03):
    a = a.astype(float)
    idx = rng.choice(len(a), int(len(a) * share) + 3, replace=False)
    a[idx[0::3]] = np.nan
    a[idx[1::3]] = np.inf
    a[idx[2::3]] = -np.inf
    return a


def small(rng, n, shift):
    cats5 = np.array(["alpha", "beta", "gamma", "delta", "epsilon"])
    return {
        "num_normal": rng.normal(shift, 1.0, n),
        "num_same": rng.normal(0.0, 1.0, n),
        "num_ties": rng.poisson(3 + shift, n).astype(np.int64),
        "num_wide": rng.integers(0, 400, n).astype(np.int64) + int(shift * 40),
        "num_3": rng.choice([0, 1, 2], n, p=[0.5, 0.3, 0.2] if shift == 0 else [0.4, 0.3, 0.3]).astype(np.int64),
        "num_2": rng.choice([0, 1], n, p=[0.7, 0.3] if shift == 0 else [0.6, 0.4]).astype(np.int64),
        "cat_5": rng.choice(cats5, n, p=[0.4, 0.25, 0.15, 0.1, 0.1] if shift == 0 else [0.3, 0.25, 0.2, 0.15, 0.1]),
        "cat_2": rng.choice(["no", "yes"], n, p=[0.8, 0.2] if shift == 0 else [0.75, 0.25]),
        "cat_new": rng.choice(["a", "b", "c"] if shift == 0 else ["a", "b", "c", "d"], n),
        "const": np.full(n, 7.0),
        "flag": rng.random(n) < (0.5 if shift == 0 else 0.6),
        "with_nan": with_nonfinite(rng, rng.normal(shift, 2.0, n)),
    }


SMALL_TYPES = {
    "num_normal": "numerical", "num_same": "numerical", "num_ties": "numerical", "num_wide": "numerical",
    "num_3": "numerical", "num_2": "numerical", "cat_5": "categorical", "cat_2": "categorical",
    "cat_new": "categorical", "const": "numerical", "flag": "boolean", "with_nan": "numerical",
}


def large(rng, n, shift):
    return {
        "f_normal": rng.normal(10 + shift, 3.0, n),
        "f_lognormal": rng.lognormal(0.0 + shift / 4, 0.7, n),
        "f_close": rng.normal(0.0, 1.0, n) + shift / 50,
        "i_wide": rng.integers(-50, 5000, n).astype(np.int64),
        "i_narrow": rng.integers(0, 12 + int(shift * 3), n).astype(np.int64),
        "i_four": rng.choice([1, 2, 3, 4], n).astype(np.int64),
        "c_ten": rng.choice([f"k{i}" for i in range(10)], n, p=np.r_[np.full(5, 0.12), np.full(5, 0.08)] if shift == 0 else np.full(10, 0.1)),
        "c_many": rng.choice([f"code_{i:03d}" for i in range(120)], n),
        "b_flag": rng.random(n) < 0.3 + shift / 20,
        "f_nan": with_nonfinite(rng, rng.normal(shift, 1.0, n), 0.01),
    }


LARGE_TYPES = {
    "f_normal": "numerical", "f_lognormal": "numerical", "f_close": "numerical", "i_wide": "numerical",
    "i_narrow": "numerical", "i_four": "numerical", "c_ten": "categorical", "c_many": "categorical",
    "b_flag": "boolean", "f_nan": "numerical",
}


def write_parquet(path, cols):
    pq.write_table(pa.table(cols), path)


def write_csv(path, cols):
    names = list(cols)
    n = len(next(iter(cols.values())))
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for i in range(n):
            cells = []
            for k in names:
                v = cols[k][i]
                if isinstance(v, (bool, np.bool_)):
                    cells.append("true" if v else "false")
                elif isinstance(v, (float, np.floating)):
                    cells.append("nan" if np.isnan(v) else ("inf" if v == np.inf else "-inf" if v == -np.inf else repr(float(v))))
                else:
                    cells.append(str(v))
            f.write(",".join(cells) + "\n")


def write_jsonl(path, cols, start, step_s):
    names = list(cols)
    n = len(next(iter(cols.values())))
    with open(path, "w") as f:
        for i in range(n):
            inputs = {}
            for k in names:
                v = cols[k][i]
                inputs[k] = bool(v) if isinstance(v, (bool, np.bool_)) else float(v) if isinstance(v, (float, np.floating)) else int(v) if isinstance(v, (int, np.integer)) else str(v)
            ts = np.datetime64(start) + np.timedelta64(i * step_s, "s")
            record = {"request_id": f"r{i}", "timestamp": str(ts) + "Z", "model_name": "m", "model_version": "1", "inputs": inputs, "outputs": {"score": 0.5}}
            f.write(json.dumps(record) + "\n")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261101)
    manifest = []

    def dataset(name, fmt, ref, cur, types, methods, **extra):
        manifest.append({"name": name, "format": fmt, "reference": ref, "current": cur, "columns": types, "methods": methods, **extra})

    # small, unequal sizes: exact KS (lattice paths), chi-square, z, all by-name methods
    p = lambda f: os.path.join(out, f)  # noqa: E731
    write_parquet(p("small_ref.parquet"), small(rng, 300, 0.0))
    write_parquet(p("small_cur.parquet"), small(rng, 250, 0.4))
    dataset("small", "parquet", [p("small_ref.parquet")], [p("small_cur.parquet")], SMALL_TYPES, ALL)

    # equal sizes: exact KS for n1 == n2
    eq = {k: v for k, v in small(rng, 400, 0.0).items() if k.startswith("num")}
    write_parquet(p("equal_ref.parquet"), eq)
    write_parquet(p("equal_cur.parquet"), {k: v for k, v in small(rng, 400, 0.25).items() if k.startswith("num")})
    dataset("equal", "parquet", [p("equal_ref.parquet")], [p("equal_cur.parquet")], {k: "numerical" for k in eq}, ["auto", "ks"])

    # large: Wasserstein and Jensen-Shannon by default; asymptotic KS (en = 8571); binned PSI/JS
    write_parquet(p("large_ref.parquet"), large(rng, 20000, 0.0))
    write_parquet(p("large_cur.parquet"), large(rng, 15000, 1.0))
    dataset("large", "parquet", [p("large_ref.parquet")], [p("large_cur.parquet")], LARGE_TYPES, ALL)

    # no drift at all on a large sample: small KS statistics (Durbin matrix branch)
    write_parquet(p("calm_ref.parquet"), {k: v for k, v in large(rng, 12000, 0.0).items() if k.startswith("f_")})
    write_parquet(p("calm_cur.parquet"), {k: v for k, v in large(rng, 11000, 0.0).items() if k.startswith("f_")})
    dataset("calm", "parquet", [p("calm_ref.parquet")], [p("calm_cur.parquet")], {k: "numerical" for k in LARGE_TYPES if k.startswith("f_")}, ["auto", "ks", "psi"])

    # big: kstwo with n > 100,000 (Pelz-Good and smirnov branches)
    big = lambda s: {"g_calm": rng.normal(0, 1, 250000), "g_shift": rng.normal(s, 1, 250000)}  # noqa: E731
    write_parquet(p("big_ref.parquet"), big(0.0))
    write_parquet(p("big_cur.parquet"), big(0.01))
    dataset("big", "parquet", [p("big_ref.parquet")], [p("big_cur.parquet")], {"g_calm": "numerical", "g_shift": "numerical"}, ["ks"])

    # CSV, and a glob over three Parquet parts
    write_csv(p("csv_ref.csv"), small(rng, 200, 0.0))
    write_csv(p("csv_cur.csv"), small(rng, 180, 0.5))
    # DuckDB's CSV sniffer reads no/yes as booleans (same order, same tests)
    dataset("csv", "csv", [p("csv_ref.csv")], [p("csv_cur.csv")], {**SMALL_TYPES, "cat_2": "boolean"}, ["auto", "psi"])
    for i in range(3):
        write_parquet(p(f"part_ref_{i}.parquet"), large(rng, 900, 0.0))
        write_parquet(p(f"part_cur_{i}.parquet"), large(rng, 700, 0.5))
    dataset("glob", "parquet", [p(f"part_ref_{i}.parquet") for i in range(3)], [p(f"part_cur_{i}.parquet") for i in range(3)], LARGE_TYPES, ["auto"],
            glob={"reference": p("part_ref_*.parquet"), "current": p("part_cur_*.parquet")})

    # inference records: features under "inputs", a time window over "timestamp"
    write_parquet(p("log_ref.parquet"), {k: v for k, v in small(rng, 400, 0.0).items() if k in ("num_normal", "num_ties", "cat_5", "flag")})
    write_jsonl(p("log_cur.jsonl"), {k: v for k, v in small(rng, 500, 0.3).items() if k in ("num_normal", "num_ties", "cat_5", "flag")}, "2026-10-01T00:00:00", 600)
    dataset("inference", "parquet", [p("log_ref.parquet")], [p("log_cur.jsonl")], {"num_normal": "numerical", "num_ties": "numerical", "cat_5": "categorical", "flag": "boolean"},
            ["auto"], current_format="json", window={"column": "timestamp", "from": "2026-10-01T12:00:00Z", "to": "2026-10-03T00:00:00Z"})

    json.dump(manifest, sys.stdout)


if __name__ == "__main__":
    main()
