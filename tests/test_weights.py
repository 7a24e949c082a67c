"""Soft, bounded, curvature-aware and hard weights meet their constraints."""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skunlearn._groups import encode_groups
from skunlearn.influence import Influence
from skunlearn.models import adapter_for
from skunlearn.objectives import EvaluationLoss, get_objective
from skunlearn.weights import curvature_weights, hard_weights, soft_weights

from .conftest import make_group_data


def _influence(objective="demographic_parity", n=500, n_groups=2, seed=0):
    X, y, A = make_group_data(n=n, seed=seed)
    if n_groups > 2:
        A = np.random.default_rng(seed).integers(0, n_groups, n) + A
    est = LogisticRegression().fit(X, y)
    adapter = adapter_for(est)
    model = adapter.build(est, X, y, None)
    theta, info = model.polish(adapter.parameters(est))
    target = get_objective(objective).bind(model.design, model.y, encode_groups(A, n), model.loss)
    utility = EvaluationLoss().bind(model.design, model.y, None, model.loss)
    return Influence(model, theta, info["solver"], target, utility), utility


@pytest.mark.parametrize(
    "objective, n_groups", [("demographic_parity", 2), ("demographic_parity", 4), ("equalized_odds", 2)]
)
@pytest.mark.parametrize("strength", [0.3, 1.0])
def test_soft_weights_meet_target_and_hold_utility(objective, n_groups, strength):
    infl, _ = _influence(objective, n_groups=n_groups)
    F = infl.target_value
    assert len(F) == (n_groups - 1) * (2 if objective == "equalized_odds" else 1)
    eps = soft_weights(infl, -strength * F)
    np.testing.assert_allclose(infl.f.T @ eps, -strength * F, atol=1e-8)
    assert abs(infl.u @ eps) <= 1e-8


def test_soft_weights_are_the_minimum_norm_solution():
    infl, _ = _influence()
    goal = -infl.target_value
    eps = soft_weights(infl, goal)
    A = np.column_stack([infl.f, infl.u])
    # any other feasible point is eps + a null-space direction: never shorter
    null = np.random.default_rng(0).normal(size=(len(eps), 5))
    null -= A @ np.linalg.lstsq(A, null, rcond=None)[0]
    for z in null.T:
        assert np.linalg.norm(eps + 0.1 * z) > np.linalg.norm(eps)
    assert np.allclose(A.T @ (eps + 0.1 * null[:, 0]), A.T @ eps, atol=1e-8)


def test_signed_target_is_pushed_towards_zero():
    """The reference code used |F|; with F < 0 that pushed the wrong way."""
    infl, _ = _influence()
    eps = soft_weights(infl, -infl.target_value)
    new = infl.target_value + infl.f.T @ eps
    np.testing.assert_allclose(new, 0.0, atol=1e-10)


@pytest.mark.parametrize("bounds", [(-1.0, None), (-0.5, 0.5), (None, 2.0)])
def test_bounded_weights_respect_bounds_and_constraints(bounds):
    infl, _ = _influence()
    goal = -0.5 * infl.target_value
    eps = soft_weights(infl, goal, bounds=bounds)
    lo, hi = bounds
    if lo is not None:
        assert eps.min() >= lo - 1e-12
    if hi is not None:
        assert eps.max() <= hi + 1e-12
    np.testing.assert_allclose(infl.f.T @ eps, goal, atol=1e-8)
    assert abs(infl.u @ eps) <= 1e-8


def test_bounded_weights_are_optimal():
    """KKT: eps = clip(A mu): compare with a dense QP solution from scipy."""
    from scipy.optimize import minimize

    infl, _ = _influence(n=60)
    goal = -0.5 * infl.target_value
    eps = soft_weights(infl, goal, bounds=(-1.0, 1.0))
    assert np.abs(eps).max() == pytest.approx(1.0)  # some bounds are active
    A = np.column_stack([infl.f, infl.u])
    b = np.append(goal, 0.0)
    res = minimize(
        lambda e: 0.5 * e @ e, np.zeros(60), jac=lambda e: e, method="SLSQP",
        bounds=[(-1.0, 1.0)] * 60,
        constraints=[{"type": "eq", "fun": lambda e: A.T @ e - b, "jac": lambda e: A.T}],
        options={"ftol": 1e-14, "maxiter": 500},
    )
    np.testing.assert_allclose(eps, res.x, atol=1e-5)


def test_unreachable_bounded_target_raises():
    infl, _ = _influence()
    with pytest.raises(ValueError, match="cannot be reached"):
        soft_weights(infl, -50 * infl.target_value, bounds=(-0.01, 0.01))


def test_bounds_must_contain_zero():
    infl, _ = _influence()
    with pytest.raises(ValueError, match="contain 0"):
        soft_weights(infl, -infl.target_value, bounds=(0.1, None))


def test_degenerate_utility_falls_back_with_a_warning():
    f = np.array([[1.0], [2.0], [3.0]])
    infl = SimpleNamespace(f=f, u=2 * f[:, 0])
    with pytest.warns(RuntimeWarning, match="parallel"):
        eps = soft_weights(infl, np.array([-1.0]))
    np.testing.assert_allclose(f.T @ eps, [-1.0])


def test_curvature_weights_match_dense_solution():
    infl, utility = _influence(n=150)
    H_U = utility.hessian(infl.theta)
    goal = -infl.target_value
    model = infl.model
    G = infl.row_scales[:, None] * model.design.block(slice(None))
    B = G @ np.linalg.inv(infl.solver.H)  # the factor the influences use
    M = B @ H_U @ B.T
    vals = np.linalg.eigvalsh(M)
    for reg in (0.01, 1.0, 100.0):
        lam = reg * vals[vals > 1e-12 * vals.max()].mean()
        K = lam * np.eye(len(M)) + M
        Kf = np.linalg.solve(K, infl.f)
        dense = Kf @ np.linalg.solve(infl.f.T @ Kf, goal)
        eps = curvature_weights(infl, goal, H_U, reg=reg)
        np.testing.assert_allclose(eps, dense, atol=1e-8 * np.abs(dense).max())
        np.testing.assert_allclose(infl.f.T @ eps, goal, atol=1e-8)


def test_curvature_weights_trade_norm_for_utility_cost():
    infl, utility = _influence(n=300)
    H_U = utility.hessian(infl.theta)
    goal = -infl.target_value

    def cost(eps):
        d = infl.shift(eps)
        return d @ H_U @ d

    soft = soft_weights(infl, goal, hold_utility=False)
    small, large = (curvature_weights(infl, goal, H_U, reg=r) for r in (0.01, 1e6))
    assert cost(small) < cost(soft)
    np.testing.assert_allclose(large, soft, atol=1e-4 * np.abs(soft).max())


def test_hard_weights_delete_the_most_harmful_rows():
    infl, _ = _influence()
    goal = -infl.target_value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        eps = hard_weights(infl, goal)
    assert set(np.unique(eps)) <= {-1.0, 0.0}
    gain = -(infl.f[:, 0] * np.sign(goal[0]))
    deleted = eps == -1
    assert gain[deleted].min() >= gain[~deleted].max()
    eps10 = hard_weights(infl, goal, fraction=0.1)
    assert (eps10 == -1).sum() == 50
