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

``python benchmarks/scale.py --sparse`` measures text-like sparse CSR data
instead (n = 10^5, d from 10^3 to 10^5, 0.1-1% non-zeros): the lbfgs fit, the
Hessian-free unlearning (``solver="cg"``; the direct p x p Hessian would need
p^2 doubles: 75 GiB at d = 10^5) with soft weights and one Newton step and with
the defaults, the process's peak RSS, and, where the direct solver fits in
memory, the largest coefficient difference between the two; writes
``results/scale_sparse.md``.

``python benchmarks/scale.py --dask`` runs the same unlearning on a dask array
(row chunks of ``n / 8``) on a ``LocalCluster`` of 2 worker processes (1 thread
each) and in memory on the same rows: wall times, the largest coefficient
difference, the graphs sent to the scheduler (computes, which wait for
their result, and persists, which do not) and the scheduler's "Detected different
`run_spec`" warnings during the fit; writes ``results/scale_dask.md``.

``python benchmarks/scale.py --dask-ml`` fits dask-ml's ``LogisticRegression``
(its default solver, admm) on the same dask rows and unlearns it there
(``SoftUnlearner(FrozenEstimator(model))``, default and soft/newton), against the
same unlearning in memory; writes ``results/scale_dask_ml.md``.
"""

import argparse
import logging
import resource
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
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


def make_sparse(n, d, nnz_per_row, seed=0):
    """CSR rows with ``nnz_per_row`` random columns (exponential values); a binary group
    shifts the label, as a word frequency would."""
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, d, n * nnz_per_row)
    indptr = np.arange(0, n * nnz_per_row + 1, nnz_per_row)
    X = sp.csr_matrix((rng.exponential(size=n * nnz_per_row), indices, indptr), shape=(n, d))
    X.sum_duplicates()
    A = rng.integers(0, 2, n)
    z = 0.5 * (X @ rng.standard_normal(d)) + 0.8 * A - 0.4
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.int64)
    return X, y, A


def peak_rss_mb():
    """The process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sparse_rows():
    rows = []
    for d, nnz_per_row in ((1_000, 10), (10_000, 10), (100_000, 100)):
        n = 100_000
        X, y, A = make_sparse(n, d, nnz_per_row)
        start = time.perf_counter()
        model = LogisticRegression(max_iter=1000).fit(X, y)
        fit = time.perf_counter() - start
        row = {"n": n, "d": d, "nnz": X.nnz, "X MB": (X.data.nbytes + X.indices.nbytes
                                                      + X.indptr.nbytes) / 2**20,
               "fit s": fit}
        for name, params in (("soft/newton", dict(weighting="soft", update="newton")),
                             ("default", {})):
            def run(solver):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return SoftUnlearner(FrozenEstimator(model), solver=solver, **params).fit(
                        X, y, sensitive_features=A)
            start = time.perf_counter()
            hessian_free = run("cg")
            row[f"{name} cg s"] = time.perf_counter() - start
            row[f"{name} / fit"] = row[f"{name} cg s"] / fit
            if d <= 1_000:
                direct = run("direct")
                row[f"{name} max abs coef diff, cg vs direct"] = float(
                    np.max(np.abs(hessian_free.coef_ - direct.coef_)))
        row["peak RSS MB"] = peak_rss_mb()
        rows.append(row)
        print(row, flush=True)
    return pd.DataFrame(rows)


def dask_rows(sizes, report):
    """One row per size and unlearning; ``report(table)`` after each (a long run
    keeps what it measured)."""
    import dask
    import dask.array as da
    import distributed
    from distributed.diagnostics.plugin import SchedulerPlugin

    class GraphCounter(SchedulerPlugin):
        """Counts the graphs submitted to the scheduler."""

        name = "graph-counter"
        count = 0

        def update_graph(self, scheduler, **kwargs):
            self.count += 1

    class RunSpecWarnings(logging.Handler):
        """Counts the scheduler's warnings that a key came with other dependencies."""

        count = 0

        def emit(self, record):
            self.count += "Detected different `run_spec`" in record.getMessage()

    counter, run_spec = GraphCounter(), RunSpecWarnings()
    logging.getLogger("distributed.scheduler").addHandler(run_spec)
    persists = [0]
    persist = dask.persist

    def counted_persist(*args, **kwargs):
        persists[0] += 1
        return persist(*args, **kwargs)

    dask.persist = counted_persist
    rows = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        cluster.scheduler.add_plugin(counter, name=counter.name)
        for n, d in sizes:
            X, y, A = make(n, d)
            model = LogisticRegression(max_iter=1000).fit(X, y)
            Xd = da.from_array(X, chunks=(-(-n // 8), d))
            for name, params in (("soft/newton", dict(weighting="soft", update="newton")),
                                 ("default", {})):
                def run(data):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        return SoftUnlearner(FrozenEstimator(model), **params).fit(
                            data, y, sensitive_features=A)
                start = time.perf_counter()
                in_memory = run(X)
                numpy_s = time.perf_counter() - start
                graphs, persisted, warned = counter.count, persists[0], run_spec.count
                start = time.perf_counter()
                distributed_fit = run(Xd)
                dask_s = time.perf_counter() - start
                graphs, persisted = counter.count - graphs, persists[0] - persisted
                rows.append({
                    "n": n, "d": d, "X MB": X.nbytes / 2**20, "unlearning": name,
                    "numpy s": numpy_s, "dask s": dask_s, "dask / numpy": dask_s / numpy_s,
                    "computes": graphs - persisted, "persists": persisted,
                    "run_spec warnings": run_spec.count - warned,
                    "max abs coef diff": float(np.max(np.abs(
                        distributed_fit.coef_ - in_memory.coef_))),
                })
                report(pd.DataFrame(rows))
            del X, Xd
    dask.persist = persist
    logging.getLogger("distributed.scheduler").removeHandler(run_spec)


def dask_ml_rows(sizes, report):
    """dask-ml's fit on the dask rows against skunlearn's unlearning of it on the same rows."""
    import dask.array as da
    import distributed
    from dask_ml.linear_model import LogisticRegression as DaskLogisticRegression

    rows = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        for n, d in sizes:
            X, y, A = make(n, d)
            Xd = da.from_array(X, chunks=(-(-n // 8), d)).persist()  # on the workers
            yd = da.from_array(y, chunks=(-(-n // 8),)).persist()
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = DaskLogisticRegression().fit(Xd, yd)
            fit_s = time.perf_counter() - start
            for name, params in (("soft/newton", dict(weighting="soft", update="newton")),
                                 ("default", {})):
                def run(data, labels):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        return SoftUnlearner(FrozenEstimator(model), **params).fit(
                            data, labels, sensitive_features=A)
                start = time.perf_counter()
                distributed_fit = run(Xd, yd)
                dask_s = time.perf_counter() - start
                start = time.perf_counter()
                in_memory = run(X, y)
                numpy_s = time.perf_counter() - start
                rows.append({
                    "n": n, "d": d, "unlearning": name, "dask-ml admm fit s": fit_s,
                    "unlearning s": dask_s, "unlearning / fit": dask_s / fit_s,
                    "polish Newton steps": distributed_fit.polish_["n_iter"],
                    "polish grad before": distributed_fit.polish_["grad_norm_before"],
                    "numpy s": numpy_s,
                    "max abs coef diff": float(np.max(np.abs(
                        distributed_fit.coef_ - in_memory.coef_))),
                })
                report(pd.DataFrame(rows))
            del X, Xd


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
    parser.add_argument("--sparse", action="store_true", help="the sparse CSR rows instead")
    parser.add_argument("--dask", action="store_true",
                        help="a 2-worker dask LocalCluster against numpy instead")
    parser.add_argument("--dask-ml", action="store_true",
                        help="dask-ml's LogisticRegression fitted and unlearned on dask rows")
    args = parser.parse_args()
    # the cluster benchmarks' sizes (n, d)
    sizes = [(n, d) for n, d in ((100_000, 20), (1_000_000, 20), (1_000_000, 100))
             if n <= args.max_n]
    if args.dask_ml:
        dask_ml_rows(sizes, lambda table: write(
            "scale_dask_ml", "Scale: dask-ml's LogisticRegression on a 2-worker LocalCluster", [
                "Synthetic logistic data (as in scale.md) as a dask array of 8 row chunks "
                "persisted on a LocalCluster of 2 worker processes with 1 thread each, on "
                "the same 2-core machine; times in seconds from one run. dask-ml's "
                "LogisticRegression() (admm, C=1, normalize=True) is fitted on the dask "
                "rows, then SoftUnlearner(FrozenEstimator(model)) polishes and unlearns "
                "it on the same rows ('default': curvature-aware weights on the path, 10 "
                "points). 'polish grad before' is the gradient norm of dask-ml's "
                "objective at admm's coefficients; 'numpy s' the same unlearning with X "
                "in memory, and 'max abs coef diff' between the two.",
                "",
                markdown_table(table, floatfmt="{:.3g}"),
            ]))
        return
    if args.dask:
        dask_rows(sizes, lambda table: write(
            "scale_dask", "Scale: dask arrays on a 2-worker LocalCluster vs numpy", [
                "Synthetic logistic data (as in scale.md), LogisticRegression(C=1) fitted "
                "in memory and wrapped in FrozenEstimator; times in seconds from one run. "
                "'numpy': X in memory; 'dask': the same X as a dask array of 8 row "
                "chunks on a LocalCluster of 2 worker processes with 1 thread each, on "
                "the same 2-core machine (the rows are sent to the workers inside the "
                "timed fit). 'default' is curvature-aware weights on the path (10 "
                "points). 'computes' are graphs the driver waited for, 'persists' "
                "graphs it did not wait for, 'run_spec warnings' the scheduler's "
                "\"Detected different `run_spec` for key\" warnings logged during "
                "the dask fit.",
                "",
                markdown_table(table, floatfmt="{:.3g}"),
            ]))
        return
    if args.sparse:
        table = sparse_rows()
        write("scale_sparse", "Scale: sparse CSR data, Hessian-free", [
            "Synthetic text-like CSR data (n = 100,000 rows; 10 or 100 non-zeros per "
            "row), LogisticRegression(C=1); times in seconds from one run, 2 threads. "
            "'cg': SoftUnlearner(FrozenEstimator(model), solver='cg'); 'default' is "
            "curvature-aware weights on the path (its utility Hessian approximated at "
            "rank 10, so it differs from the direct solver's by design; soft/newton "
            "has no approximation). 'peak RSS MB' is the process's peak so far, X and "
            "the data generation included; the direct solver runs only at d = 1,000.",
            "",
            markdown_table(table, floatfmt="{:.3g}"),
        ])
        return
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
