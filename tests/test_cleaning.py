"""objective="utility": influence-based data cleaning against a held-out set.

Labels of a known subset of the training rows are flipped; the validation rows
are clean. Rows that hurt the held-out loss must be the ones down-weighted, the
held-out loss must fall by the requested fraction, and the cleaned model must
move toward the model fitted on the clean labels.
"""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from skunlearn import SoftUnlearner


def _noisy(n=800, n_val=400, rate=0.2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n + n_val, 4))
    y = (rng.random(n + n_val) < 1 / (1 + np.exp(-(X @ [2.0, -1.0, 1.0, 0.0])))).astype(int)
    flipped = rng.random(n) < rate
    y_noisy = np.where(flipped, 1 - y[:n], y[:n])
    return X[:n], y_noisy, y[:n], flipped, X[n:], y[n:]


def _coef(est):
    return np.append(est.coef_.ravel(), est.intercept_)


@pytest.mark.parametrize("weighting", ["curvature", "soft", "hard"])
def test_cleaning_down_weights_the_flipped_rows(weighting):
    X, y_noisy, y_clean, flipped, X_val, y_val = _noisy()
    su = SoftUnlearner(LogisticRegression(), objective="utility", weighting=weighting,
                       strength=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "nearly parallel" fallback
        su.fit(X, y_noisy, eval_set=(X_val, y_val))
    before = log_loss(y_val, su.original_estimator_.predict_proba(X_val)[:, 1])
    after = log_loss(y_val, su.predict_proba(X_val)[:, 1])
    assert su.objective_before_.iloc[0] == pytest.approx(before, rel=1e-3)  # polished
    assert after == pytest.approx(0.8 * before, rel=0.01)  # strength: fraction of the loss
    assert su.utility_after_ == pytest.approx(after)
    eps = np.asarray(su.weights_)
    assert eps[flipped].mean() < eps[~flipped].mean() - 0.05
    # the most down-weighted tenth (or the deleted rows) are mostly flipped (a fifth of all)
    lowest = np.argsort(eps)[: min(len(eps) // 10, np.sum(eps < 0))]
    assert flipped[lowest].mean() > 0.6
    # ... and the model moves toward the one fitted on the clean labels
    ceiling = _coef(LogisticRegression().fit(X, y_clean))
    assert (np.linalg.norm(_coef(su.estimator_) - ceiling)
            < 0.6 * np.linalg.norm(_coef(su.original_estimator_) - ceiling))


def test_soft_cleaning_weights_are_minus_the_influence_on_held_out_loss():
    """Without a utility constraint the minimum-norm weights are proportional to -f (Koh & Liang)."""
    X, y_noisy, _, _, X_val, y_val = _noisy(seed=1)
    su = SoftUnlearner(LogisticRegression(), objective="utility", weighting="soft",
                       update="newton", strength=0.05).fit(X, y_noisy, eval_set=(X_val, y_val))
    f = su.influence_["held_out_loss"].to_numpy()
    np.testing.assert_allclose(su.influence_["utility"], f)  # the target is the utility
    F0 = su.objective_before_.iloc[0]
    np.testing.assert_allclose(su.weights_, -0.05 * F0 * f / (f @ f), rtol=1e-10)
    assert su.frontier_.loc[1, "held_out_loss"] == pytest.approx(su.frontier_.loc[1, "utility"])


def test_hard_cleaning_deletes_the_most_harmful_rows_first():
    X, y_noisy, _, flipped, X_val, y_val = _noisy(seed=2)
    su = SoftUnlearner(LogisticRegression(), objective="utility", weighting="hard",
                       update="refit", hard_fraction=0.1)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The unlearning path stopped short", RuntimeWarning)
        su.fit(X, y_noisy, eval_set=(X_val, y_val))
    f = su.influence_["held_out_loss"].to_numpy()
    deleted = np.flatnonzero(np.asarray(su.weights_) == -1)
    assert len(deleted) == 80
    np.testing.assert_array_equal(np.sort(deleted), np.sort(np.argsort(-f)[:80]))
    assert flipped[deleted].mean() > 0.6
    # the refit is scikit-learn's fit without them
    kept = np.ones(len(X), bool)
    kept[deleted] = False
    refit = LogisticRegression(tol=1e-12).fit(X[kept], y_noisy[kept])
    np.testing.assert_allclose(_coef(su.estimator_), _coef(refit), rtol=1e-5, atol=1e-6)


def test_cleaning_needs_held_out_rows():
    X, y_noisy, _, _, _, _ = _noisy(n=100, n_val=10)
    with pytest.raises(ValueError, match=r"objective='utility' is measured on held-out rows: "
                                         r"pass eval_set"):
        SoftUnlearner(LogisticRegression(), objective="utility").fit(X, y_noisy)
    with pytest.raises(ValueError, match="has none. Use strength instead"):
        SoftUnlearner(LogisticRegression(), objective="utility", difference_bound=0.1).fit(
            X, y_noisy, eval_set=(X, y_noisy))
