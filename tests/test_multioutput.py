"""Multinomial LogisticRegression and Ridge/LinearRegression with several targets.

For each family and setting: the gradient, per-row gradients and Hessian against
central finite differences; scikit-learn's tightly converged fit is stationary for
the built objective; the refit update is the estimator's own weighted refit; the
softmax null direction is handled (the Hessian vanishes on it, the solves are its
pseudo-inverse, polishing never moves along it); the per-class and per-target
objectives' Jacobians against finite differences, and their hard metrics against
fairlearn's. Leave-one-out fidelity on real data is in test_influence_families.py.
"""

import warnings

import numpy as np
import pytest
from fairlearn.metrics import (
    demographic_parity_difference,
    equalized_odds_difference,
    true_positive_rate_difference,
)
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeCV
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from skunlearn import SoftUnlearner
from skunlearn._groups import encode_groups
from skunlearn.models import MultiOutputModel, adapter_for
from skunlearn.objectives import EvaluationLoss, Objective, get_objective
from skunlearn.updates import refit_update

from .test_models import _fd_grad

SW = np.random.default_rng(42).uniform(0.5, 2.0, 150)
TIGHT = dict(tol=1e-12, max_iter=100_000)


def _data(kind, n=150, seed=1):
    """Three (or four) classes from a softmax model, or targets, with a group shifting feature 0."""
    rng = np.random.default_rng(seed)
    A = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 3))
    X[:, 0] += A
    if kind.startswith("classes"):
        K = int(kind[-1]) if kind[-1].isdigit() else 3
        logits = X @ rng.normal(size=(3, K)) + rng.normal(size=K)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        y = np.array([rng.choice(K, p=row) for row in p])
    else:
        m = int(kind[-1]) if kind[-1].isdigit() else 2
        y = X @ rng.normal(size=(3, m)) + A[:, None] * rng.normal(size=m) + rng.normal(size=(n, m))
    return X, y, A


# (id, estimator, kind of target, sample weights)
SETTINGS = [
    ("lbfgs", LogisticRegression(C=0.7, **TIGHT), "classes", None),
    ("newton-cg", LogisticRegression(C=1.0, solver="newton-cg", **TIGHT), "classes", SW),
    ("newton-cholesky", LogisticRegression(C=0.5, solver="newton-cholesky", **TIGHT),
     "classes", None),
    ("sag", LogisticRegression(C=0.5, solver="sag", random_state=0, **TIGHT), "classes", SW),
    ("saga", LogisticRegression(C=2.0, solver="saga", random_state=0, **TIGHT), "classes", None),
    ("no-penalty", LogisticRegression(C=np.inf, **TIGHT), "classes", None),
    ("no-intercept", LogisticRegression(C=2.0, fit_intercept=False, **TIGHT), "classes", None),
    ("no-penalty-no-intercept", LogisticRegression(C=np.inf, fit_intercept=False, **TIGHT),
     "classes", SW),
    ("balanced", LogisticRegression(class_weight="balanced", **TIGHT), "classes", None),
    ("dict-weights", LogisticRegression(class_weight={0: 2.0, 1: 0.5, 2: 1.5}, **TIGHT),
     "classes", SW),
    ("four-classes", LogisticRegression(C=0.3, **TIGHT), "classes4", None),
    ("ridge", Ridge(alpha=3.0), "targets", None),
    ("ridge-alpha-per-target", Ridge(alpha=[0.5, 5.0]), "targets", SW),
    ("ridge-no-intercept", Ridge(alpha=1.0, fit_intercept=False), "targets3", None),
    ("ols", LinearRegression(), "targets", SW),
    ("ols-no-intercept", LinearRegression(fit_intercept=False), "targets3", None),
]
SOFTMAX = [s[0] for s in SETTINGS if isinstance(s[1], LogisticRegression)]


def _fit(estimator, X, y, sw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sag/saga at tol=1e-12 may stop at max_iter
        return clone(estimator).fit(X, y, sample_weight=sw)


@pytest.fixture(params=SETTINGS, ids=[s[0] for s in SETTINGS])
def fitted(request):
    name, estimator, kind, sw = request.param
    X, y, A = _data(kind)
    est = _fit(estimator, X, y, sw)
    adapter = adapter_for(est)
    return name, adapter, est, adapter.build(est, X, y, sw), X, y, A, sw


def _null_basis(model):
    """Orthonormal basis of the softmax null direction (columns), or an empty one."""
    projector = model.null_projector()
    if projector is None:
        return np.zeros((model.n_params, 0))
    vals, vecs = np.linalg.eigh(projector)
    return vecs[:, vals > 0.5]


def _project(model, theta):
    """``theta`` without its null component (both parametrisations give the same model)."""
    N = _null_basis(model)
    return theta - N @ (N.T @ theta)


def test_model_shape(fitted):
    name, adapter, est, model, X, y, _, _ = fitted
    assert isinstance(model, MultiOutputModel)
    K = len(est.classes_) if adapter.is_classifier else y.shape[1]
    assert model.n_outputs == K and model.n_params == K * (X.shape[1] + est.fit_intercept)
    theta = adapter.parameters(est)
    np.testing.assert_allclose(model.scores(theta)[:, :], est.decision_function(X)
                               if adapter.is_classifier else est.predict(X), atol=1e-10)


def test_gradient_and_hessian_match_finite_differences(fitted):
    *_, model, _, _, _, _ = fitted
    theta = 0.3 * np.random.default_rng(0).normal(size=model.n_params)
    fd = _fd_grad(model.objective, theta)
    np.testing.assert_allclose(model.gradient(theta), fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())
    H = model.hessian(theta)
    fd_H = np.column_stack(
        [_fd_grad(lambda t, j=j: model.gradient(t)[j], theta) for j in range(model.n_params)])
    np.testing.assert_allclose(H, fd_H, rtol=1e-6, atol=1e-6 * np.abs(H).max())
    # with row weights too (the reweighted objectives of the path)
    w = np.random.default_rng(1).uniform(0.0, 2.0, model.n_samples)
    fd_w = _fd_grad(lambda t: model.objective(t, w), theta)
    np.testing.assert_allclose(model.gradient(theta, w), fd_w, rtol=1e-6,
                               atol=1e-6 * np.abs(fd_w).max())


def test_row_gradients_match_finite_differences(fitted):
    *_, model, _, _, _, _ = fitted
    theta = 0.3 * np.random.default_rng(1).normal(size=model.n_params)
    G = model.row_gradients(theta, slice(0, 5))
    for i in range(5):
        def row_loss(t, i=i):
            Z = model.design.matvec(t)[i:i + 1]
            return model.loss_scale * model.sample_weight[i] * model.loss.value(Z, model.y[i:i + 1])[0]

        np.testing.assert_allclose(G[i], _fd_grad(row_loss, theta), rtol=1e-6, atol=1e-9)
    full = model.row_gradients(theta, slice(None)).sum(axis=0) + model.penalty * theta
    np.testing.assert_allclose(full, model.gradient(theta), rtol=1e-10, atol=1e-12)
    # the operator form used by influences and weights: G M, G^T a, G^T G
    op = model.gradient_operator(model.row_scales(theta))
    Gall = model.row_gradients(theta, slice(None))
    M = np.random.default_rng(2).normal(size=(model.n_params, 2))
    a = np.random.default_rng(3).normal(size=model.n_samples)
    np.testing.assert_allclose(op.matvec(M), Gall @ M, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(op.rmatvec(a), Gall.T @ a, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(op.gram_lazy(), Gall.T @ Gall, rtol=1e-10, atol=1e-10)
    mask = np.arange(model.n_samples) % 3 == 0
    np.testing.assert_allclose(op.masked_gram_lazy(mask), Gall[mask].T @ Gall[mask],
                               rtol=1e-10, atol=1e-10)


def test_scikit_learn_optimum_is_stationary(fitted):
    """The tightly converged fit is a stationary point of the built objective (scikit-learn's constants)."""
    name, adapter, est, model, *_ = fitted
    theta = adapter.parameters(est)
    scale = np.abs(model.row_gradients(theta, slice(None))).sum(axis=0).max()
    tol = 1e-4 if name in ("sag", "saga") else 1e-6  # the stochastic solvers stop earlier
    assert np.linalg.norm(model.gradient(theta)) <= tol * scale
    polished, info = model.polish(theta)
    assert info["converged"] and info["grad_norm_after"] <= 1e-9 * scale
    np.testing.assert_allclose(polished, theta, atol=100 * tol * (1 + np.abs(theta).max()))


def test_refit_update_is_the_estimators_weighted_refit(fitted):
    name, adapter, est, model, X, y, _, sw = fitted
    if name == "balanced":
        pytest.skip("scikit-learn recomputes balanced class weights from the new sample "
                    "weights; the objective keeps the original ones (as for binary models)")
    theta, _ = model.polish(adapter.parameters(est))
    eps = np.random.default_rng(5).uniform(-1.0, 1.0, len(y))
    eps[:10] = -1.0  # some rows deleted outright
    new = refit_update(adapter, est, X, y, sw, model, theta, eps)
    base = np.ones(len(y)) if sw is None else sw
    exact = adapter.parameters(_fit(est, X, y, base * (1.0 + eps)))
    scale = 1 + np.abs(exact).max()
    tol = 1e-5 if name in ("sag", "saga") else 1e-6
    np.testing.assert_allclose(_project(model, new), _project(model, exact), atol=tol * scale)
    # and it is the optimum of the reweighted objective the influences differentiate
    assert np.linalg.norm(model.gradient(new, 1.0 + eps)) <= 1e-8 * scale


@pytest.mark.parametrize("name", SOFTMAX)
def test_the_softmax_null_direction_is_projected_out(name):
    setting = next(s for s in SETTINGS if s[0] == name)
    X, y, _ = _data(setting[2])
    est = _fit(setting[1], X, y, setting[3])
    adapter = adapter_for(est)
    model = adapter.build(est, X, y, setting[3])
    theta, info = model.polish(adapter.parameters(est))
    N = _null_basis(model)
    p = X.shape[1] + est.fit_intercept
    # the null direction: the unpenalised coordinates, shifted together in every class
    expected = (1 if est.fit_intercept else 0) if np.isfinite(est.C) else p
    assert N.shape[1] == expected
    H = model.hessian(theta)
    np.testing.assert_allclose(H @ N, 0.0, atol=1e-10 * np.abs(H).max())
    if N.shape[1]:
        assert np.linalg.matrix_rank(H, tol=1e-10 * np.abs(H).max()) == model.n_params - N.shape[1]
    # solves of right-hand sides orthogonal to it are the pseudo-inverse's, never a blind inverse
    b = _project(model, np.random.default_rng(0).normal(size=model.n_params))
    np.testing.assert_allclose(info["solver"].solve(b), np.linalg.pinv(H, rcond=1e-12) @ b,
                               rtol=1e-6, atol=1e-9 * np.abs(np.linalg.pinv(H) @ b).max())
    assert not info["solver"].singular
    # polishing never moves along it: a shifted start ends shifted by the same vector
    if N.shape[1]:
        shift = N @ np.full(N.shape[1], 0.7)
        moved, again = model.polish(theta + shift)
        assert again["converged"]
        np.testing.assert_allclose(moved, theta + shift, atol=1e-8)


def _objectives(is_classifier):
    names = ["demographic_parity", "error_rate_parity", "robustness"]
    if is_classifier:
        names += ["equal_opportunity", "false_positive_rate_parity", "equalized_odds"]
    return names


def test_objective_jacobians_match_finite_differences(fitted):
    _, adapter, est, model, X, y, A, sw = fitted
    groups = encode_groups(A, len(A))
    theta = adapter.parameters(est) + 0.2 * np.random.default_rng(3).normal(size=model.n_params)
    for name in _objectives(adapter.is_classifier) + ["utility"]:
        objective = EvaluationLoss() if name == "utility" else get_objective(name)
        bound = objective.bind(model.design, model.y, None if name in ("utility", "robustness")
                               else groups, model.loss, sw)
        value, jac = bound.value_and_jacobian(theta)
        np.testing.assert_allclose(value, bound.value(theta), rtol=1e-12)
        assert jac.shape == (len(value), model.n_params) and len(bound.row_names) == len(value)
        for j in range(len(value)):
            fd = _fd_grad(lambda t, j=j: bound.value(t)[j], theta)
            np.testing.assert_allclose(jac[j], fd, rtol=1e-6, atol=1e-7 * max(np.abs(fd).max(), 1e-3),
                                       err_msg=name)
        if name == "utility":  # its Hessian (for the curvature weights) too
            H = bound.hessian(theta)
            fd_H = np.column_stack([_fd_grad(lambda t, j=j: bound.jacobian(t)[0, j], theta)
                                    for j in range(model.n_params)])
            np.testing.assert_allclose(H, fd_H, rtol=1e-6, atol=1e-7 * np.abs(H).max())


def test_demographic_parity_rows_are_class_probability_gaps():
    """Per class but the most frequent (implied: probabilities sum to one), per group."""
    X, y, A = _data("classes")
    est = LogisticRegression().fit(X, y)
    model = adapter_for(est).build(est, X, y, None)
    theta = adapter_for(est).parameters(est)
    bound = get_objective("demographic_parity").bind(model.design, model.y,
                                                     encode_groups(A, len(A)), model.loss)
    P = est.predict_proba(X)
    implied = np.argmax(np.bincount(y))
    kept = [k for k in range(3) if k != implied]
    small = np.argmin(np.bincount(A))  # the largest group's row is implied
    expected = [P[A == small, k].mean() - P[:, k].mean() for k in kept]
    np.testing.assert_allclose(bound.value(theta), expected, atol=1e-10)
    assert bound.row_names == [f"demographic_parity[class={k}|{small}]" for k in kept]
    # the implied class's gap is minus the sum of the others'
    gap = P[A == small, implied].mean() - P[:, implied].mean()
    assert np.isclose(gap, -sum(expected))


def test_robustness_bound_is_the_binary_worst_case_for_two_outputs():
    """The softmax bound with K = 2 equals the binary closed form of the same model."""
    from skunlearn._linalg import Design, OutputBlocks
    from skunlearn.losses import LogisticLoss, SoftmaxLoss
    from skunlearn.objectives import Robustness

    X, y, _ = _data("classes")
    y2 = (y > 0).astype(float)
    rng = np.random.default_rng(0)
    theta = rng.normal(size=8)  # two blocks [w_k, b_k]
    binary = Robustness(0.3).bind(Design(X, True), y2, None, LogisticLoss())
    pairwise = Robustness(0.3).bind(OutputBlocks(Design(X, True), 2), y2, None, SoftmaxLoss(2))
    difference = theta[4:] - theta[:4]  # class 1's score minus class 0's
    np.testing.assert_allclose(pairwise.value(theta), binary.value(difference), rtol=1e-12)
    # and for three classes it bounds the worst case found by sampling perturbations
    est = LogisticRegression().fit(X, y)
    model = adapter_for(est).build(est, X, y, None)
    theta = adapter_for(est).parameters(est)
    bound = Robustness(0.3).bind(model.design, model.y, None, model.loss)
    W, b = est.coef_, est.intercept_
    deltas = rng.normal(size=(2000, 3))
    deltas *= 0.3 / np.linalg.norm(deltas, axis=1, keepdims=True)
    worst = np.max([model.loss.value((X + d) @ W.T + b, model.y) for d in deltas], axis=0)
    clean = model.loss.value(model.scores(theta), model.y)
    assert np.mean(worst - clean) <= bound.value(theta)[0] + 1e-12


def _three_classes():
    X, y, A = _data("classes", n=600, seed=4)
    labels = np.array(["low", "mid", "high"])[y]  # string labels, not 0..K-1
    return X, labels, A


def test_unlearning_a_multinomial_model_meets_the_target_and_keeps_the_api():
    X, y, A = _three_classes()
    est = LogisticRegression().fit(X, y)
    X0, y0 = X.copy(), y.copy()
    su = SoftUnlearner(FrozenEstimator(est), objective="demographic_parity").fit(
        X, y, sensitive_features=A)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert su.objective_before_.shape == (2,)  # K - 1 classes x (groups - 1)
    assert np.all(np.abs(su.objective_after_) <= 0.011 * np.linalg.norm(su.objective_before_))
    assert su.coef_.shape == (3, 3) and su.intercept_.shape == (3,)
    np.testing.assert_array_equal(su.classes_, est.classes_)
    assert su.predict_proba(X).shape == (600, 3) and set(su.predict(X)) <= set(y)
    assert su.influence_.shape == (600, 3)
    # the frontier's metric is fairlearn's, one-vs-rest per class, worst class
    pred = su.predict(X)
    worst = max(demographic_parity_difference(y == c, pred == c, sensitive_features=A)
                for c in est.classes_)
    assert np.isclose(su.frontier_["metric"].iloc[-1], worst)
    assert su.frontier_.attrs["metric"].startswith("demographic_parity_difference (worst class")
    assert su.frontier_["metric"].iloc[-1] < 0.5 * su.frontier_["metric"].iloc[0]
    assert np.isclose(su.frontier_["score"].iloc[-1], np.mean(pred == y))
    # the user's model is untouched; the corrected one is a LogisticRegression
    assert type(su.estimator_) is LogisticRegression
    np.testing.assert_array_equal(adapter_for(est).parameters(est),
                                  adapter_for(est).parameters(su.original_estimator_))


@pytest.mark.parametrize("objective, metric", [
    ("equal_opportunity", true_positive_rate_difference),
    ("equalized_odds", equalized_odds_difference),
])
def test_rate_objectives_are_one_vs_rest(objective, metric):
    X, y, A = _three_classes()
    su = SoftUnlearner(LogisticRegression(), objective=objective, strength=0.5).fit(
        X, y, sensitive_features=A)
    rows = 3 if objective == "equal_opportunity" else 6  # every class (no class is implied)
    assert len(su.objective_before_) == rows
    assert np.all(np.abs(su.objective_after_ - 0.5 * su.objective_before_)
                  <= 0.011 * np.linalg.norm(su.objective_before_))
    pred = su.predict(X)
    worst = max(metric(y == c, pred == c, sensitive_features=A) for c in su.classes_)
    assert np.isclose(su.frontier_["metric"].iloc[-1], worst)


@pytest.mark.parametrize("options", [
    dict(weighting="soft"), dict(weighting="hard"), dict(update="newton"),
    dict(update="refit", weighting="soft"), dict(objective="error_rate_parity"),
    dict(objective="robustness"),
])
def test_every_weighting_and_update_runs(options):
    X, y, A = _three_classes()
    options = {"strength": 0.5, "n_steps": 3, **options}
    su = SoftUnlearner(LogisticRegression(), **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # hard deletion: whole rows
        su.fit(X, y, sensitive_features=A)
    assert np.linalg.norm(su.objective_after_) < np.linalg.norm(su.objective_before_)


def test_difference_bound_is_met_on_cross_fitted_predictions():
    X, y, A = _three_classes()
    su = SoftUnlearner(LogisticRegression(), difference_bound=0.05, n_steps=5).fit(
        X, y, sensitive_features=A)
    row = su.frontier_.loc[su.selected_step_]
    assert row["meets_bound"] and row["metric"] <= 0.05 and not row["degenerate"]
    assert "cross-fitting" in su.frontier_.attrs["evaluation"]


def test_eval_set_and_pipeline():
    X, y, A = _three_classes()
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    su = SoftUnlearner(pipe, strength=0.5, n_steps=2).fit(
        X[:400], y[:400], sensitive_features=A[:400], eval_set=(X[400:], y[400:], A[400:]))
    assert su.estimator_[-1].coef_.shape == (3, 3)
    direct = SoftUnlearner(LogisticRegression(), strength=0.5, n_steps=2).fit(
        StandardScaler().fit_transform(X[:400]), y[:400], sensitive_features=A[:400],
        eval_set=(StandardScaler().fit(X[:400]).transform(X[400:]), y[400:], A[400:]))
    np.testing.assert_allclose(su.coef_, direct.coef_, atol=1e-8)
    pred = su.predict(X[400:])
    worst = max(demographic_parity_difference(y[400:] == c, pred == c,
                                              sensitive_features=A[400:]) for c in su.classes_)
    assert np.isclose(su.frontier_["metric"].iloc[-1], worst)


def test_several_targets_unlearn_each_target():
    X, Y, A = _data("targets", n=400)
    est = Ridge(alpha=[1.0, 4.0]).fit(X, Y)
    su = SoftUnlearner(FrozenEstimator(est), objective="demographic_parity").fit(
        X, Y, sensitive_features=A)
    assert list(su.objective_before_.index) == ["demographic_parity[target=0|0]",
                                                "demographic_parity[target=1|0]"]
    assert np.all(np.abs(su.objective_after_) <= 0.011 * np.linalg.norm(su.objective_before_))
    pred = su.predict(X)
    assert pred.shape == (400, 2) and su.coef_.shape == (2, 3)
    # per target: the mean prediction of each group, the gap of the smaller group
    small = np.argmin(np.bincount(A))
    for j in range(2):
        assert np.isclose(su.objective_after_.iloc[j],
                          pred[A == small, j].mean() - pred[:, j].mean(), atol=1e-10)
    worst = max(abs(pred[A == 0, j].mean() - pred[A == 1, j].mean()) for j in range(2))
    assert np.isclose(su.frontier_["metric"].iloc[-1], worst)
    assert np.isclose(su.frontier_["score"].iloc[-1], r2_score(Y, pred))
    # least squares: one Newton step is the exact weighted refit, for every target
    newton = SoftUnlearner(FrozenEstimator(est), update="newton", weighting="soft",
                           bounds=(-1, None), strength=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # first-order weights: target near 0.3
        newton.fit(X, Y, sensitive_features=A)
    exact = Ridge(alpha=[1.0, 4.0]).fit(X, Y, sample_weight=1.0 + np.asarray(newton.weights_))
    np.testing.assert_allclose(newton.coef_, exact.coef_, atol=1e-10)
    np.testing.assert_allclose(newton.intercept_, exact.intercept_, atol=1e-10)


def test_one_target_column_is_a_target_like_any_other():
    X, Y, A = _data("targets", n=200)
    one = SoftUnlearner(LinearRegression()).fit(X, Y[:, :1], sensitive_features=A)
    flat = SoftUnlearner(LinearRegression()).fit(X, Y[:, 0], sensitive_features=A)
    np.testing.assert_allclose(np.ravel(one.coef_), flat.coef_, atol=1e-10)
    assert one.predict(X).shape == (200, 1)


class _Spread(Objective):
    """A user objective that knows nothing of several outputs."""

    name = "spread"
    needs_groups = False

    def bind(self, design, y, groups, loss, sample_weight=None):
        from skunlearn.objectives import LinearStatisticObjective

        return LinearStatisticObjective(design, y, np.full((len(y), 1), 1 / len(y)),
                                        "prediction", loss, ["spread"])


def test_unsupported_settings_are_refused_by_name():
    X, y, A = _three_classes()
    with pytest.raises(ValueError, match="solver='cg' is not available"):
        SoftUnlearner(LogisticRegression(), solver="cg").fit(X, y, sensitive_features=A)
    with pytest.raises(ValueError, match="'spread' is not available for a multinomial"):
        SoftUnlearner(LogisticRegression(), objective=_Spread()).fit(X, y)
    # a user objective on several targets is bound target by target
    Xr, Y, _ = _data("targets")
    su = SoftUnlearner(Ridge(), objective=_Spread(), strength=0.5).fit(Xr, Y)
    assert list(su.objective_before_.index) == ["spread[target=0]", "spread[target=1]"]
    with pytest.raises(ValueError, match="single-target"):
        est = RidgeCV().fit(Xr, Y)
        adapter_for(est).check_params(est)


def test_dask_refuses_several_outputs():
    da = pytest.importorskip("dask.array")
    X, y, A = _three_classes()
    est = LogisticRegression().fit(X, y)
    Xd = da.from_array(X, chunks=200)
    with pytest.raises(ValueError, match="multinomial LogisticRegression"):
        SoftUnlearner(FrozenEstimator(est)).fit(Xd, y, sensitive_features=A)
    Xr, Y, _ = _data("targets")
    with pytest.raises(ValueError, match="multi-target Ridge"):
        SoftUnlearner(FrozenEstimator(Ridge().fit(Xr, Y))).fit(
            da.from_array(Xr, chunks=50), Y, sensitive_features=A)


def test_tags_let_scikit_learns_checks_run_multiclass_and_multioutput():
    """tests/test_sklearn_compat.py runs the multiclass and multi-output checks through these."""
    assert get_tags(SoftUnlearner(LogisticRegression())).classifier_tags.multi_class
    assert get_tags(SoftUnlearner(Ridge())).target_tags.multi_output
    assert get_tags(SoftUnlearner(LinearRegression())).target_tags.multi_output
    from sklearn.linear_model import RidgeClassifier

    assert not get_tags(SoftUnlearner(RidgeClassifier())).classifier_tags.multi_class
    assert not get_tags(SoftUnlearner(RidgeCV())).target_tags.multi_output


def test_a_fitted_multinomial_unlearner_pickles_and_selects():
    import pickle

    X, y, A = _three_classes()
    su = SoftUnlearner(LogisticRegression(), n_steps=4).fit(X, y, sensitive_features=A)
    again = pickle.loads(pickle.dumps(su))
    np.testing.assert_array_equal(again.predict_proba(X), su.predict_proba(X))
    half = again.select(2)
    assert half.selected_step_ == 2
    assert not np.allclose(half.coef_, su.coef_)
