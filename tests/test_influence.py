"""Influence estimates against actual leave-one-out retraining."""

import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr
from sklearn.linear_model import LogisticRegression, Ridge

from skunlearn._groups import encode_groups
from skunlearn._linalg import Design, SymmetricSolver
from skunlearn.influence import Influence
from skunlearn.models import adapter_for
from skunlearn.objectives import EvaluationLoss, get_objective

from .conftest import make_group_data


def _setup(est, X, y, A, objective="demographic_parity"):
    adapter = adapter_for(est)
    model = adapter.build(est, X, y, None)
    theta, info = model.polish(adapter.parameters(est))
    target = get_objective(objective).bind(model.design, model.y, encode_groups(A, len(y)), model.loss)
    utility = EvaluationLoss().bind(model.design, model.y, None, model.loss)
    return adapter, model, theta, target, utility, Influence(model, theta, info["solver"], target, utility)


def test_leave_one_out_on_adult_matches_influence(adult_split):
    """Deleting each of 100 rows: predicted vs actual change of the DP target (Spearman >= 0.99).

    Utility is measured on held-out rows: on the training rows its gradient
    vanishes at the optimum and leave-one-out changes are second order.
    """
    Xtr, Xte, ytr, yte, Atr, _ = adult_split
    rng = np.random.default_rng(0)
    rows = rng.choice(len(ytr), 1000, replace=False)
    X, y, A = Xtr[rows], ytr[rows], Atr[rows]
    est = LogisticRegression(C=1.0, tol=1e-10, max_iter=5000).fit(X, y)
    adapter, model, theta, target, _, _ = _setup(est, X, y, A)
    held_out = Design(Xte[:3000], fit_intercept=True)
    utility = EvaluationLoss().bind(held_out, yte[:3000].astype(float), None, model.loss)
    infl = Influence(model, theta, SymmetricSolver(model.hessian(theta)), target, utility)
    F0, U0 = target.value(theta)[0], utility.value(theta)[0]

    deleted = rng.choice(len(y), 100, replace=False)
    predicted_F, actual_F, predicted_U, actual_U = [], [], [], []
    for i in deleted:
        keep = np.arange(len(y)) != i
        refit = LogisticRegression(C=1.0, tol=1e-10, max_iter=5000).fit(X[keep], y[keep])
        theta_i = adapter.parameters(refit)
        predicted_F.append(-infl.f[i, 0])  # eps_i = -1
        actual_F.append(target.value(theta_i)[0] - F0)
        predicted_U.append(-infl.u[i])
        actual_U.append(utility.value(theta_i)[0] - U0)
    assert spearmanr(predicted_F, actual_F).statistic >= 0.99
    assert pearsonr(predicted_F, actual_F).statistic >= 0.99
    assert spearmanr(predicted_U, actual_U).statistic >= 0.95
    assert pearsonr(predicted_U, actual_U).statistic >= 0.95


@pytest.mark.parametrize("objective", ["demographic_parity", "equalized_odds", "error_rate_parity"])
def test_small_reweighting_matches_first_order_prediction(objective):
    """For a small weight change, F moves by f^T eps (checked against an exact refit)."""
    X, y, A = make_group_data(n=300, seed=3)
    est = LogisticRegression(C=0.5).fit(X, y)
    adapter, model, theta, target, utility, infl = _setup(est, X, y, A, objective)
    eps = 1e-4 * np.random.default_rng(1).normal(size=len(y))
    exact, _ = model.polish(theta, 1.0 + eps)
    dF = target.value(exact) - target.value(theta)
    scale = np.abs(infl.f.T @ eps).max()
    np.testing.assert_allclose(dF, infl.f.T @ eps, rtol=1e-3, atol=1e-3 * scale)
    shift = infl.shift(eps)
    np.testing.assert_allclose(exact - theta, shift, atol=1e-3 * np.abs(shift).max())


def test_ridge_influence_is_exact_to_first_order():
    X, y, A = make_group_data(n=200, seed=5)
    y = X @ [1.0, 0.5, -0.3, 0.0] + np.random.default_rng(0).normal(size=200)
    est = Ridge(alpha=2.0).fit(X, y)
    _, model, theta, target, _, infl = _setup(est, X, y, A)
    eps = 1e-4 * np.random.default_rng(1).normal(size=200)
    exact, _ = model.polish(theta, 1.0 + eps)
    np.testing.assert_allclose(target.value(exact) - target.value(theta), infl.f.T @ eps, rtol=1e-3)


def test_influence_frame_has_one_row_per_training_row():
    X, y, A = make_group_data(n=100, seed=2)
    est = LogisticRegression().fit(X, y)
    *_, infl = _setup(est, X, y, A)
    frame = infl.to_frame()
    assert frame.shape == (100, 2)
    assert list(frame.columns) == ["demographic_parity[0]", "utility"]
