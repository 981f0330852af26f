"""pandas' answers for Slipway's feature store tests (test/unit/features-reference.test.ts).

  python features_reference.py generate OUT_DIR [--seed N]
      Writes a generated feature store into OUT_DIR: a_1.parquet + a_2.parquet (view activity,
      entity customer, one file order across both), b.csv (view pricing, entity store_id +
      product_id), c.parquet (view profile, nanosecond timestamps, no ttl) and labels.parquet.
      With ties (several rows of one key at one timestamp, in and across files), out-of-order
      rows, null values, null event timestamps, labels on events, on ttl edges, before every
      event, for unknown entities. Prints what it wrote as JSON.

  python features_reference.py join SPEC.json OUT.json
      The point-in-time join with pandas.merge_asof: for each view, its rows (null timestamps
      dropped) sorted stably by timestamp, so ties keep file order and the backward search
      picks the last; direction="backward", allow_exact_matches=True, tolerance=ttl. SPEC:
        {"labels": {"files": [...], "format": "parquet", "timestamp": "event_ts"},
         "views": [{"files": [...], "format": "parquet|csv", "keys": [...], "timestamp": "ts",
                    "ttl_seconds": 864000 | null, "features": {"feature": "output column"}}]}
      OUT: {"columns": [...], "dtypes": {...}, "rows": [[...], ...]} in label order; timestamps
      as nanoseconds since the epoch (strings), NaN/NaT/None as null.

  python features_reference.py stats FILE.parquet COLUMN [COLUMN...]
      describe()-style numbers per column: rows, nulls, nunique, min, max, mean, std (ddof=1),
      numpy.histogram(bins=10) for numbers, value_counts() for the rest. JSON on stdout.
"""
import json
import math
import sys

import numpy as np
import pandas as pd

BASE = pd.Timestamp("2026-01-01T00:00:00Z")
DAY = 86400


def to_ns(series):
    """A timestamp column as UTC nanoseconds, naive (datetime64[ns]); naive input is UTC."""
    s = pd.to_datetime(series, utc=True)
    return s.dt.tz_convert(None).astype("datetime64[ns]")


def read(files, fmt, timestamp=None):
    frames = []
    for f in files:
        if fmt == "parquet":
            frames.append(pd.read_parquet(f))
        elif fmt == "csv":
            frames.append(pd.read_csv(f))
        else:
            frames.append(pd.read_json(f, lines=True))
    df = pd.concat(frames, ignore_index=True)
    return df


def cell(v):
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return str(v.value)
    if isinstance(v, (np.datetime64,)):
        return None if np.isnat(v) else str(int(v.astype("datetime64[ns]").astype(np.int64)))
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def join(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    lab = spec["labels"]
    labels = read(lab["files"], lab["format"])
    label_columns = list(labels.columns)
    left = labels.copy()
    left["__row"] = np.arange(len(left))
    left["__t"] = to_ns(left[lab["timestamp"]])
    left = left.sort_values("__t", kind="stable")
    out_columns = list(label_columns)
    for view in spec["views"]:
        right = read(view["files"], view["format"])
        right["__t"] = to_ns(right[view["timestamp"]])
        right = right[right["__t"].notna()]
        feats = view["features"]
        right = right[view["keys"] + ["__t"] + list(feats)].rename(columns=feats)
        # the same key dtypes on both sides (CSV integers may come back as int64 already)
        for k in view["keys"]:
            if right[k].dtype != left[k].dtype:
                right[k] = right[k].astype(left[k].dtype)
        right = right.sort_values("__t", kind="stable")
        ttl = view["ttl_seconds"]
        left = pd.merge_asof(
            left,
            right,
            on="__t",
            by=view["keys"],
            direction="backward",
            allow_exact_matches=True,
            tolerance=None if ttl is None else pd.Timedelta(seconds=ttl),
        )
        out_columns += list(feats.values())
    left = left.sort_values("__row", kind="stable")
    result = left[out_columns]
    rows = [[cell(v) for v in rec] for rec in result.itertuples(index=False, name=None)]
    with open(out_path, "w") as f:
        json.dump({"columns": out_columns, "dtypes": {c: str(result[c].dtype) for c in out_columns}, "rows": rows}, f)


def generate(out, seed):
    rng = np.random.default_rng(seed)
    customers = np.arange(1, 301)
    span = 60 * DAY

    # activity: second resolution plus some milliseconds; ties; null timestamps; 2 files
    n = 6000
    secs = rng.integers(0, span, n)
    ms = np.where(rng.random(n) < 0.2, rng.integers(0, 1000, n), 0)
    a = pd.DataFrame({
        "customer_id": rng.choice(customers, n).astype(np.int64),
        "ts": BASE + pd.to_timedelta(secs, unit="s") + pd.to_timedelta(ms, unit="ms"),
        "clicks": rng.integers(0, 50, n).astype(np.int64),
        "spend": np.round(rng.gamma(2.0, 10.0, n), 2),
        "channel": rng.choice(["web", "app", "store"], n).astype(object),
        "active": rng.random(n) < 0.7,
        "score": np.round(rng.random(n), 4),
    })
    a.loc[rng.random(n) < 0.1, "spend"] = np.nan
    a.loc[rng.random(n) < 0.05, "channel"] = None
    a["active"] = a["active"].astype("boolean")
    a.loc[rng.random(n) < 0.05, "active"] = pd.NA
    # ties: copies of existing (customer, ts) with other values, anywhere in the file
    dup = a.sample(400, random_state=seed).copy()
    dup["clicks"] = rng.integers(100, 200, len(dup))
    dup["spend"] = np.where(rng.random(len(dup)) < 0.3, np.nan, np.round(rng.random(len(dup)) * 1000, 2))
    a = pd.concat([a, dup], ignore_index=True).sample(frac=1.0, random_state=seed + 1).reset_index(drop=True)
    a.loc[rng.random(len(a)) < 0.01, "ts"] = pd.NaT
    cut = len(a) // 2
    a.iloc[:cut].to_parquet(f"{out}/a_1.parquet", index=False)
    a.iloc[cut:].to_parquet(f"{out}/a_2.parquet", index=False)

    # pricing: two join keys, CSV, second resolution, ties
    m = 3000
    stores = np.array([f"s{i:02d}" for i in range(1, 11)], dtype=object)
    b = pd.DataFrame({
        "store_id": rng.choice(stores, m),
        "product_id": rng.integers(1, 31, m).astype(np.int64),
        "ts": BASE + pd.to_timedelta(rng.integers(0, span, m), unit="s"),
        "price": np.round(rng.random(m) * 100, 2),
        "stock": rng.integers(0, 500, m).astype(np.int64),
    })
    bd = b.sample(200, random_state=seed + 2).copy()
    bd["price"] = np.round(rng.random(len(bd)) * 100, 2) + 1000
    b = pd.concat([b, bd], ignore_index=True).sample(frac=1.0, random_state=seed + 3).reset_index(drop=True)
    b["stock"] = b["stock"].astype("Int64")
    b.loc[rng.random(len(b)) < 0.05, "stock"] = pd.NA
    b.loc[rng.random(len(b)) < 0.05, "price"] = np.nan
    b["ts"] = b["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    b.to_csv(f"{out}/b.csv", index=False)

    # labels: random times; on events; on ttl edges; before every event; unknown customers
    k = 4000
    lab_customer = rng.choice(np.arange(1, 321), k).astype(np.int64)
    lab_t = BASE + pd.to_timedelta(rng.integers(-2 * DAY, span + 5 * DAY, k), unit="s")
    lab_t = pd.Series(lab_t)
    pick = a.dropna(subset=["ts"]).sample(1200, random_state=seed + 4)
    j = np.arange(1200)
    lab_customer[j] = pick["customer_id"].to_numpy()
    offsets = [pd.Timedelta(0), pd.Timedelta(days=10), pd.Timedelta(days=10, microseconds=1), pd.Timedelta(microseconds=-1)]
    lab_t.iloc[j] = [t + offsets[i % 4] for i, t in enumerate(pick["ts"])]
    bpick = b.sample(600, random_state=seed + 5)
    labels = pd.DataFrame({
        "customer_id": lab_customer,
        "store_id": rng.choice(np.append(stores, "s99"), k).astype(object),
        "product_id": rng.integers(1, 33, k).astype(np.int64),
        "event_ts": lab_t.dt.floor("us").dt.tz_convert("UTC"),
        "label": rng.integers(0, 2, k).astype(np.int64),
        "note": rng.choice(["x", "y"], k).astype(object),
    })
    bt = pd.to_datetime(bpick["ts"], utc=True).reset_index(drop=True)
    boff = [pd.Timedelta(0), pd.Timedelta(days=2), pd.Timedelta(days=2, seconds=1), pd.Timedelta(seconds=-1)]
    rows = np.arange(1200, 1800)
    labels.loc[rows, "store_id"] = bpick["store_id"].to_numpy()
    labels.loc[rows, "product_id"] = bpick["product_id"].to_numpy()
    labels.loc[rows, "event_ts"] = [t + boff[i % 4] for i, t in enumerate(bt)]
    labels["event_ts"] = labels["event_ts"].astype("datetime64[us, UTC]")

    # profile: naive nanosecond timestamps, no ttl; events 1 ns around some label times
    c_n = 2000
    c_t = (BASE + pd.to_timedelta(rng.integers(0, span * 10**9, c_n), unit="ns")).tz_convert(None)
    c = pd.DataFrame({
        "customer_id": rng.choice(customers, c_n).astype(np.int64),
        "updated_at": pd.Series(c_t).astype("datetime64[ns]"),
        "tier": rng.choice(["gold", "silver", "bronze"], c_n).astype(object),
        "score": np.round(rng.random(c_n) * 10, 3),
        "last_login": (BASE + pd.to_timedelta(rng.integers(0, span, c_n), unit="s")),
    })
    near = labels.sample(300, random_state=seed + 6)
    around = pd.DataFrame({
        "customer_id": near["customer_id"].to_numpy(),
        "updated_at": (near["event_ts"].dt.tz_convert(None).astype("datetime64[ns]") + pd.to_timedelta(np.where(np.arange(300) % 2 == 0, 1, -1), unit="ns")).to_numpy(),
        "tier": "platinum",
        "score": np.round(rng.random(300) * 10, 3),
        "last_login": BASE,
    })
    c = pd.concat([c, around, c.sample(100, random_state=seed + 7).assign(tier="tie")], ignore_index=True)
    c = c.sample(frac=1.0, random_state=seed + 8).reset_index(drop=True)
    c["last_login"] = c["last_login"].astype("datetime64[us, UTC]")
    c.loc[rng.random(len(c)) < 0.05, "last_login"] = pd.NaT
    c.loc[rng.random(len(c)) < 0.03, "tier"] = None
    c.to_parquet(f"{out}/c.parquet", index=False, coerce_timestamps=None, allow_truncated_timestamps=False)

    labels.to_parquet(f"{out}/labels.parquet", index=False)
    print(json.dumps({"a": len(a), "b": len(b), "c": len(c), "labels": len(labels)}))


def stats(path, columns):
    df = pd.read_parquet(path)
    out = {}
    for col in columns:
        s = df[col]
        rec = {"rows": int(len(s)), "nulls": int(s.isna().sum()), "nunique": int(s.nunique())}
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            d = s.describe()
            rec.update({"min": cell(d["min"]), "max": cell(d["max"]), "mean": cell(d["mean"]), "std": cell(d["std"])})
            counts, edges = np.histogram(s.dropna().to_numpy(), bins=10)
            rec["histogram"] = {"counts": [int(x) for x in counts], "edges": [float(x) for x in edges]}
        elif pd.api.types.is_datetime64_any_dtype(s):
            rec.update({"min": cell(s.min()), "max": cell(s.max())})
        else:
            vc = s.value_counts()
            rec["top"] = [[cell(v), int(c)] for v, c in vc.items()]
        out[col] = rec
    print(json.dumps(out))


def main():
    cmd = sys.argv[1]
    if cmd == "generate":
        seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 7
        generate(sys.argv[2], seed)
    elif cmd == "join":
        join(sys.argv[2], sys.argv[3])
    elif cmd == "stats":
        stats(sys.argv[2], sys.argv[3:])
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
