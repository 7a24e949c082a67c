"""Scale: time and peak memory of ``unlearn`` as n and d grow.

Synthetic logistic data (a binary group shifts the first feature); n from 10^4
to 10^6 rows and d from 10 to 500 features. In one run, for each size:

* the floor: one ``X.T @ (w[:, None] * X)`` (the Gram matrix every Hessian needs);
* one ``LogisticRegression`` fit (lbfgs) of the original model;
* ``SoftUnlearner(FrozenEstimator(model))`` with soft weights and one Newton step,
  and with the default curvature-aware weights and path update;
* the peak memory allocated during each unlearning (``tracemalloc``, which sees
  numpy's allocations), next to the size of X.

Run: ``python benchmarks/scale.py [--max-n N]``; writes ``results/scale.md``.
"""

import argparse
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from _common import markdown_table, write
from skunlearn import SoftUnlearner


def make(n, d, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.integers(0, 2, n)
    X = rng.standard_normal((n, d))
    X[:, 0] += A
    w = rng.standard_normal(d) / np.sqrt(d)
    w[0] = 1.0
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w)))).astype(np.int64)
    return X, y, A


def measure(fn):
    tracemalloc.start()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-n", type=int, default=1_000_000)
    args = parser.parse_args()
    rows = []
    for n in (10_000, 100_000, 1_000_000):
        if n > args.max_n:
            continue
        for d in (10, 100, 500):
            X, y, A = make(n, d)
            w = np.random.default_rng(1).random(n)
            start = time.perf_counter()
            X.T @ (w[:, None] * X)
            floor = time.perf_counter() - start
            start = time.perf_counter()
            model = LogisticRegression(max_iter=1000).fit(X, y)
            fit = time.perf_counter() - start
            newton_s, newton_mb = measure(lambda: SoftUnlearner(
                FrozenEstimator(model), weighting="soft", update="newton").fit(
                    X, y, sensitive_features=A))
            path_s, path_mb = measure(lambda: SoftUnlearner(FrozenEstimator(model)).fit(
                X, y, sensitive_features=A))
            rows.append({
                "n": n, "d": d, "X MB": X.nbytes / 2**20, "floor s": floor, "fit s": fit,
                "soft/newton s": newton_s, "newton / floor": newton_s / floor,
                "newton / fit": newton_s / fit, "newton peak MB": newton_mb,
                "curvature/path s": path_s, "path / fit": path_s / fit,
                "path peak MB": path_mb,
            })
            print(rows[-1], flush=True)
            del X
    table = pd.DataFrame(rows)
    write("scale", "Scale: unlearning time and memory vs n and d", [
        "Synthetic logistic data; times in seconds from one run; 'floor' is one "
        "`X.T @ (w[:, None] * X)`; 'fit' one LogisticRegression (lbfgs) fit; peak MB is "
        "what tracemalloc saw allocated during the unlearning (X itself is not copied).",
        "",
        markdown_table(table, floatfmt="{:.3g}"),
    ])


if __name__ == "__main__":
    main()
