"""Fairness/accuracy frontier: skunlearn against the alternatives, side by side.

For each dataset (fixed 70/30 stratified split, seed 0; standard preprocessing +
``LogisticRegression``) and each objective (demographic parity, equalized odds),
every method sweeps its knob; each point records held-out accuracy, fairlearn's
difference metric on hard predictions and the time spent beyond fitting the
original model (for methods that replace the original fit, their whole fit).

Run: ``python benchmarks/frontier.py [dataset ...]`` (``--plot-only`` re-draws the
plots of the last run); writes
``benchmarks/results/frontier.md``, ``frontier.csv`` and ``frontier_<dataset>.png``.
"""

import sys
import time
import warnings

import numpy as np
import pandas as pd
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.preprocessing import CorrelationRemover
from fairlearn.reductions import DemographicParity, EqualizedOdds, ExponentiatedGradient
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from _common import RESULTS, markdown_table, write
from skunlearn import SoftUnlearner
from skunlearn.datasets import (
    load_adult,
    load_bank_marketing,
    load_compas,
    load_german_credit,
    make_preprocessor,
)

STRENGTHS = (0.25, 0.5, 0.75, 0.9, 1.0)
OBJECTIVES = {
    "demographic_parity": (demographic_parity_difference, DemographicParity),
    "equalized_odds": (equalized_odds_difference, EqualizedOdds),
}


def _compas():
    data = load_compas()
    keep = data.sensitive_features["race"].isin(["African-American", "Caucasian"])
    return data.data[keep], data.target[keep], data.sensitive_features["race"][keep]


DATASETS = {
    "adult": lambda: (lambda d: (d.data, d.target, d.sensitive_features["sex"]))(load_adult()),
    # ProPublica's comparison: Black and white defendants (5,278 of 6,172 rows)
    "compas": _compas,
    "german": lambda: (lambda d: (d.data, d.target, d.sensitive_features["sex"]))(
        load_german_credit()),
    "bank": lambda: (lambda d: (d.data, d.target, d.sensitive_features["age"]))(
        load_bank_marketing()),
}


def _lr():
    return LogisticRegression(max_iter=1000)


class Context:
    """One dataset split, preprocessed, with the original model fitted."""

    def __init__(self, name):
        X, y, A = DATASETS[name]()
        Xtr, Xte, ytr, yte, Atr, Ate = train_test_split(
            X, np.asarray(y), np.asarray(A), test_size=0.3, random_state=0, stratify=y)
        pre = make_preprocessor(X).fit(Xtr)
        self.name = name
        self.Ztr, self.Zte = pre.transform(Xtr), pre.transform(Xte)
        self.ytr, self.yte, self.Atr, self.Ate = ytr, yte, Atr, Ate
        start = time.perf_counter()
        self.base = _lr().fit(self.Ztr, ytr)
        self.fit_seconds = time.perf_counter() - start


def _timed(fn):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn()
    return out, time.perf_counter() - start


def soft_method(weighting, update, bounds=None):
    def run(ctx, objective):
        for strength in STRENGTHS:
            su = SoftUnlearner(FrozenEstimator(ctx.base), objective=objective,
                               weighting=weighting, update=update, strength=strength,
                               bounds=bounds)
            _, seconds = _timed(lambda su=su: su.fit(ctx.Ztr, ctx.ytr, sensitive_features=ctx.Atr))
            yield f"strength={strength}", su.predict(ctx.Zte), seconds
    return run


def exponentiated_gradient(ctx, objective):
    constraint = OBJECTIVES[objective][1]
    for eps in (0.005, 0.01, 0.02, 0.05):
        eg = ExponentiatedGradient(_lr(), constraint(), eps=eps)
        _, seconds = _timed(lambda: eg.fit(ctx.Ztr, ctx.ytr, sensitive_features=ctx.Atr))
        yield f"eps={eps}", eg.predict(ctx.Zte, random_state=0), seconds


def threshold_optimizer(ctx, objective):
    for tol in (None, 0.02, 0.05):
        to = ThresholdOptimizer(estimator=ctx.base, prefit=True, constraints=objective,
                                predict_method="predict_proba", tol=tol)
        _, seconds = _timed(lambda: to.fit(ctx.Ztr, ctx.ytr, sensitive_features=ctx.Atr))
        y_pred = to.predict(ctx.Zte, sensitive_features=ctx.Ate, random_state=0)
        yield f"tol={tol}", y_pred, seconds


def _one_hot(A, levels):
    return (np.asarray(A)[:, None] == np.asarray(levels)[None, :]).astype(float)


def correlation_remover(ctx, objective):
    levels = np.unique(ctx.Atr)
    Ztr = np.hstack([ctx.Ztr, _one_hot(ctx.Atr, levels)])
    Zte = np.hstack([ctx.Zte, _one_hot(ctx.Ate, levels)])
    ids = list(range(ctx.Ztr.shape[1], Ztr.shape[1]))
    for alpha in (0.25, 0.5, 0.75, 1.0):
        def fit(alpha=alpha):
            cr = CorrelationRemover(sensitive_feature_ids=ids, alpha=alpha).fit(Ztr)
            return cr, _lr().fit(cr.transform(Ztr), ctx.ytr)
        (cr, model), seconds = _timed(fit)
        yield f"alpha={alpha}", model.predict(cr.transform(Zte)), seconds


def reweighing(ctx, objective):
    """Kamiran & Calders (2012): weight (a, y) cells by P(a) P(y) / P(a, y), then refit."""
    frame = pd.DataFrame({"a": ctx.Atr, "y": ctx.ytr})
    p_a = frame["a"].map(frame["a"].value_counts(normalize=True))
    p_y = frame["y"].map(frame["y"].value_counts(normalize=True))
    p_ay = frame.groupby(["a", "y"])["y"].transform("size") / len(frame)
    base_weights = (p_a * p_y / p_ay).to_numpy()
    for power in (0.5, 1.0, 2.0, 3.0):  # power 1 is the method; others interpolate/extrapolate
        model, seconds = _timed(
            lambda power=power: _lr().fit(ctx.Ztr, ctx.ytr, sample_weight=base_weights**power))
        yield f"power={power}", model.predict(ctx.Zte), seconds


METHODS = {
    "skunlearn curvature/path (default)": soft_method("curvature", "path"),
    "skunlearn soft/path": soft_method("soft", "path"),
    "skunlearn soft/newton": soft_method("soft", "newton"),
    "skunlearn soft/refit": soft_method("soft", "refit"),
    "skunlearn soft bounded(-1)/path": soft_method("soft", "path", bounds=(-1, None)),
    "hard unlearning (refit)": soft_method("hard", "refit"),
    "fairlearn ExponentiatedGradient": exponentiated_gradient,
    "fairlearn ThresholdOptimizer": threshold_optimizer,
    "fairlearn CorrelationRemover + refit": correlation_remover,
    "reweighing (Kamiran-Calders) + refit": reweighing,
}


def run(names):
    records = []
    for name in names:
        ctx = Context(name)
        print(f"{name}: {ctx.Ztr.shape}, original fit {ctx.fit_seconds:.2f} s", flush=True)
        for objective, (metric, _) in OBJECTIVES.items():
            original = ctx.base.predict(ctx.Zte)
            records.append(dict(dataset=name, objective=objective, method="original",
                                knob="", accuracy=np.mean(original == ctx.yte),
                                fairness=metric(ctx.yte, original, sensitive_features=ctx.Ate),
                                seconds=ctx.fit_seconds))
            for method, runner in METHODS.items():
                try:
                    for knob, y_pred, seconds in runner(ctx, objective):
                        records.append(dict(
                            dataset=name, objective=objective, method=method, knob=knob,
                            accuracy=np.mean(y_pred == ctx.yte),
                            fairness=metric(ctx.yte, y_pred, sensitive_features=ctx.Ate),
                            seconds=seconds))
                except ValueError as exc:  # a method that cannot run here is reported
                    records.append(dict(dataset=name, objective=objective, method=method,
                                        knob=f"error: {exc}", accuracy=np.nan,
                                        fairness=np.nan, seconds=np.nan))
                last = records[-1]
                print(f"  {objective:18s} {method:38s} acc {last['accuracy']:.4f} "
                      f"diff {last['fairness']:.4f} {last['seconds']:.2f} s", flush=True)
    return pd.DataFrame(records)


def summarise(results):
    rows = []
    for (dataset, objective), group in results.groupby(["dataset", "objective"], sort=False):
        eg_seconds = group.loc[group["method"] == "fairlearn ExponentiatedGradient",
                               "seconds"].median()
        for method, points in group.groupby("method", sort=False):
            row = dict(dataset=dataset, objective=objective, method=method)
            for bound in (0.02, 0.05):
                ok = points[points["fairness"] <= bound]
                row[f"best acc @ diff<={bound}"] = ok["accuracy"].max() if len(ok) else np.nan
            row["median seconds"] = points["seconds"].median()
            row["time / EG"] = points["seconds"].median() / eg_seconds
            rows.append(row)
    return pd.DataFrame(rows)


def plot(results):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    for dataset, group in results.groupby("dataset", sort=False):
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
        for ax, (objective, points) in zip(axes, group.groupby("objective", sort=False)):
            # zoom on the region that matters: up to 1.5 x the original model's gap
            x_max = 1.5 * points.loc[points["method"] == "original", "fairness"].iloc[0]
            shown = points[points["fairness"] <= x_max]
            ax.set_xlim(0, x_max)
            ax.set_ylim(shown["accuracy"].min() - 0.005, shown["accuracy"].max() + 0.005)
            for method, pts in points.groupby("method", sort=False):
                pts = pts.dropna()
                style = "-o" if method.startswith("skunlearn") else "--s"
                if method == "original":
                    style = "k*"
                ax.plot(pts["fairness"], pts["accuracy"], style, label=method, markersize=5)
            for bound in (0.02, 0.05):
                ax.axvline(bound, color="grey", lw=0.6, ls=":")
            ax.set_xlabel(f"{objective} difference (test)")
            ax.set_ylabel("accuracy (test)")
            ax.set_title(f"{dataset}: {objective}")
        axes[1].legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        fig.savefig(RESULTS / f"frontier_{dataset}.png", dpi=110)
        plt.close(fig)


def main(argv):
    if argv[:1] == ["--plot-only"]:  # re-draw the plots of the last run
        plot(pd.read_csv(RESULTS / "frontier.csv"))
        return
    results = run(argv or list(DATASETS))
    RESULTS.mkdir(exist_ok=True)
    results.to_csv(RESULTS / "frontier.csv", index=False)
    plot(results)
    summary = summarise(results)
    lines = [
        "Fixed 70/30 stratified split (seed 0), standard preprocessing (scaled numeric, "
        "one-hot categorical) + LogisticRegression(max_iter=1000). Fairness: fairlearn's "
        "difference on hard test predictions. Seconds: time beyond fitting the original "
        "model (SoftUnlearner, ThresholdOptimizer) or the method's whole fit (the others); "
        "'time / EG' is the ratio of median seconds to ExponentiatedGradient's in the same "
        "run. COMPAS: African-American vs Caucasian defendants; Bank: three age groups.",
        "",
    ]
    for (dataset, objective), part in summary.groupby(["dataset", "objective"], sort=False):
        lines += [f"## {dataset}, {objective}", "",
                  markdown_table(part.drop(columns=["dataset", "objective"])), "",
                  f"![frontier](frontier_{dataset}.png)", ""]
    write("frontier", "Fairness/accuracy frontier: skunlearn vs alternatives", lines)


if __name__ == "__main__":
    main(sys.argv[1:])
