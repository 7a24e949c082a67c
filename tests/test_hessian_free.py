"""Hessian-free mode (solver="cg"): conjugate gradients on Hessian-vector products, sparse X."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge

from skunlearn import SoftUnlearner
from skunlearn import _linalg
from skunlearn._linalg import CGSolver, Design


def _sparse_problem(n=3000, d=300, density=0.02, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=density, format="csr", random_state=seed,
                  data_rvs=lambda k: rng.exponential(size=k))
    A = rng.integers(0, 2, n)
    z = 0.5 * (X @ rng.standard_normal(d)) + 0.8 * A - 0.4
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return X, y, A


@pytest.mark.parametrize("sparse", [False, True])
def test_cg_solves_what_the_factor_solves(sparse):
    X, _, _ = _sparse_problem(500, 40, 0.2)
    X = X if sparse else X.toarray()
    design = Design(X, fit_intercept=True)
    h = np.random.default_rng(1).random(500)
    penalty = np.r_[np.full(40, 0.5), 0.0]
    H = design.gram(h) + np.diag(penalty)
    np.testing.assert_allclose(design.gram_diagonal(h) + penalty, np.diag(H), rtol=1e-12)
    B = np.random.default_rng(2).standard_normal((41, 3))
    cg = CGSolver(design, h, penalty)
    np.testing.assert_allclose(cg.solve(B), np.linalg.solve(H, B), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(cg.solve(B[:, 0]), np.linalg.solve(H, B[:, 0]), rtol=1e-7,
                               atol=1e-9)


def test_cg_that_cannot_converge_warns_instead_of_pretending():
    X, _, _ = _sparse_problem(500, 40, 0.2)
    cg = CGSolver(Design(X, True), np.ones(500), np.zeros(41), max_iter=2)
    with pytest.warns(RuntimeWarning, match="Conjugate gradients stopped after 2 iterations"):
        cg.solve(np.ones(41))


def test_gram_factor_is_exact_at_full_rank_and_best_at_low_rank():
    X, _, _ = _sparse_problem(400, 30, 0.3)
    design = Design(X, fit_intercept=True)
    h = np.random.default_rng(3).random(400)
    H = design.gram(h)
    L = design.gram_factor(h, rank=31)
    np.testing.assert_allclose(L @ L.T, H, atol=1e-8 * np.abs(H).max())
    vals = np.linalg.eigvalsh(H)[::-1]
    L5 = design.gram_factor(h, rank=5)
    # the best rank-5 approximation errs by the sixth eigenvalue; randomized, within 5%
    assert vals[5] <= np.linalg.norm(H - L5 @ L5.T, 2) <= 1.05 * vals[5]


@pytest.mark.parametrize("params", [dict(weighting="soft", update="newton"),
                                    dict(weighting="soft"), dict(weighting="hard")])
def test_cg_gives_the_direct_answer(params):
    X, y, A = _sparse_problem()
    base = LogisticRegression(max_iter=1000).fit(X, y)
    fits = [SoftUnlearner(FrozenEstimator(base), solver=solver, **params).fit(
        X, y, sensitive_features=A) for solver in ("direct", "cg")]
    np.testing.assert_allclose(fits[1].coef_, fits[0].coef_, atol=1e-6)
    np.testing.assert_allclose(fits[1].influence_.to_numpy(), fits[0].influence_.to_numpy(),
                               rtol=1e-6, atol=1e-9 * np.abs(fits[0].influence_.to_numpy()).max())


def test_cg_curvature_weights_are_the_direct_ones_at_full_rank(monkeypatch):
    from skunlearn import correction

    X, y, A = _sparse_problem(1500, 40, 0.1)
    base = LogisticRegression(max_iter=1000).fit(X, y)
    direct = SoftUnlearner(FrozenEstimator(base), solver="direct").fit(X, y, sensitive_features=A)
    monkeypatch.setattr(correction, "HESSIAN_FREE_RANK", 41)  # every eigenvalue kept
    # and the utility map recomputed at every point, as the direct solver does
    original_init = correction.Continuation.__init__

    def per_point_map(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.fixed_utility_map, self._utility_map = False, None

    monkeypatch.setattr(correction.Continuation, "__init__", per_point_map)
    cg = SoftUnlearner(FrozenEstimator(base), solver="cg").fit(X, y, sensitive_features=A)
    # the weights' own solves stop at 1% (they only shape the weights; each point is
    # an exact optimum): the paths agree to about that, and both reach the target
    scale = np.abs(direct.coef_ - base.coef_).max()
    assert np.abs(cg.coef_ - direct.coef_).max() <= 0.05 * scale
    for fit in (cg, direct):
        assert np.linalg.norm(fit.objective_after_) <= 0.01 * np.linalg.norm(
            fit.objective_before_)


def test_hessian_free_never_forms_a_p_by_p_matrix(monkeypatch):
    X, y, A = _sparse_problem()
    base = LogisticRegression(max_iter=1000).fit(X, y)

    def refuse(*args, **kwargs):
        raise AssertionError("a p x p Gram matrix was formed")

    monkeypatch.setattr(_linalg.Design, "gram", refuse)
    monkeypatch.setattr(_linalg, "SymmetricSolver", refuse)
    for params in (dict(), dict(weighting="soft", update="newton"),
                   dict(difference_bound=0.05, n_steps=4)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            su = SoftUnlearner(FrozenEstimator(base), solver="cg", **params)
            su.fit(X, y, sensitive_features=A)
    assert su.frontier_["metric"].notna().all()


def test_default_path_reaches_its_target_hessian_free():
    X, y, A = _sparse_problem()
    base = LogisticRegression(max_iter=1000).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no stopped-short or CG warning
        su = SoftUnlearner(FrozenEstimator(base), solver="cg").fit(X, y, sensitive_features=A)
    before = su.objective_before_.to_numpy()
    after = su.objective_after_.to_numpy()
    assert np.linalg.norm(after) <= 0.01 * np.linalg.norm(before)


def test_auto_goes_hessian_free_beyond_the_direct_limit(monkeypatch):
    from skunlearn import _unlearner

    X, y, A = _sparse_problem(600, 50, 0.1)
    calls = []
    original = _linalg.CGSolver.__init__

    def spy(self, *args, **kwargs):
        calls.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(_linalg.CGSolver, "__init__", spy)
    SoftUnlearner(Ridge(), solver="auto").fit(X, y, sensitive_features=A)
    assert not calls
    monkeypatch.setattr(_unlearner, "_DIRECT_MAX_PARAMS", 40)
    SoftUnlearner(Ridge(), solver="auto").fit(X, y, sensitive_features=A)
    assert calls


def test_bad_solver_is_refused():
    X, y, A = _sparse_problem(200, 10, 0.3)
    with pytest.raises(ValueError, match="solver must be 'auto', 'direct' or 'cg'"):
        SoftUnlearner(LogisticRegression(), solver="lu").fit(X, y, sensitive_features=A)


def test_hessian_free_polish_returns_an_operator_even_when_it_stops_early():
    from skunlearn.models import adapter_for

    X, y, _ = _sparse_problem(400, 30, 0.3)
    est = LogisticRegression(max_iter=1000).fit(X, y)
    model = adapter_for(est).build(est, X, y, None)
    model.hessian_free = True
    weights = np.random.default_rng(0).uniform(0.2, 1.8, len(y))
    theta, info = model.polish(np.zeros(model.n_params), weights, max_iter=1)
    assert not info["converged"]
    # the operator is the Hessian at the returned theta
    H = model.hessian(theta, weights)
    b = np.arange(model.n_params, dtype=float)
    np.testing.assert_allclose(H @ info["solver"].solve(b), b, rtol=1e-6, atol=1e-8)
