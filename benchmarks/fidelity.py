"""Influence fidelity: predicted vs actual changes, against real retraining.

On 1,000-row training samples of Adult (sex) and COMPAS (race: African-American
vs Caucasian), with ``LogisticRegression(C=1)`` refitted by scikit-learn at
``tol=1e-10``:

* leave-one-out: 100 random rows deleted one at a time;
* leave-group-out: 40 random groups of 20 rows, and every (sensitive group,
  label) cell's 10% sub-samples, deleted together;
* soft weights (bounded at -1 so that scikit-learn can refit them) applied by one
  Newton step vs the exact weighted refit.

The target is the demographic-parity surrogate on the training sample; utility
is the log-loss on 3,000 held-out rows. Run: ``python benchmarks/fidelity.py``.
"""

import warnings

import numpy as np
import pandas as pd
from scipy.stats import pearsonr, spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from _common import markdown_table, write
from skunlearn._groups import encode_groups
from skunlearn._linalg import Design
from skunlearn.datasets import load_adult, load_compas, make_preprocessor
from skunlearn.influence import Influence
from skunlearn.models import LogisticRegressionAdapter as adapter
from skunlearn.objectives import EvaluationLoss, get_objective
from skunlearn.updates import newton_update
from skunlearn.weights import soft_weights


def _data(name):
    if name == "adult":
        d = load_adult()
        X, y, A = d.data, d.target, d.sensitive_features["sex"]
    else:
        d = load_compas()
        keep = d.sensitive_features["race"].isin(["African-American", "Caucasian"])
        X, y, A = d.data[keep], d.target[keep], d.sensitive_features["race"][keep]
    Xtr, Xte, ytr, yte, Atr, _ = train_test_split(X, np.asarray(y), np.asarray(A),
                                                  train_size=1000, test_size=3000,
                                                  random_state=0, stratify=y)
    pre = make_preprocessor(X).fit(Xtr)
    return pre.transform(Xtr), pre.transform(Xte), ytr, yte, Atr


def _fit(X, y, sample_weight=None):
    return LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(
        X, y, sample_weight=sample_weight)


def _corr(predicted, actual):
    return spearmanr(predicted, actual).statistic, pearsonr(predicted, actual).statistic


def run(name, rng):
    Xtr, Xte, ytr, yte, Atr = _data(name)
    est = _fit(Xtr, ytr)
    model = adapter.build(est, Xtr, ytr, None)
    theta, info = model.polish(adapter.parameters(est))
    target = get_objective("demographic_parity").bind(
        model.design, model.y, encode_groups(Atr, len(ytr)), model.loss)
    utility = EvaluationLoss().bind(Design(Xte, True), yte.astype(float), None, model.loss)
    infl = Influence(model, theta, info["solver"], target, utility)
    F0, U0 = target.value(theta)[0], utility.value(theta)[0]

    def deletion_rows(groups, kind):
        pf, af, pu, au = [], [], [], []
        for rows in groups:
            keep = np.ones(len(ytr), bool)
            keep[rows] = False
            th = adapter.parameters(_fit(Xtr[keep], ytr[keep]))
            pf.append(-infl.f[rows, 0].sum())
            af.append(target.value(th)[0] - F0)
            pu.append(-infl.u[rows].sum())
            au.append(utility.value(th)[0] - U0)
        (sf, rf), (su, ru) = _corr(pf, af), _corr(pu, au)
        return dict(dataset=name, deletion=kind, n=len(groups), **{
            "target Spearman": sf, "target Pearson": rf,
            "test-loss Spearman": su, "test-loss Pearson": ru})

    rows = [deletion_rows([[i] for i in rng.choice(len(ytr), 100, replace=False)],
                          "leave-one-out (100 rows)")]
    rows.append(deletion_rows([rng.choice(len(ytr), 20, replace=False) for _ in range(40)],
                              "leave-group-out (40 random groups of 20)"))
    cells = []
    for a in np.unique(Atr):
        for label in (0, 1):
            members = np.flatnonzero((Atr == a) & (ytr == label))
            for _ in range(10):
                cells.append(rng.choice(members, max(1, len(members) // 10), replace=False))
    rows.append(deletion_rows(cells, f"leave-group-out ({len(cells)} 10% cell samples)"))

    soft = []
    for strength in (0.25, 0.5, 1.0):
        eps = soft_weights(infl, np.array([-strength * F0]), bounds=(-1.0, None))
        newton = newton_update(model, theta, eps)
        exact = adapter.parameters(_fit(Xtr, ytr, sample_weight=np.maximum(1 + eps, 0)))
        soft.append(dict(dataset=name, strength=strength, **{
            "F before": F0, "F predicted": F0 + infl.f[:, 0] @ eps,
            "F newton": target.value(newton)[0], "F exact refit": target.value(exact)[0],
            "relative distance newton to refit":
                np.linalg.norm(newton - exact) / np.linalg.norm(exact)}))
    return rows, soft


def main():
    rng = np.random.default_rng(0)
    deletions, soft = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("adult", "compas"):
            d, s = run(name, rng)
            deletions += d
            soft += s
            print(name, "done", flush=True)
    write("fidelity", "Influence fidelity against scikit-learn refits", [
        "Deletions: predicted (first-order influence, summed over the deleted rows) vs "
        "actual change after an exact refit, of the demographic-parity target (training "
        "sample) and of the log-loss on 3,000 held-out rows.", "",
        markdown_table(pd.DataFrame(deletions)), "",
        "Soft weights (bounds (-1, None)) meant to move the target by -strength * F: "
        "the first-order prediction, one Newton step, and scikit-learn's exact weighted "
        "refit.", "",
        markdown_table(pd.DataFrame(soft)),
    ])


if __name__ == "__main__":
    main()
