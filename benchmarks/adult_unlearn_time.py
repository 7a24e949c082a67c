"""Time to unlearn vs time to fit the original model, on Adult (sex).

Run: ``python benchmarks/adult_unlearn_time.py``; writes
``benchmarks/results/adult_unlearn_time.md``. Times are medians of 5 runs in one
process, so their ratios are comparable even on a noisy machine. A Gram floor is
one BLAS ``syrk`` ``X~^T X~`` on the dense training rows (the issue's unit: what one
Hessian costs without skunlearn's storage); the Gram passes are the calls of
:meth:`skunlearn._linalg.Design.gram` each unlearning makes. One such call is timed
too: one-hot data is held split into dense and sparse columns
(:class:`skunlearn._linalg.SplitColumns`), so it costs less than the floor.
"""

import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
from fairlearn.metrics import demographic_parity_difference
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
import scipy.sparse as sp
from scipy.linalg.blas import dsyrk
from sklearn.model_selection import train_test_split

from _common import markdown_table, timed, write
from skunlearn import SoftUnlearner
from skunlearn._linalg import Design
from skunlearn.datasets import load_adult, make_preprocessor


@contextmanager
def counting_grams():
    """Count the calls of ``Design.gram`` inside the block."""
    calls = [0]
    original = Design.gram

    def gram(self, h):
        calls[0] += 1
        return original(self, h)

    Design.gram = gram
    try:
        yield calls
    finally:
        Design.gram = original


def main():
    adult = load_adult()
    X, y, A = adult.data, adult.target.to_numpy(), adult.sensitive_features["sex"]
    Xtr, Xte, ytr, yte, Atr, Ate = train_test_split(X, y, A, test_size=0.3,
                                                    random_state=0, stratify=y)
    pre = make_preprocessor(X).fit(Xtr)
    Ztr, Zte = pre.transform(Xtr), pre.transform(Xte)
    fit_time, base = timed(lambda: LogisticRegression(max_iter=1000).fit(Ztr, ytr), repeat=5)
    dense = np.hstack([Ztr, np.ones((Ztr.shape[0], 1))])
    floor, _ = timed(lambda: dsyrk(1.0, dense.T, trans=0), repeat=5)  # in place: no copy
    design, h = Design(Ztr, True), np.random.default_rng(0).random(Ztr.shape[0])
    gram_pass, _ = timed(lambda: design.gram(h), repeat=5)
    storage = "dense" if design._split is None else (
        f"split: {len(design._split.dense)} dense columns (intercept included) and "
        f"{len(design._split.sparse)} sparse ones, {design._split.Xs.nnz} non-zeros")
    rows = [("original fit (lbfgs)", fit_time, 1.0, fit_time / floor, np.nan,
             base.score(Zte, yte),
             demographic_parity_difference(yte, base.predict(Zte), sensitive_features=Ate))]
    configurations = [("default (curvature/path, strength 1)", {})] + [
        (f"{weighting}/{update}, strength 0.75",
         dict(weighting=weighting, update=update, strength=0.75))
        for update in ("newton", "path", "refit")
        for weighting in ("soft", "curvature", "hard")
    ] + [
        # not a default: what a coarser path (half the frontier's resolution) would cost
        ("curvature/path, strength 1, n_steps=5", dict(n_steps=5)),
    ]
    def unlearn_row(name, params, model, X, reference_time):
        """One table row: median time of 5 unlearnings of ``model`` on ``X``."""
        su = SoftUnlearner(FrozenEstimator(model), **params)
        with warnings.catch_warnings(), counting_grams() as grams:
            warnings.simplefilter("ignore", RuntimeWarning)
            seconds, su = timed(lambda: su.fit(X, ytr, sensitive_features=Atr), repeat=5)
        dp = demographic_parity_difference(yte, su.predict(Zte), sensitive_features=Ate)
        return (name, seconds, seconds / reference_time, seconds / floor, grams[0] / 5,
                su.score(Zte, yte), dp)

    rows += [unlearn_row(f"unlearn {name}", params, base, Ztr, fit_time)
             for name, params in configurations]
    columns = ["step", "seconds", "ratio to fit", "Gram floors", "Gram passes",
               "test accuracy", "test DP difference"]
    table = pd.DataFrame(rows, columns=columns)
    # The same rows in compressed sparse form (what a ColumnTransformer with
    # scikit-learn's sparse OneHotEncoder output gives): lbfgs is much cheaper there.
    Str = sp.csr_matrix(Ztr)
    sparse_fit_time, sparse_base = timed(
        lambda: LogisticRegression(max_iter=1000).fit(Str, ytr), repeat=5)
    sparse_rows = [("original fit (lbfgs), CSR", sparse_fit_time, 1.0,
                    sparse_fit_time / floor, np.nan, sparse_base.score(Zte, yte), np.nan)]
    sparse_rows += [unlearn_row(f"unlearn {name}, CSR", params, sparse_base, Str,
                                sparse_fit_time) for name, params in configurations[:2]]
    default = table.iloc[1]
    write("adult_unlearn_time", "Unlearning time vs fitting time, Adult (sex)", [
        f"{Ztr.shape[0]} training rows x {Ztr.shape[1]} features; median of 5 runs each; "
        f"one Gram floor (dsyrk on the dense X~) = {floor:.4f} s; one Gram pass of "
        f"skunlearn's design ({storage}) = {gram_pass:.4f} s.",
        "",
        markdown_table(table),
        "",
        f"The default's {default['Gram passes']:.0f} Gram passes take about "
        f"{default['Gram passes'] * gram_pass:.3f} s of its {default['seconds']:.3f} s "
        f"({default['Gram passes'] * gram_pass / floor:.1f} of its "
        f"{default['Gram floors']:.1f} floors); the rest is the products with X~ and "
        "X~^T of the Newton iterations, the loss, and the per-point influence and "
        "weight solves. The last row is not a default: the path with 5 points per unit "
        "of strength instead of 10.",
        "",
        "The same training rows as a CSR matrix (ratios to the lbfgs fit on CSR; floors "
        "as above):",
        "",
        markdown_table(pd.DataFrame(sparse_rows, columns=columns)),
    ])


if __name__ == "__main__":
    main()
