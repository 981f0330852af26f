"""The pandas baseline of bench/features.mjs: the same point-in-time training set with merge_asof.

  python bench/features_baseline.py SPEC.json

SPEC: {"labels": "labels.parquet", "timestamp": "event_ts", "out": "pandas.parquet",
       "views": [{"path": "a.parquet", "keys": ["customer_id"], "timestamp": "event_ts",
                  "ttl_seconds": 2592000, "features": ["clicks", "spend"]}, ...]}

Reads the Parquet files, sorts each view stably by timestamp (ties keep file order, so the
backward search picks the last, as Slipway does), merge_asof per view (by the join keys,
direction backward, exact matches allowed, tolerance = ttl), restores the label order, writes
Parquet. Prints {"seconds": wall time of that work} as JSON.
"""
import json
import sys
import time

import numpy as np
import pandas as pd


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    start = time.perf_counter()
    labels = pd.read_parquet(spec["labels"])
    columns = list(labels.columns)
    labels["__row"] = np.arange(len(labels))
    left = labels.sort_values(spec["timestamp"], kind="stable")
    for view in spec["views"]:
        right = pd.read_parquet(view["path"], columns=view["keys"] + [view["timestamp"]] + view["features"])
        right = right.rename(columns={view["timestamp"]: spec["timestamp"]})
        right = right.sort_values(spec["timestamp"], kind="stable")
        left = pd.merge_asof(
            left,
            right,
            on=spec["timestamp"],
            by=view["keys"],
            direction="backward",
            allow_exact_matches=True,
            tolerance=pd.Timedelta(seconds=view["ttl_seconds"]),
        )
        columns += view["features"]
    out = left.sort_values("__row", kind="stable")[columns]
    out.to_parquet(spec["out"], index=False)
    print(json.dumps({"seconds": time.perf_counter() - start, "rows": len(out)}))


if __name__ == "__main__":
    main()
