"""Data cleaning: ``objective="utility"`` against flipped training labels.

For each shipped dataset (the splits and sensitive-feature choices of
``frontier.py``; the sensitive feature plays no part here), each noise rate
(10% and 20% of the training labels flipped, chosen uniformly at random) and
each seed (which changes the splits and the flipped rows):

* the rows are split 70/30 into development and **test** (stratified), the
  development rows 80/20 into **training** and **validation**; labels are
  flipped in the training rows only (the validation split is the small trusted
  set that cleaning needs, as in Koh & Liang 2017);
* ``original``: ``LogisticRegression`` on the noisy training labels;
  ``ceiling``: the same on the clean training labels; ``constant``: always the
  majority class of the noisy training labels;
* cleaning: ``SoftUnlearner(FrozenEstimator(original), objective="utility",
  eval_set=validation)`` with the default curvature-aware weights, the
  paper's soft weights, and hard deletion (the baseline), each on the path of
  strengths 0.05, 0.10, ..., 0.80 (strength ``t``: the validation log-loss asked
  to fall by the fraction ``t``; the path stops where reweighting cannot go
  further) and strength 0 (the original model itself).

Every knob is chosen on the validation split only, by the same rule for every
weighting: the validation split is cut in two halves (stratified); a path with
its target on one half is measured on the other, both ways, and the strength
with the lowest mean held-out-half log-loss is chosen (ties: the smaller). The
model reported is the path on the whole validation split at that strength.
The test split is used for the table only.

Run: ``python benchmarks/cleaning.py [dataset ...] [--seeds K]`` (default: the four
datasets, 5 seeds). Writes ``benchmarks/results/cleaning.md`` and ``cleaning.csv``.
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from _common import RESULTS, markdown_table, write
from frontier import DATASETS
from skunlearn import SoftUnlearner
from skunlearn.datasets import make_preprocessor

RATES = (0.1, 0.2)
MAX_STRENGTH, N_STEPS = 0.8, 16  # the path's grid: strengths 0.05, 0.10, ..., 0.80
# SoftUnlearner's points for strength=MAX_STRENGTH; 0 is the original model
GRID = [round(MAX_STRENGTH * j / N_STEPS, 9) for j in range(N_STEPS + 1)]
WEIGHTINGS = {"curvature": "skunlearn default (curvature/path)",
              "soft": "skunlearn soft/path", "hard": "hard deletion/path"}


def _lr():
    return LogisticRegression(max_iter=1000)


def _split(name, seed):
    X, y, _ = DATASETS[name]()
    y = np.asarray(y)
    X_dev, X_test, y_dev, y_test = train_test_split(
        X, y, test_size=0.3, random_state=seed, stratify=y)
    X_train, X_val, y_train, y_val = train_test_split(
        X_dev, y_dev, test_size=0.2, random_state=seed, stratify=y_dev)
    pre = make_preprocessor(X).fit(X_train)
    return [pre.transform(Z) for Z in (X_train, X_val, X_test)], (y_train, y_val, y_test)


def _flip(y, rate, seed):
    """Flip the labels of exactly ``round(rate * n)`` rows chosen uniformly at random."""
    rng = np.random.default_rng(seed)
    flipped = np.zeros(len(y), bool)
    flipped[rng.choice(len(y), int(round(rate * len(y))), replace=False)] = True
    return np.where(flipped, 1 - y, y), flipped


def _path(original, weighting, Z, y, eval_set):
    """SoftUnlearner's path on the utility target; warnings (a path that stops) kept quiet."""
    su = SoftUnlearner(FrozenEstimator(original), objective="utility", weighting=weighting,
                       strength=MAX_STRENGTH, n_steps=N_STEPS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return su.fit(Z, y, eval_set=eval_set)


def _step(su, strength):
    """The path point of a strength; a path that stopped before it keeps its last point."""
    return int(np.flatnonzero(su.frontier_["strength"].to_numpy() <= strength + 1e-9)[-1])


def _losses(su, Z, y):
    """Log-loss on (Z, y) of the path's model at every strength of the grid."""
    return pd.Series({t: log_loss(y, su.select(_step(su, t)).predict_proba(Z)[:, 1],
                                  labels=[0, 1]) for t in GRID})


def _choose(original, weighting, Z, y, Z_val, y_val, seed):
    """Strength with the lowest held-out-half log-loss, the validation split cut in two."""
    halves = train_test_split(np.arange(len(y_val)), test_size=0.5, random_state=seed,
                              stratify=y_val)
    curves = []
    for target, measured in (halves, halves[::-1]):
        su = _path(original, weighting, Z, y, (Z_val[target], y_val[target]))
        curves.append(_losses(su, Z_val[measured], y_val[measured]))
    mean = (curves[0] + curves[1]) / 2
    return float(mean.index[np.argmin(mean.to_numpy())])  # first minimum: smaller strength


def run_case(name, rate, seed):
    (Z, Z_val, Z_test), (y_clean, y_val, y_test) = _split(name, seed)
    y, flipped = _flip(y_clean, rate, seed)
    original, ceiling = _lr().fit(Z, y), _lr().fit(Z, y_clean)
    majority = int(np.mean(y) > 0.5)
    rows = [dict(method="constant", accuracy=np.mean(y_test == majority), log_loss=np.nan),
            dict(method="original"), dict(method="ceiling (clean labels)")]
    for row, model in zip(rows[1:], (original, ceiling)):
        row.update(accuracy=model.score(Z_test, y_test),
                   log_loss=log_loss(y_test, model.predict_proba(Z_test)[:, 1]))
    for weighting, method in WEIGHTINGS.items():
        start = time.perf_counter()
        strength = _choose(original, weighting, Z, y, Z_val, y_val, seed)
        su = _path(original, weighting, Z, y, (Z_val, y_val))
        seconds = time.perf_counter() - start
        step = _step(su, strength)
        su.select(step)
        eps = np.asarray(su.weights_)
        point = su.frontier_.loc[step]
        rows.append(dict(
            method=method, accuracy=su.score(Z_test, y_test),
            log_loss=log_loss(y_test, su.predict_proba(Z_test)[:, 1]),
            strength=strength, reached=bool(np.isclose(point["strength"], strength)
                                            and point["reached"]),
            deleted=int(point["deleted"]),
            eps_flipped=eps[flipped].mean(), eps_clean=eps[~flipped].mean(),
            seconds=seconds))
    return [dict(dataset=name, flipped=rate, seed=seed, n_train=len(y), n_val=len(y_val),
                 n_test=len(y_test), **row) for row in rows]


def summarise(results):
    """Mean test accuracy (and log-loss) over seeds, one row per dataset and noise rate."""
    order = ["constant", "original", *WEIGHTINGS.values(), "ceiling (clean labels)"]
    tables = []
    for value in ("accuracy", "log_loss"):
        table = results.pivot_table(index=["dataset", "flipped"], columns="method",
                                    values=value, aggfunc="mean", sort=False)
        table = table[[m for m in order if m in table and table[m].notna().any()]]
        tables.append(table.reset_index())
    wins = []
    for (dataset, rate), group in results.groupby(["dataset", "flipped"], sort=False):
        by = group.set_index(["seed", "method"])["accuracy"].unstack()
        row = dict(dataset=dataset, flipped=rate)
        for method in WEIGHTINGS.values():
            gain = by[method] - by["original"]
            row[f"{method}: gain (mean)"] = gain.mean()
            row[f"{method}: seeds better/equal/worse"] = (
                f"{(gain > 0).sum()}/{(gain == 0).sum()}/{(gain < 0).sum()}")
        gap = by["ceiling (clean labels)"] - by["original"]
        row["ceiling gain (mean)"] = gap.mean()
        wins.append(row)
    return tables[0], tables[1], pd.DataFrame(wins)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", default=list(DATASETS))
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    records = []
    for name in args.datasets:
        for rate in RATES:
            for seed in range(args.seeds):
                rows = run_case(name, rate, seed)
                records += rows
                shown = ", ".join(f"{r['method'].split(' (')[0]} {r['accuracy']:.4f}"
                                  for r in rows)
                print(f"{name} {rate:.0%} seed {seed}: {shown}", flush=True)
    results = pd.DataFrame(records)
    results.to_csv(RESULTS / "cleaning.csv", index=False)
    shown = results.assign(flipped=results["flipped"].map("{:.0%}".format))
    accuracy, losses, wins = summarise(shown)
    detail = shown[shown["method"].isin(WEIGHTINGS.values())][
        ["dataset", "flipped", "seed", "method", "strength", "reached", "deleted",
         "eps_flipped", "eps_clean", "accuracy", "seconds"]]
    detail = detail.astype({"deleted": int, "seed": int})
    sizes = results.groupby("dataset", sort=False)[["n_train", "n_val", "n_test"]].first()
    lines = [
        f"`python benchmarks/cleaning.py{' ' + ' '.join(argv) if argv else ''}`: "
        f"{len(args.datasets)} datasets x {len(RATES)} noise rates x {args.seeds} seeds, "
        f"{(time.perf_counter() - start) / 60:.1f} min in all on this machine.",
        "",
        "Training labels flipped uniformly at random (validation and test labels clean). "
        "Every knob (the path's strength) chosen on the validation split only: the "
        "strength with the lowest log-loss on one validation half of a path whose target "
        "is the other half (both ways), applied to the path on the whole validation "
        "split. Strength 0 (the original model) is a candidate. Test rows are used for "
        "these tables only.",
        "",
        "Rows (train / validation / test):",
        "",
        markdown_table(sizes.reset_index(), floatfmt="{:.0f}"),
        "",
        "## Test accuracy (mean over seeds)",
        "",
        markdown_table(accuracy),
        "",
        "## Gain in test accuracy over the original model",
        "",
        "Mean over seeds of (method - original), and in how many seeds the method was "
        "above / equal to / below the original (equal: strength 0, the original model, "
        "chosen on validation); the last column is what refitting on the clean labels "
        "gains (the ceiling).",
        "",
        markdown_table(wins),
        "",
        "## Test log-loss (mean over seeds)",
        "",
        markdown_table(losses),
        "",
        "## Choices and weights, per seed",
        "",
        "`strength`: chosen on validation (the validation log-loss asked to fall by this "
        "fraction); `reached`: whether the full-validation path reached it (else it "
        "stopped short: its last point, the closest it got, is the model); `deleted`: "
        "rows of weight 0; "
        "`eps_flipped` / `eps_clean`: mean weight change of the flipped and the other "
        "rows; `seconds`: the three paths (two for the choice, one for the model).",
        "",
        markdown_table(detail, floatfmt="{:.3f}"),
    ]
    write("cleaning", "Data cleaning with objective='utility'", lines)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
