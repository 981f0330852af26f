"""SciPy's values for the building blocks of Slipway's drift tests (test/unit/drift-scipy.test.ts).

Reads a JSON list of calls on stdin, writes the list of results on stdout:
  {"fn": "kstwo_sf", "args": [n, x]}            scipy.stats.kstwo.sf(x, n)
  {"fn": "smirnov", "args": [n, x]}             scipy.special.smirnov(n, x)
  {"fn": "ks_2samp", "args": [a, b]}            [statistic, pvalue] of scipy.stats.ks_2samp(a, b)
  {"fn": "chi2_sf", "args": [x, df]}            scipy.stats.chi2.sf(x, df)
  {"fn": "chisquare", "args": [f_obs, f_exp]}   [statistic, pvalue] of scipy.stats.chisquare
  {"fn": "ztest", "args": [ref_counts, cur_counts]} [z, 2 * norm.sf(|z|)] of Evidently's two-proportion z-test
  {"fn": "wasserstein", "args": [u, v]}         scipy.stats.wasserstein_distance(u, v)
  {"fn": "jensenshannon", "args": [p, q]}       scipy.spatial.distance.jensenshannon(p, q)
  {"fn": "bin_edges", "args": [values, is_int]} numpy.histogram_bin_edges(values, bins="sturges")
Non-finite results are written as the strings "nan", "inf", "-inf".
"""
import json
import math
import sys

import numpy as np
from scipy import special, stats
from scipy.spatial import distance


def finite(x):
    if isinstance(x, (list, tuple)):
        return [finite(v) for v in x]
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def call(fn, args):
    if fn == "kstwo_sf":
        return stats.kstwo.sf(args[1], args[0])
    if fn == "smirnov":
        return special.smirnov(args[0], args[1])
    if fn == "ks_2samp":
        r = stats.ks_2samp(np.asarray(args[0], dtype=float), np.asarray(args[1], dtype=float))
        return [r.statistic, r.pvalue]
    if fn == "chi2_sf":
        return stats.chi2.sf(args[0], args[1])
    if fn == "chisquare":
        r = stats.chisquare(np.asarray(args[0], dtype=float), np.asarray(args[1], dtype=float))
        return [r.statistic, r.pvalue]
    if fn == "ztest":
        # counts per value, the first value being the one whose share is compared
        (r0, *_), (c0, *_) = args
        n1, n2 = sum(args[0]), sum(args[1])
        p1 = float(n1 - r0) / n1
        p2 = float(n2 - c0) / n2
        P = float(p1 * n1 + p2 * n2) / (n1 + n2)
        z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
        return [z, 2 * stats.norm.sf(abs(z))]
    if fn == "wasserstein":
        return stats.wasserstein_distance(np.asarray(args[0], dtype=float), np.asarray(args[1], dtype=float))
    if fn == "jensenshannon":
        return distance.jensenshannon(np.asarray(args[0], dtype=float), np.asarray(args[1], dtype=float))
    if fn == "bin_edges":
        a = np.asarray(args[0], dtype=np.int64 if args[1] else float)
        return list(np.histogram_bin_edges(a, bins="sturges"))
    raise ValueError(f"unknown function {fn}")


def main():
    calls = json.load(sys.stdin)
    json.dump([finite(call(c["fn"], c["args"])) for c in calls], sys.stdout)


if __name__ == "__main__":
    main()
