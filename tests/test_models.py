"""Exact derivatives of each supported estimator's real training objective.

Gradients, per-row gradients and Hessians are checked against central finite
differences; the objective's scaling against scikit-learn itself: its tightly
converged fit must be a stationary point of our objective.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

from skunlearn.models import adapter_for

from .conftest import make_group_data

RNG = np.random.default_rng(42)
SW = RNG.uniform(0.5, 2.0, 120)

SETTINGS = [
    ("lbfgs", LogisticRegression(C=0.7), None),
    ("no-penalty", LogisticRegression(C=np.inf), None),
    ("no-intercept", LogisticRegression(C=2.0, fit_intercept=False), None),
    ("balanced", LogisticRegression(C=1.0, class_weight="balanced"), None),
    ("dict-weights", LogisticRegression(C=1.0, class_weight={0: 2.0, 1: 0.5}), SW),
    ("sample-weight", LogisticRegression(C=0.3), SW),
    ("newton-cholesky", LogisticRegression(C=0.3, solver="newton-cholesky"), None),
    ("liblinear", LogisticRegression(C=0.5, solver="liblinear", intercept_scaling=2.0), None),
    ("ridge", Ridge(alpha=3.0), None),
    ("ridge-weighted", Ridge(alpha=0.5), SW),
    ("ridge-no-intercept", Ridge(alpha=1.0, fit_intercept=False), None),
    ("ols", LinearRegression(), SW),
]


def _data(estimator, n=120):
    X, y, _ = make_group_data(n=n, d=3, seed=1)
    if not isinstance(estimator, LogisticRegression):
        y = X @ [1.0, -2.0, 0.5] + np.random.default_rng(3).normal(size=n)
    return X, y


def _tight(estimator):
    params = {"tol": 1e-12} if "tol" in estimator.get_params() else {}
    if isinstance(estimator, LogisticRegression):
        params["max_iter"] = 10_000
    return estimator.set_params(**params)


def _fd_grad(fun, theta, h=1e-6):
    out = np.empty_like(theta)
    for j in range(len(theta)):
        e = np.zeros_like(theta)
        e[j] = h
        out[j] = (fun(theta + e) - fun(theta - e)) / (2 * h)
    return out


@pytest.fixture(params=SETTINGS, ids=[s[0] for s in SETTINGS])
def fitted(request):
    _, estimator, sw = request.param
    X, y = _data(estimator)
    est = _tight(estimator).fit(X, y, sample_weight=sw)
    adapter = adapter_for(est)
    return adapter, est, adapter.build(est, X, y, sw), X, y


def test_gradient_matches_finite_differences(fitted):
    _, _, model, _, _ = fitted
    theta = np.random.default_rng(0).normal(size=model.n_params)
    fd = _fd_grad(model.objective, theta)
    np.testing.assert_allclose(model.gradient(theta), fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())


def test_row_gradients_match_finite_differences(fitted):
    _, _, model, _, _ = fitted
    theta = np.random.default_rng(1).normal(size=model.n_params)
    G = model.row_gradients(theta, slice(0, 5))
    for i in range(5):
        def row_loss(t, i=i):
            z = model.design.matvec(t)[i]
            return model.loss_scale * model.sample_weight[i] * model.loss.value(z, model.y[i])

        fd = _fd_grad(row_loss, theta)
        np.testing.assert_allclose(G[i], fd, rtol=1e-6, atol=1e-9)
    # the row gradients sum to the data part of the gradient
    full = model.row_gradients(theta, slice(None)).sum(axis=0) + model.penalty * theta
    np.testing.assert_allclose(full, model.gradient(theta), rtol=1e-10)


def test_hessian_matches_finite_differences(fitted):
    _, _, model, _, _ = fitted
    theta = np.random.default_rng(2).normal(size=model.n_params)
    H = model.hessian(theta)
    fd = np.column_stack(
        [_fd_grad(lambda t, j=j: model.gradient(t)[j], theta) for j in range(model.n_params)]
    )
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-6 * np.abs(H).max())


def test_scikit_learn_optimum_is_stationary(fitted):
    """Our objective has the minimiser scikit-learn computed (right C, penalty, weights)."""
    adapter, est, model, _, _ = fitted
    theta = adapter.parameters(est)
    grad = model.gradient(theta)
    scale = np.abs(model.row_gradients(theta, slice(None))).sum(axis=0).max()
    assert np.linalg.norm(grad) <= 1e-5 * scale
    polished, info = model.polish(theta)
    assert info["converged"]
    assert info["grad_norm_after"] <= 1e-9 * scale
    np.testing.assert_allclose(polished, theta, atol=1e-5 * (1 + np.abs(theta).max()))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_polish_recovers_optimum_from_a_loose_fit():
    X, y = _data(LogisticRegression())
    est = LogisticRegression(C=1.0, max_iter=2).fit(X, y)  # stopped early on purpose
    adapter = adapter_for(est)
    model = adapter.build(est, X, y, None)
    loose = adapter.parameters(est)
    theta, info = model.polish(loose)
    assert info["grad_norm_before"] > 1e-3
    assert info["grad_norm_after"] < 1e-10
    tight = adapter.parameters(_tight(LogisticRegression(C=1.0)).fit(X, y))
    np.testing.assert_allclose(theta, tight, atol=1e-6)


def test_sparse_input_gives_the_same_derivatives():
    X, y = _data(LogisticRegression())
    est = LogisticRegression().fit(X, y)
    dense = adapter_for(est).build(est, X, y, None)
    sparse = adapter_for(est).build(est, sp.csr_matrix(X), y, None)
    theta = np.array([0.3, -0.2, 0.1, 0.05])
    np.testing.assert_allclose(sparse.gradient(theta), dense.gradient(theta), rtol=1e-12)
    np.testing.assert_allclose(sparse.hessian(theta), dense.hessian(theta), rtol=1e-12)


@pytest.mark.parametrize(
    "estimator, message",
    [
        (LogisticRegression(l1_ratio=1.0, solver="saga"), "l2 penalty"),
        (LogisticRegression(l1_ratio=0.5, solver="saga"), "l2 penalty"),
        (Ridge(positive=True), "positive=True"),
    ],
)
def test_non_smooth_settings_are_refused(estimator, message):
    with pytest.raises(ValueError, match=message):
        adapter_for(estimator).check_params(estimator)


def test_unsupported_estimator_names_the_supported_ones():
    from sklearn.svm import SVC

    with pytest.raises(TypeError, match="LogisticRegression, Ridge, LinearRegression"):
        adapter_for(SVC())


def test_multiclass_cv_is_refused():
    """Multinomial LogisticRegression is supported (tests/test_multioutput.py), its CV form not."""
    from sklearn.linear_model import LogisticRegressionCV

    X = np.random.default_rng(0).normal(size=(60, 2))
    y = np.repeat([0, 1, 2], 20)
    est = LogisticRegressionCV(Cs=2, l1_ratios=(0.0,), use_legacy_attributes=False).fit(X, y)
    with pytest.raises(ValueError, match="binary"):
        adapter_for(est).check_params(est)
    adapter_for(LogisticRegression().fit(X, y)).check_params(LogisticRegression().fit(X, y))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_polish_from_a_nearby_factor_returns_a_factor_at_the_optimum():
    """Chord steps with a nearby factor, then Newton: the optimum, and its Hessian's factor."""
    X, y = _data(LogisticRegression())
    est = LogisticRegression(C=1.0, max_iter=2).fit(X, y)
    adapter = adapter_for(est)
    model = adapter.build(est, X, y, None)
    weights = np.random.default_rng(0).uniform(0.5, 1.5, len(y))
    start, first = model.polish(adapter.parameters(est))
    theta, info = model.polish(start, weights, solver=first["solver"])
    exact, _ = model.polish(start, weights)
    np.testing.assert_allclose(theta, exact, atol=1e-10)
    assert info["converged"] and info["n_iter"] >= 2
    H = model.hessian(theta, weights)
    b = np.arange(1.0, len(theta) + 1)
    np.testing.assert_allclose(info["solver"].solve(b), np.linalg.solve(H, b), rtol=1e-5)



def test_loss_derivative_kept_per_theta_never_serves_another():
    """The objective keeps ``l'(z)`` for the gradient at the same theta; a gradient at
    another theta, or with other weights, must not reuse it."""
    X, y, _ = make_group_data(n=400, seed=4)
    est = LogisticRegression().fit(X, y)
    model = adapter_for(est).build(est, X, y, None)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=model.n_params), rng.normal(size=model.n_params)
    w = rng.random(len(y)) + 0.5
    fresh = [adapter_for(est).build(est, X, y, None).gradient(t, v)
             for t, v in ((a, None), (b, None), (a, w))]
    model.objective(a)
    assert np.array_equal(model.gradient(a), fresh[0])
    model.objective(a)
    assert np.array_equal(model.gradient(b), fresh[1])
    model.objective(a, w)
    assert np.array_equal(model.gradient(a, w), fresh[2])


def test_logistic_loss_matches_scipy_at_extreme_scores():
    from scipy.special import expit, log_expit

    from skunlearn.losses import LogisticLoss

    z = np.array([-800.0, -40.0, -1e-20, 0.0, 1e-20, 3.0, 40.0, 800.0])
    loss = LogisticLoss()
    for y in (np.zeros_like(z), np.ones_like(z)):
        value, derivative = loss.value_and_derivative(z, y)
        expected = -(y * log_expit(z) + (1 - y) * log_expit(-z))
        np.testing.assert_allclose(value, expected, rtol=1e-14, atol=0)
        np.testing.assert_allclose(loss.value(z, y), expected, rtol=1e-14, atol=0)
        np.testing.assert_allclose(derivative, expit(z) - y, rtol=1e-14, atol=1e-300)
        np.testing.assert_array_equal(derivative, loss.derivative(z, y))
    # p (1 - p) on the side where p is small: 1 - p cancels to 0 at z = 40
    small = expit(-np.abs(z))
    np.testing.assert_allclose(loss.second_derivative(z, 0), small * (1 - small),
                               rtol=1e-14, atol=0)
    np.testing.assert_allclose(loss.predict(z), expit(z), rtol=1e-15, atol=0)


def test_a_pickled_model_leaves_its_caches_behind():
    import pickle

    X, y, _ = make_group_data(n=400, seed=5)
    est = LogisticRegression().fit(X, y)
    model = adapter_for(est).build(est, X, y, None)
    theta = np.r_[est.coef_.ravel(), est.intercept_]
    model.objective(theta)
    assert model._derivative_cache is not None
    copy = pickle.loads(pickle.dumps(model))
    assert "_derivative_cache" not in copy.__dict__
    np.testing.assert_array_equal(copy.gradient(theta), model.gradient(theta))
