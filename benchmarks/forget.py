"""Forgetting rows: ``Forgetter.forget`` against refitting without them.

For Adult and Bank marketing (70/30 stratified split, seed 0; ``make_preprocessor``
fitted on the training split) and two models, ``LogisticRegression(max_iter=1000)``
and ``Ridge(alpha=1)`` on the 0/1 label, 0.1%, 1% and 5% of the training rows
(drawn at random, seed 0) are removed by

* ``Forgetter.forget`` (``n_newton=0``: Guo et al.'s one Newton step from the
  downdated Hessian; ``n_newton=1``: one more Newton step), and
* scikit-learn's refit of the same estimator on the kept rows (its defaults).

Each is timed (median of 3 in this one run; the Forgetter's one-off ``fit``,
which fits and polishes the model and forms its Hessian, is reported apart).
Both are compared with the exact optimum on the kept rows (scikit-learn's refit
polished by Newton steps on its objective): relative parameter distance, and
test accuracy (R^2 for Ridge) minus that of scikit-learn's refit. The
certificate's measured gradient norm and its bound are listed beside them.

Two more tables: ten requests of 0.1% in a row against one refit, and
certified removal with objective noise (``noise=sigma``): test accuracy and the
``epsilon`` at ``delta=1e-5`` after forgetting 1% of Adult's rows.

Run: ``python benchmarks/forget.py``; writes ``benchmarks/results/forget.md``.
"""

import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split

from _common import markdown_table, timed, write
from skunlearn import Forgetter
from skunlearn.datasets import load_adult, load_bank_marketing, make_preprocessor
from skunlearn.models import adapter_for

FRACTIONS = (0.001, 0.01, 0.05)
MODELS = {
    "LogisticRegression": LogisticRegression(max_iter=1000),
    "Ridge": Ridge(alpha=1.0),
}
DATASETS = {"adult": load_adult, "bank": load_bank_marketing}
NOISES = (1.0, 10.0, 100.0)
DELTA = 1e-5


def _split(name):
    data = DATASETS[name]()
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target.to_numpy(), test_size=0.3, random_state=0,
        stratify=data.target)
    pre = make_preprocessor(data.data).fit(X_train)
    return (np.asarray(pre.transform(X_train), dtype=float),
            np.asarray(pre.transform(X_test), dtype=float), y_train, y_test)


def _theta(estimator):
    return adapter_for(estimator).parameters(estimator)


def _exact(estimator, X, y, theta0):
    """The exact optimum of ``estimator``'s objective on (X, y), polished from ``theta0``."""
    model = adapter_for(estimator).build(estimator, X, y, None)
    theta, info = model.polish(theta0, max_iter=100)
    assert info["converged"], info
    return theta


def _timed_forget(estimator, X, y, rows, n_newton):
    """Median time of ``forget(rows)`` over 3 freshly fitted Forgetters, and the last one.

    Each is fitted anew rather than copied, so that the request finds what a fitted
    Forgetter holds (the scores at its parameters among them).
    """
    times = []
    for _ in range(3):
        forgetter = Forgetter(estimator, n_newton=n_newton).fit(X, y)
        start = time.perf_counter()
        forgetter.forget(rows)
        times.append(time.perf_counter() - start)
    return sorted(times)[1], forgetter


def _relative(theta, exact):
    return float(np.linalg.norm(theta - exact) / np.linalg.norm(exact))


def run_removals(name, model_name, X, X_test, y, y_test):
    """One row per (fraction, n_newton) and the setup row."""
    estimator = MODELS[model_name]
    y_fit = y if model_name == "LogisticRegression" else y.astype(float)
    fit_time, _ = timed(lambda: clone(estimator).fit(X, y_fit))
    setup_time, _ = timed(lambda: Forgetter(estimator).fit(X, y_fit))
    setup = {"dataset": name, "model": model_name, "rows": len(y),
             "params": X.shape[1] + 1, "fit s": fit_time, "Forgetter.fit s": setup_time}
    rng = np.random.default_rng(0)
    rows_out = []
    for fraction in FRACTIONS:
        rows = np.sort(rng.choice(len(y), max(1, round(fraction * len(y))), replace=False))
        keep = np.setdiff1d(np.arange(len(y)), rows)
        refit_time, refit = timed(lambda: clone(estimator).fit(X[keep], y_fit[keep]))
        exact = _exact(refit, X[keep], y_fit[keep], _theta(refit))
        refit_score = refit.score(X_test, y_test)
        for n_newton in ((0,) if model_name == "Ridge" else (0, 1)):
            forget_time, forgetter = _timed_forget(estimator, X, y_fit, rows, n_newton)
            cert = forgetter.certificate_
            score = forgetter.score(X_test, y_test)
            rows_out.append({
                "dataset": name, "model": model_name, "removed": f"{100 * fraction:g}%",
                "rows": len(rows), "n_newton": n_newton,
                "forget s": forget_time, "refit s": refit_time,
                "refit/forget": refit_time / forget_time,
                "dist forget": _relative(_theta(forgetter.estimator_), exact),
                "dist refit": _relative(_theta(refit), exact),
                "score": score, "score - refit's": score - refit_score,
                "residual": cert.residual_norm, "bound": cert.bound,
            })
            print(rows_out[-1], flush=True)
    return setup, rows_out


def run_sequence(name, model_name, X, y, n_requests=10, fraction=0.001):
    """``n_requests`` requests of ``fraction`` in a row, against one refit at the end."""
    estimator = MODELS[model_name]
    y_fit = y if model_name == "LogisticRegression" else y.astype(float)
    forgetter = Forgetter(estimator).fit(X, y_fit)
    rng = np.random.default_rng(1)
    order = rng.permutation(len(y))
    size = max(1, round(fraction * len(y)))
    start = time.perf_counter()
    for k in range(n_requests):
        forgetter.forget(order[k * size:(k + 1) * size])
    total = time.perf_counter() - start
    keep = np.sort(order[n_requests * size:])
    refit_time, refit = timed(lambda: clone(estimator).fit(X[keep], y_fit[keep]))
    exact = _exact(refit, X[keep], y_fit[keep], _theta(refit))
    cert = forgetter.certificate_
    return {
        "dataset": name, "model": model_name, "requests": f"{n_requests} x {100 * fraction:g}%",
        "forget s (all)": total, "refit s (once)": refit_time,
        "dist forget": _relative(_theta(forgetter.estimator_), exact),
        "dist refit": _relative(_theta(refit), exact),
        "residual": cert.residual_norm, "bound": cert.bound,
    }


def run_noise(X, X_test, y, y_test, fraction=0.01):
    """Certified removal on Adult: accuracy and epsilon(delta) per noise scale."""
    rows = np.sort(np.random.default_rng(0).choice(len(y), round(fraction * len(y)),
                                                   replace=False))
    out = []
    for sigma in (None, *NOISES):
        for n_newton in (0, 1):
            forgetter = Forgetter(MODELS["LogisticRegression"], noise=sigma, random_state=0,
                                  n_newton=n_newton).fit(X, y).forget(rows)
            cert = forgetter.certificate_
            out.append({
                "noise": "none" if sigma is None else f"{sigma:g}", "n_newton": n_newton,
                "test accuracy": forgetter.score(X_test, y_test),
                "residual": cert.residual_norm, "bound": cert.bound,
                "epsilon": cert.epsilon(DELTA),
            })
            print(out[-1], flush=True)
    return out


def _small(records):
    """A DataFrame of ``records`` with numbers below 1e-3 in scientific notation."""
    def cell(v):
        small = isinstance(v, float) and v != 0 and abs(v) < 1e-3
        return f"{v:.2e}" if small else v

    return pd.DataFrame(records).map(cell)


def main():
    warnings.simplefilter("ignore", FutureWarning)
    setups, removals, sequences, noise = [], [], [], []
    for name in DATASETS:
        X, X_test, y, y_test = _split(name)
        for model_name in MODELS:
            setup, rows = run_removals(name, model_name, X, X_test, y, y_test)
            setups.append(setup)
            removals.extend(rows)
            sequences.append(run_sequence(name, model_name, X, y))
        if name == "adult":
            noise = run_noise(X, X_test, y, y_test)
    lines = [
        "Command: `OPENBLAS_NUM_THREADS=1 python benchmarks/forget.py`. Seconds are wall-clock on a shared 2-core "
        "machine, median of 3 within this run: compare ratios, not absolute times.",
        "",
        "## Removing random rows",
        "",
        "`dist`: `||theta - theta*|| / ||theta*||` with `theta*` the exact optimum on the kept "
        "rows (scikit-learn's refit polished on its objective); `dist refit` is scikit-learn's "
        "own refit at its default tolerance. `score - refit's`: test accuracy (R^2 for Ridge) "
        "of the Forgetter minus that of scikit-learn's refit. `residual`: the certificate's "
        "gradient norm of the objective on the kept rows (skunlearn's scaling: "
        "`C sum logloss + ||w||^2/2`, `sum (y - z)^2 + alpha ||w||^2`); `bound`: its "
        "data-dependent bound.",
        "",
        markdown_table(_small(removals), floatfmt="{:.4g}"),
        "",
        "## One-off setup",
        "",
        "`Forgetter.fit` fits the estimator, polishes it with Newton steps and forms the "
        "Hessian (and `||X~||_2`) that later requests downdate.",
        "",
        markdown_table(pd.DataFrame(setups), floatfmt="{:.3f}"),
        "",
        "## Ten requests in a row",
        "",
        "Each request starts from the exact gradient of the new objective, so one-step "
        "errors do not pile up; the Hessian is that of the fitted model, downdated.",
        "",
        markdown_table(_small(sequences), floatfmt="{:.4g}"),
        "",
        "## Certified removal (Adult, LogisticRegression, 1% removed)",
        "",
        f"`noise=sigma` trains on `L + b^T theta`, `b ~ N(0, sigma^2 I)`; `epsilon` at "
        f"`delta={DELTA:g}` is `sqrt(2 log(1.5/delta)) * bound / sigma` (Guo et al. 2020).",
        "",
        markdown_table(_small(noise), floatfmt="{:.4g}"),
    ]
    write("forget", "Forgetting rows: Forgetter against refitting", lines)


if __name__ == "__main__":
    main()
