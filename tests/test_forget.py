"""Forgetter: removing training rows against exact refits without them.

Least squares must equal scikit-learn's refit on the kept rows (1e-8); the
smooth families must leave a gradient residual that the certificate measures
(recomputed here on the kept rows alone) and bounds, and that predicts the
distance to the exact refit; requests compose; bad requests are refused and
change nothing.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import (
    GammaRegressor,
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    PoissonRegressor,
    Ridge,
    RidgeClassifier,
    RidgeCV,
    SGDClassifier,
    SGDRegressor,
    TweedieRegressor,
)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skunlearn import Forgetter
from skunlearn.forget import RemovalCertificate
from skunlearn.models import adapter_for

from .conftest import make_group_data

N = 400
# the bound holds in exact arithmetic; measured gradients carry rounding below this
ROUNDING = 1e-12


def _data(kind, n=N, seed=0):
    X, y, _ = make_group_data(n=n, d=4, seed=seed)
    rng = np.random.default_rng(seed + 1)
    if kind == "regression":
        y = X @ [1.0, -2.0, 0.5, 0.3] + rng.normal(size=n)
    elif kind == "counts":
        y = rng.poisson(np.exp(0.3 + X @ [0.5, -0.3, 0.2, 0.1])).astype(float)
    elif kind == "positive":
        y = rng.gamma(2.0, np.exp(0.3 + X @ [0.5, -0.3, 0.2, 0.1]) / 2.0)
    return X, y


def _theta(estimator):
    return adapter_for(estimator).parameters(estimator)


def _exact(estimator, X, y, sample_weight, keep, theta0):
    """The exact optimum of ``estimator``'s objective fitted on the rows ``keep`` alone.

    Built on a copy of the kept rows (not through the Forgetter's placeholder),
    polished to convergence; also returns that model.
    """
    adapter = adapter_for(estimator)
    sw = None if sample_weight is None else sample_weight[keep]
    model = adapter.build(estimator, X[keep], y[keep], sw)
    theta, info = model.polish(theta0, max_iter=100)
    assert info["converged"]
    return theta, model


def _rows(n, k, seed=0):
    return np.sort(np.random.default_rng(seed).choice(n, k, replace=False))


# ------------------------------------------------------------------ exactness
@pytest.mark.parametrize("estimator", [
    Ridge(alpha=2.0), Ridge(alpha=0.5, fit_intercept=False), LinearRegression(),
    RidgeCV(alphas=[0.1, 10.0]),
])
@pytest.mark.parametrize("weighted", [False, True])
def test_least_squares_forgetting_is_the_refit_without_the_rows(estimator, weighted):
    X, y = _data("regression")
    sw = np.random.default_rng(5).uniform(0.5, 2.0, N) if weighted else None
    forgetter = Forgetter(estimator).fit(X, y, sample_weight=sw)
    first, second = _rows(N, 20, seed=1), np.arange(300, 340)
    second = np.setdiff1d(second, first)
    forgetter.forget(first).forget(second)
    keep = np.ones(N, dtype=bool)
    keep[first] = keep[second] = False
    np.testing.assert_array_equal(forgetter.forgotten_, np.flatnonzero(~keep))
    alpha = getattr(forgetter.estimator_, "alpha_", getattr(estimator, "alpha", None))
    plain = Ridge(alpha=alpha, fit_intercept=estimator.fit_intercept) if alpha is not None \
        else LinearRegression()
    refit = plain.fit(X[keep], y[keep], sample_weight=None if sw is None else sw[keep])
    np.testing.assert_allclose(forgetter.coef_, refit.coef_, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(forgetter.intercept_, refit.intercept_, rtol=1e-8, atol=1e-8)
    cert = forgetter.certificate_
    assert cert.n_forgotten == 60 - np.intersect1d(first, np.arange(300, 340)).size
    assert cert.bound < 1e-9 * (1 + np.linalg.norm(_theta(forgetter.estimator_)))
    assert cert.residual_norm < 1e-8


def test_least_squares_stays_exact_when_most_rows_go():
    # the downdate would subtract most of the Hessian: the anchor is rebuilt
    X, y = _data("regression")
    forgetter = Forgetter(Ridge(alpha=1.0)).fit(X, y)
    keep = np.ones(N, dtype=bool)
    for rows in (np.arange(0, 150), np.arange(150, 330), np.arange(330, 390)):
        forgetter.forget(rows)
        keep[rows] = False
        refit = Ridge(alpha=1.0).fit(X[keep], y[keep])
        np.testing.assert_allclose(forgetter.coef_, refit.coef_, rtol=1e-8, atol=1e-8)


def test_ridge_classifier_forgetting_is_exact():
    X, y = _data("classification")
    labels = np.where(y == 1, "yes", "no")
    rows = _rows(N, 40, seed=2)
    forgetter = Forgetter(RidgeClassifier(alpha=1.0, class_weight="balanced")).fit(X, labels)
    forgetter.forget(rows)
    keep = np.setdiff1d(np.arange(N), rows)
    refit = RidgeClassifier(alpha=1.0, class_weight="balanced").fit(X[keep], labels[keep])
    np.testing.assert_allclose(forgetter.coef_, refit.coef_, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(forgetter.predict(X), refit.predict(X))


# ------------------------------------------------------------ the certificate
@pytest.mark.parametrize("fraction", [0.01, 0.05, 0.2])
def test_logistic_certificate_against_the_exact_refit(fraction):
    X, y = _data("classification", n=1000)
    rows = _rows(1000, int(fraction * 1000), seed=3)
    forgetter = Forgetter(LogisticRegression(C=0.5)).fit(X, y).forget(rows)
    keep = np.ones(1000, dtype=bool)
    keep[rows] = False
    theta = _theta(forgetter.estimator_)
    exact, model = _exact(LogisticRegression(C=0.5).fit(X, y), X, y, None, keep, theta)
    cert = forgetter.certificate_
    # the residual is the gradient of the objective on the kept rows alone
    residual = model.gradient(theta)
    np.testing.assert_allclose(cert.residual_norm, np.linalg.norm(residual), rtol=1e-9)
    assert cert.residual_norm > 0 and cert.bound >= cert.residual_norm
    # and it predicts the distance to the exact refit: theta - exact ~ H^{-1} r
    gap = theta - exact
    predicted = np.linalg.solve(model.hessian(exact), residual)
    assert np.linalg.norm(gap - predicted) < 0.05 * np.linalg.norm(gap)
    # one more Newton step lands on the refit
    again = Forgetter(LogisticRegression(C=0.5), n_newton=1).fit(X, y).forget(rows)
    assert again.certificate_.bound >= again.certificate_.residual_norm
    assert again.certificate_.bound < cert.residual_norm
    assert np.linalg.norm(_theta(again.estimator_) - exact) < 1e-3 * np.linalg.norm(gap) + 1e-9
    # and against scikit-learn's own (tightly converged) refit
    sk = LogisticRegression(C=0.5, tol=1e-12, max_iter=10000).fit(X[keep], y[keep])
    twice = Forgetter(LogisticRegression(C=0.5), n_newton=2).fit(X, y).forget(rows)
    np.testing.assert_allclose(_theta(twice.estimator_), _theta(sk), rtol=1e-7, atol=1e-7)


def test_bound_holds_when_the_removal_is_far_from_small():
    # a third of the rows, all of the most confident positives: one step is far off
    X, y = _data("classification", n=600)
    est = LogisticRegression(C=10.0).fit(X, y)
    margin = est.decision_function(X)
    rows = np.argsort(-margin * (y == 1))[:200]
    forgetter = Forgetter(LogisticRegression(C=10.0)).fit(X, y).forget(rows)
    cert = forgetter.certificate_
    assert cert.residual_norm > 1e-3
    assert cert.bound >= cert.residual_norm
    assert cert.bound < 100 * cert.residual_norm  # informative, not vacuous


FAMILIES = [
    (LogisticRegression(class_weight="balanced"), "classification"),
    (LogisticRegression(solver="liblinear"), "classification"),
    (LogisticRegressionCV(Cs=[0.1, 1.0], l1_ratios=(0.0,), use_legacy_attributes=False),
     "classification"),
    (SGDClassifier(loss="log_loss", alpha=0.01, random_state=0), "classification"),
    (SGDRegressor(alpha=0.01, random_state=0), "regression"),
    (PoissonRegressor(alpha=0.1), "counts"),
    (GammaRegressor(alpha=0.1), "positive"),
    (TweedieRegressor(power=1.5, alpha=0.1), "counts"),
]


@pytest.mark.parametrize("estimator,kind", FAMILIES, ids=lambda e: type(e).__name__)
def test_every_family_forgets_toward_its_own_refit(estimator, kind):
    # the kept rows' objective is the family's own (balanced class weights
    # recounted, 1/sum(s) for GLMs, 1/n for SGD): built here on a copy of them
    X, y = _data(kind)
    sw = np.random.default_rng(9).uniform(0.5, 2.0, N)
    first, second = _rows(N, 20, seed=4), np.arange(350, 380)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SGD's ConvergenceWarning at fit
        forgetter = Forgetter(estimator).fit(X, y, sample_weight=sw)
        precise = Forgetter(estimator, n_newton=2).fit(X, y, sample_weight=sw)
    keep = np.ones(N, dtype=bool)
    for rows in (first, np.setdiff1d(second, first)):
        forgetter.forget(rows)
        precise.forget(rows)
        keep[rows] = False
        theta = _theta(forgetter.estimator_)
        fitted = forgetter._original
        exact, model = _exact(fitted, X, y, sw, keep, theta)
        cert = forgetter.certificate_
        np.testing.assert_allclose(
            cert.residual_norm, np.linalg.norm(model.gradient(theta)), rtol=1e-8, atol=1e-14)
        # least squares (SGDRegressor) is exact: its residual is rounding, its bound 0
        assert cert.bound >= cert.residual_norm - ROUNDING
        np.testing.assert_allclose(_theta(precise.estimator_), exact, rtol=1e-7, atol=1e-9)


# ---------------------------------------------------------------- composition
@pytest.mark.parametrize("estimator", [Ridge(alpha=1.0), LogisticRegression()])
def test_requests_compose(estimator):
    X, y = _data("regression" if isinstance(estimator, Ridge) else "classification")
    a, b, c = np.arange(0, 10), np.arange(50, 80), np.array([200, 7 + 300, 399])
    steps = Forgetter(estimator, n_newton=2).fit(X, y)
    steps.forget(a).forget(np.isin(np.arange(N), b)).forget(list(c))
    together = Forgetter(estimator, n_newton=2).fit(X, y).forget(np.concatenate([a, b, c]))
    np.testing.assert_array_equal(steps.forgotten_, np.sort(np.concatenate([a, b, c])))
    np.testing.assert_allclose(steps.coef_, together.coef_, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(steps.intercept_, together.intercept_, rtol=1e-9, atol=1e-10)
    assert steps.certificate_.n_forgotten == 43


def test_one_step_requests_in_a_row_keep_a_valid_bound():
    # later requests step with the Hessian of an earlier point (downdated, not
    # rebuilt); the bound accounts for it, and errors do not pile up
    X, y = _data("classification", n=1000)
    forgetter = Forgetter(LogisticRegression()).fit(X, y)
    keep = np.ones(1000, dtype=bool)
    for k in range(5):
        rows = np.arange(100 * k, 100 * k + 30)
        forgetter.forget(rows)
        keep[rows] = False
        cert = forgetter.certificate_
        assert cert.bound >= cert.residual_norm > 0
    exact, _ = _exact(forgetter._original, X, y, None, keep, _theta(forgetter.estimator_))
    single = Forgetter(LogisticRegression()).fit(X, y).forget(~keep)
    gap = np.linalg.norm(_theta(forgetter.estimator_) - exact)
    assert gap <= 2 * np.linalg.norm(_theta(single.estimator_) - exact)


def test_sparse_rows_and_the_hessian_free_solver_agree_with_direct():
    X, y = _data("classification")
    Xs = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    rows = _rows(N, 30, seed=6)
    direct = Forgetter(LogisticRegression(), n_newton=2, solver="direct").fit(Xs, y).forget(rows)
    free = Forgetter(LogisticRegression(), n_newton=2, solver="cg").fit(Xs, y).forget(rows)
    np.testing.assert_allclose(free.coef_, direct.coef_, rtol=1e-6, atol=1e-8)
    one = Forgetter(LogisticRegression(), solver="cg").fit(Xs, y).forget(rows)
    assert one.certificate_.bound >= one.certificate_.residual_norm


# ------------------------------------------------------------ noise (certified)
def test_noise_perturbs_the_objective_and_enters_the_certificate():
    X, y = _data("classification")
    forgetter = Forgetter(LogisticRegression(), noise=0.5, random_state=0).fit(X, y)
    plain = adapter_for(forgetter._original).build(forgetter._original, X, y, None)
    theta = _theta(forgetter.estimator_)
    b = -plain.gradient(theta)  # the perturbed objective's gradient L + b^T theta is 0
    b_drawn = np.random.RandomState(0).normal(0.0, 0.5, 5)
    np.testing.assert_allclose(b, b_drawn, rtol=1e-8, atol=1e-8)
    again = Forgetter(LogisticRegression(), noise=0.5, random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.coef_, forgetter.coef_)
    forgetter.forget(np.arange(10))
    cert = forgetter.certificate_
    assert cert.noise == 0.5 and cert.bound >= cert.residual_norm
    c = np.sqrt(2 * np.log(1.5 / 1e-4))
    assert cert.epsilon(1e-4) == pytest.approx(c * cert.bound / 0.5)
    # the residual is that of the perturbed objective on the kept rows
    keep = np.arange(10, N)
    kept = adapter_for(forgetter._original).build(forgetter._original, X[keep], y[keep], None)
    residual = kept.gradient(_theta(forgetter.estimator_)) + b_drawn
    np.testing.assert_allclose(cert.residual_norm, np.linalg.norm(residual), rtol=1e-8)


def test_certificate_epsilon():
    cert = RemovalCertificate(residual_norm=1e-3, bound=2e-3, noise=None, n_forgotten=1,
                              n_steps=1)
    assert cert.epsilon(0.01) == np.inf
    with pytest.raises(ValueError, match="delta"):
        cert.epsilon(0.0)


# ---------------------------------------------------------------- bad input
@pytest.fixture
def fitted():
    X, y = _data("classification")
    return Forgetter(LogisticRegression()).fit(X, y), X, y


@pytest.mark.parametrize("rows,message", [
    ([0, N], "out of range"),
    ([-1], "out of range"),
    ([3, 4, 3], "repeated"),
    ([1.0, 2.0], "integer positions"),
    (np.ones((2, 2), dtype=int), "1-D"),
    (np.ones(N - 1, dtype=bool), "one entry per training row"),
])
def test_bad_rows_are_refused(fitted, rows, message):
    forgetter, _, _ = fitted
    with pytest.raises(ValueError, match=message):
        forgetter.forget(rows)


def test_refused_requests_change_nothing(fitted):
    forgetter, X, y = fitted
    forgetter.forget([5, 6])
    coef = forgetter.coef_.copy()
    with pytest.raises(ValueError, match="already forgotten"):
        forgetter.forget([6, 7])
    with pytest.raises(ValueError, match="every row of class 1"):
        forgetter.forget(np.setdiff1d(np.flatnonzero(y == 1), [5, 6]))
    with pytest.raises(ValueError, match="every training row"):
        forgetter.forget(np.setdiff1d(np.arange(N), [5, 6]))
    np.testing.assert_array_equal(forgetter.coef_, coef)
    np.testing.assert_array_equal(forgetter.forgotten_, [5, 6])
    forgetter.forget([])  # an empty request changes nothing
    np.testing.assert_array_equal(forgetter.coef_, coef)
    forgetter.forget([7])  # and the state is still usable
    np.testing.assert_array_equal(forgetter.forgotten_, [5, 6, 7])


def test_rows_of_zero_weight_do_not_count_as_kept():
    X, y = _data("classification")
    sw = np.where(y == 1, 1.0, 0.0)
    sw[np.flatnonzero(y == 0)[:3]] = 1.0
    forgetter = Forgetter(LogisticRegression()).fit(X, y, sample_weight=sw)
    with pytest.raises(ValueError, match="every row of class 0"):
        forgetter.forget(np.flatnonzero(y == 0)[:3])


def test_regressor_refuses_forgetting_everything():
    X, y = _data("regression")
    forgetter = Forgetter(Ridge()).fit(X, y)
    with pytest.raises(ValueError, match="every training row"):
        forgetter.forget(np.ones(N, dtype=bool))


@pytest.mark.parametrize("params,message", [
    ({"n_newton": -1}, "n_newton"),
    ({"n_newton": 1.5}, "n_newton"),
    ({"noise": 0.0}, "noise"),
    ({"noise": "big"}, "noise"),
    ({"solver": "qr"}, "solver"),
])
def test_bad_parameters_are_refused(params, message):
    X, y = _data("classification")
    with pytest.raises(ValueError, match=message):
        Forgetter(LogisticRegression(), **params).fit(X, y)


def test_estimators_that_cannot_forget_are_refused():
    X, y = _data("classification")
    fitted = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="FrozenEstimator"):
        Forgetter(FrozenEstimator(fitted), noise=1.0).fit(X, y)
    with pytest.raises(ValueError, match="Pipeline"):
        Forgetter(make_pipeline(StandardScaler(), LogisticRegression())).fit(X, y)
    with pytest.raises(ValueError, match="hidden layers"):
        Forgetter(MLPClassifier(hidden_layer_sizes=(3,))).fit(X, y)
    with pytest.raises(TypeError, match="not supported"):
        Forgetter(StandardScaler()).fit(X, y)
    with pytest.raises(Exception, match="not fitted"):
        Forgetter(LogisticRegression()).forget([0])


# --------------------------------------------------------- inputs untouched
def test_frozen_model_and_arrays_are_never_modified():
    X, y = _data("classification")
    X_copy, y_copy = X.copy(), y.copy()
    fitted = LogisticRegression().fit(X, y)
    coef, intercept = fitted.coef_.copy(), fitted.intercept_.copy()
    forgetter = Forgetter(FrozenEstimator(fitted), n_newton=1).fit(X, y)
    forgetter.forget(np.arange(40)).forget([100, 101])
    np.testing.assert_array_equal(fitted.coef_, coef)
    np.testing.assert_array_equal(fitted.intercept_, intercept)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    assert forgetter.estimator_ is not fitted
    assert type(forgetter.estimator_) is LogisticRegression
    # predictions delegate to the forgotten-from model
    np.testing.assert_array_equal(forgetter.predict(X), forgetter.estimator_.predict(X))
    np.testing.assert_allclose(forgetter.predict_proba(X), forgetter.estimator_.predict_proba(X))
    assert forgetter.score(X, y) == forgetter.estimator_.score(X, y)


def test_after_fit_nothing_is_forgotten_and_the_model_is_the_polished_optimum():
    X, y = _data("classification")
    forgetter = Forgetter(LogisticRegression()).fit(X, y)
    assert forgetter.forgotten_.size == 0 and forgetter.certificate_ is None
    assert forgetter.polish_["converged"]
    exact = LogisticRegression(tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(forgetter.coef_, exact.coef_, rtol=1e-7, atol=1e-8)
    # a second fit starts over
    forgetter.forget([1, 2]).fit(X, y)
    assert forgetter.forgotten_.size == 0


def test_refit_reference_uses_a_clone():
    X, y = _data("regression")
    est = Ridge(alpha=3.0)
    Forgetter(est).fit(X, y).forget([0])
    assert not hasattr(est, "coef_")
    assert clone(est).get_params() == est.get_params()


def test_a_singular_hessian_on_the_kept_rows_is_warned_about():
    # column 3 copies column 2 except on rows 0-9: without them, OLS is singular
    X, y = _data("regression")
    X[:, 3] = X[:, 2]
    X[:10, 3] += 1.0
    forgetter = Forgetter(LinearRegression()).fit(X, y)
    with pytest.warns(RuntimeWarning, match="singular"):
        forgetter.forget(np.arange(10))
    # every minimiser predicts the kept rows alike, as scikit-learn's (lstsq) does
    keep = np.arange(10, N)
    refit = LinearRegression().fit(X[keep], y[keep])
    np.testing.assert_allclose(forgetter.predict(X[keep]), refit.predict(X[keep]), atol=1e-8)
    assert forgetter.certificate_.residual_norm < 1e-8


def test_pickles_and_takes_dataframes():
    import pickle

    import pandas as pd

    X, y = _data("classification")
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    forgetter = Forgetter(LogisticRegression()).fit(frame, y).forget([0, 1])
    np.testing.assert_array_equal(forgetter.feature_names_in_, ["a", "b", "c", "d"])
    loaded = pickle.loads(pickle.dumps(forgetter))
    loaded.forget([2])
    forgetter.forget([2])
    np.testing.assert_array_equal(loaded.coef_, forgetter.coef_)
    np.testing.assert_array_equal(loaded.predict(frame), forgetter.predict(frame))


@pytest.mark.parametrize("loss", [
    "logistic", "squared", "signed", "poisson", "gamma", "tweedie"])
def test_third_derivative_bound_covers_the_interval(loss):
    from skunlearn.losses import HalfTweedieLoss, LogisticLoss, SignedSquaredLoss, SquaredLoss

    loss = {"logistic": LogisticLoss(), "squared": SquaredLoss(),
            "signed": SignedSquaredLoss(), "poisson": HalfTweedieLoss(1.0),
            "gamma": HalfTweedieLoss(2.0), "tweedie": HalfTweedieLoss(1.5)}[loss]
    rng = np.random.default_rng(0)
    lo = rng.uniform(-4, 2, 50)
    hi = lo + rng.uniform(0, 3, 50)
    y = rng.uniform(0.1, 3.0, 50) if isinstance(loss, HalfTweedieLoss) else \
        rng.integers(0, 2, 50).astype(float)
    bound = loss.third_derivative_bound(lo, hi, y)
    grid = lo[:, None] + (hi - lo)[:, None] * np.linspace(0, 1, 401)
    h = 1e-4  # l''' by central differences of l''
    third = (loss.second_derivative(grid + h, y[:, None])
             - loss.second_derivative(grid - h, y[:, None])) / (2 * h)
    largest = np.abs(third).max(axis=1)
    assert np.all(bound >= largest * (1 - 1e-6) - 1e-9)  # up to the differences' error
    if isinstance(loss, LogisticLoss):  # the exact supremum
        np.testing.assert_allclose(bound, largest, rtol=1e-4, atol=1e-8)
    if isinstance(loss, HalfTweedieLoss) and loss.power == 1.0:
        np.testing.assert_allclose(bound, largest, rtol=1e-6)
