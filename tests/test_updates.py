"""Updates against exact weighted refits."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

from skunlearn import SoftUnlearner
from skunlearn.models import adapter_for
from skunlearn.updates import newton_update

from .conftest import make_group_data


def _regression(n=300, seed=0):
    X, _, A = make_group_data(n=n, seed=seed)
    y = X @ [1.0, -0.5, 0.3, 0.2] + 0.8 * A + np.random.default_rng(seed).normal(size=n)
    return X, y, A


def _weighted_least_squares(X, y, weights, alpha, fit_intercept):
    """Dense normal equations of sum_i w_i (y_i - x_i.w - b)^2 + alpha ||w||^2."""
    Xt = np.column_stack([X, np.ones(len(X))]) if fit_intercept else X
    P = np.full(Xt.shape[1], alpha)
    if fit_intercept:
        P[-1] = 0.0
    return np.linalg.solve(Xt.T @ (weights[:, None] * Xt) + np.diag(P), Xt.T @ (weights * y))


@pytest.mark.parametrize(
    "estimator", [Ridge(alpha=2.0), Ridge(alpha=0.1, fit_intercept=False), LinearRegression()]
)
@pytest.mark.parametrize("weighting", ["soft", "curvature", "hard", "bounded"])
def test_newton_update_is_the_exact_weighted_refit_for_least_squares(estimator, weighting):
    X, y, A = _regression()
    su = SoftUnlearner(
        estimator,
        update="newton",
        weighting="soft" if weighting == "bounded" else weighting,
        bounds=(-1, None) if weighting == "bounded" else None,
    ).fit(X, y, sensitive_features=A)
    weights = 1.0 + su.weights_
    alpha = getattr(estimator, "alpha", 0.0)
    theta = _weighted_least_squares(X, y, weights, alpha, estimator.fit_intercept)
    np.testing.assert_allclose(su.coef_, theta[: X.shape[1]], rtol=1e-8, atol=1e-8)
    if estimator.fit_intercept:
        np.testing.assert_allclose(su.intercept_, theta[-1], rtol=1e-8, atol=1e-8)
    if weights.min() >= 0:  # scikit-learn itself accepts the weights: compare with it too
        exact = clone(estimator).fit(X, y, sample_weight=weights)
        np.testing.assert_allclose(su.coef_, exact.coef_, rtol=1e-8, atol=1e-8)
        np.testing.assert_allclose(su.intercept_, exact.intercept_, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("estimator", [Ridge(alpha=2.0), LinearRegression()])
def test_path_ends_at_the_exact_weighted_refit_for_least_squares(estimator):
    X, y, A = _regression(seed=3)
    su = SoftUnlearner(estimator, weighting="soft", update="path", bounds=(-1, None))
    su.fit(X, y, sensitive_features=A)
    exact = clone(estimator).fit(X, y, sample_weight=np.maximum(1.0 + su.weights_, 0.0))
    np.testing.assert_allclose(su.coef_, exact.coef_, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(su.intercept_, exact.intercept_, rtol=1e-8, atol=1e-8)


def test_newton_update_solves_weighted_normal_equations():
    X, y, _ = _regression(seed=4)
    est = Ridge(alpha=1.0).fit(X, y)
    adapter = adapter_for(est)
    model = adapter.build(est, X, y, None)
    theta, _ = model.polish(adapter.parameters(est))
    eps = np.random.default_rng(0).uniform(-0.9, 2.0, len(y))
    new = newton_update(model, theta, eps)
    assert np.linalg.norm(model.gradient(new, 1.0 + eps)) < 1e-9


def test_refit_reaches_the_weighted_optimum_for_logistic():
    X, y, A = make_group_data(n=600, seed=7)
    su = SoftUnlearner(LogisticRegression(C=1.0), weighting="soft", update="refit", strength=0.8,
                       bounds=(-1, None)).fit(X, y, sensitive_features=A)
    weights = 1.0 + su.weights_
    assert weights.min() >= -1e-12
    exact = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(
        X, y, sample_weight=np.maximum(weights, 0))
    np.testing.assert_allclose(su.coef_, exact.coef_, atol=1e-6)
    np.testing.assert_allclose(su.intercept_, exact.intercept_, atol=1e-6)


def test_path_reaches_the_target_more_closely_than_one_step():
    X, y, A = make_group_data(n=800, seed=2, shift=2.5)
    kw = dict(weighting="curvature")
    one = SoftUnlearner(LogisticRegression(), update="newton", **kw).fit(X, y, sensitive_features=A)
    path = SoftUnlearner(LogisticRegression(), update="path", n_steps=8, **kw).fit(
        X, y, sensitive_features=A)
    assert abs(path.objective_after_.iloc[0]) < abs(one.objective_after_.iloc[0])
    assert abs(path.objective_after_.iloc[0]) < 0.02 * abs(path.objective_before_.iloc[0]) + 1e-3
    assert len(path.frontier_) == 9  # the original and 8 path points
    assert path.frontier_["reached"].all()


def test_refit_clips_negative_weights_with_a_warning():
    X, y, A = make_group_data(n=200, seed=1, shift=3.0)
    with pytest.warns(RuntimeWarning, match="negative retraining weight"):
        SoftUnlearner(LogisticRegression(), update="refit").fit(X, y, sensitive_features=A)
