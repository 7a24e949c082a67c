"""The estimator families beyond LogisticRegression/Ridge: exact derivatives, scaling, refits.

For each family and setting: gradient, per-row gradients and Hessian against
central finite differences; the fitted estimator is stationary for the built
objective (the constants are scikit-learn's); the refit update is the
estimator's own weighted refit; unsupported settings are refused by name.
"""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import (
    GammaRegressor,
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
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils.class_weight import compute_class_weight

from skunlearn import SoftUnlearner, supported_estimators
from skunlearn.models import adapter_for
from skunlearn.updates import refit_update

from .conftest import make_group_data
from .test_models import _fd_grad

RNG = np.random.default_rng(42)
SW = RNG.uniform(0.5, 2.0, 150)


def _data(kind, n=150):
    X, y, A = make_group_data(n=n, d=3, seed=1)
    rng = np.random.default_rng(3)
    if kind == "regression":
        y = X @ [1.0, -2.0, 0.5] + rng.normal(size=n)
    elif kind == "counts":
        y = rng.poisson(np.exp(0.3 + X @ [0.5, -0.3, 0.2])).astype(float)
    elif kind == "positive":
        y = rng.gamma(2.0, np.exp(0.3 + X @ [0.5, -0.3, 0.2]) / 2.0)
    return X, y, A


def _quiet_fit(est, X, y, sw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LogisticRegressionCV's FutureWarnings on defaults
        return est.fit(X, y, sample_weight=sw)


CV = dict(Cs=[0.01, 0.1, 1.0], tol=1e-12, max_iter=10_000, scoring="neg_log_loss",
          l1_ratios=(0.0,), use_legacy_attributes=False)
GLM = dict(tol=1e-12, max_iter=10_000)
SGD = dict(max_iter=3000, tol=1e-9, average=True, random_state=0)
MLP = dict(hidden_layer_sizes=(5,), solver="lbfgs", tol=1e-12, max_iter=20_000, random_state=0)

# (id, estimator, kind of target, sample weights, refit settings: plain estimator, or
# None when the estimator's own clone refits)
SETTINGS = [
    ("lrcv", LogisticRegressionCV(**CV), "binary", None),
    ("lrcv-weighted", LogisticRegressionCV(class_weight={0: 2.0, 1: 0.5}, **CV), "binary", SW),
    ("lrcv-balanced", LogisticRegressionCV(class_weight="balanced", **CV), "binary", None),
    ("lrcv-no-intercept", LogisticRegressionCV(fit_intercept=False, **CV), "binary", None),
    ("lrcv-liblinear", LogisticRegressionCV(solver="liblinear", intercept_scaling=3.0, **CV),
     "binary", None),
    ("ridgecv-gcv", RidgeCV(alphas=[0.1, 1.0, 10.0]), "regression", SW),
    ("ridgecv-kfold", RidgeCV(alphas=[0.1, 1.0, 10.0], cv=3), "regression", None),
    ("ridgecv-no-intercept", RidgeCV(alphas=[0.1, 1.0], fit_intercept=False), "regression", None),
    ("poisson", PoissonRegressor(alpha=0.1, **GLM), "counts", None),
    ("poisson-weighted", PoissonRegressor(alpha=0.01, **GLM), "counts", SW),
    ("poisson-unpenalised", PoissonRegressor(alpha=0.0, **GLM), "counts", None),
    ("poisson-newton", PoissonRegressor(alpha=0.1, solver="newton-cholesky", **GLM),
     "counts", None),
    ("gamma", GammaRegressor(alpha=0.1, **GLM), "positive", None),
    ("gamma-no-intercept", GammaRegressor(alpha=0.1, fit_intercept=False, **GLM),
     "positive", SW),
    ("tweedie-1.5", TweedieRegressor(power=1.5, alpha=0.1, **GLM), "counts", None),
    ("tweedie-log-1", TweedieRegressor(power=1.0, link="log", alpha=0.1, **GLM), "counts", SW),
    # SGD stops far from the optimum: its stationarity is tested through the polish
    ("sgd-log", SGDClassifier(loss="log_loss", alpha=0.01, **SGD), "binary", None),
    ("sgd-log-weighted", SGDClassifier(loss="log_loss", alpha=0.01, class_weight="balanced",
                                       **SGD), "binary", SW),
    ("sgd-log-no-penalty", SGDClassifier(loss="log_loss", penalty=None, **SGD), "binary", None),
    ("sgd-squared", SGDRegressor(alpha=0.01, **SGD), "regression", SW),
    ("sgd-squared-elasticnet-0", SGDRegressor(penalty="elasticnet", l1_ratio=0.0, alpha=0.1,
                                              fit_intercept=False, **SGD), "regression", None),
    ("ridge-classifier", RidgeClassifier(alpha=2.0), "binary", SW),
    ("ridge-classifier-balanced", RidgeClassifier(alpha=0.5, class_weight="balanced"),
     "binary", None),
    ("ridge-classifier-no-intercept", RidgeClassifier(alpha=1.0, fit_intercept=False),
     "binary", None),
    ("mlp-classifier", MLPClassifier(alpha=0.1, **MLP), "binary", None),
    ("mlp-classifier-weighted", MLPClassifier(alpha=0.01, activation="tanh", **MLP),
     "binary", SW),
    ("mlp-regressor", MLPRegressor(alpha=0.1, **MLP), "regression", SW),
    ("mlp-regressor-2-layers", MLPRegressor(alpha=0.1, **{**MLP, "hidden_layer_sizes": (4, 3)}),
     "regression", None),
]
STOCHASTIC = (SGDClassifier, SGDRegressor)


@pytest.fixture(params=SETTINGS, ids=[s[0] for s in SETTINGS])
def fitted(request):
    _, estimator, kind, sw = request.param
    X, y, _ = _data(kind)
    est = _quiet_fit(clone(estimator), X, y, sw)
    adapter = adapter_for(est)
    return adapter, est, adapter.build(est, X, y, sw), X, y, sw


def test_gradient_and_hessian_match_finite_differences(fitted):
    _, _, model, _, _, _ = fitted
    theta = 0.3 * np.random.default_rng(0).normal(size=model.n_params)
    fd = _fd_grad(model.objective, theta)
    np.testing.assert_allclose(model.gradient(theta), fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())
    H = model.hessian(theta)
    fd_H = np.column_stack(
        [_fd_grad(lambda t, j=j: model.gradient(t)[j], theta) for j in range(model.n_params)]
    )
    np.testing.assert_allclose(H, fd_H, rtol=1e-6, atol=1e-6 * np.abs(H).max())


def test_row_gradients_match_finite_differences(fitted):
    _, _, model, _, _, _ = fitted
    theta = 0.3 * np.random.default_rng(1).normal(size=model.n_params)
    G = model.row_gradients(theta, slice(0, 5))
    for i in range(5):
        def row_loss(t, i=i):
            z = model.design.matvec(t)[i]
            return model.loss_scale * model.sample_weight[i] * model.loss.value(z, model.y[i])

        np.testing.assert_allclose(G[i], _fd_grad(row_loss, theta), rtol=1e-6, atol=1e-9)
    full = model.row_gradients(theta, slice(None)).sum(axis=0) + model.penalty * theta
    np.testing.assert_allclose(full, model.gradient(theta), rtol=1e-10)


def test_scikit_learn_optimum_is_stationary(fitted):
    """The estimator's tightly converged fit is a stationary point of the built objective."""
    adapter, est, model, _, _, _ = fitted
    if isinstance(est, STOCHASTIC):
        pytest.skip("SGD does not converge tightly; see test_sgd_polishes_to_the_exact_optimum")
    if isinstance(est, MLPClassifier | MLPRegressor):
        pytest.skip("lbfgs stops the (non-convex) network early; see "
                    "test_mlp_gradient_is_scikit_learns_backprop")
    theta = adapter.parameters(est)
    scale = np.abs(model.row_gradients(theta, slice(None))).sum(axis=0).max()
    assert np.linalg.norm(model.gradient(theta)) <= 1e-5 * scale
    polished, info = model.polish(theta)
    assert info["converged"] and info["grad_norm_after"] <= 1e-9 * scale
    np.testing.assert_allclose(polished, theta, atol=1e-5 * (1 + np.abs(theta).max()))


def _sgd_equivalent(est, X, y, sw):
    """The deterministic estimator with SGD's optimum, fitted tightly with weights ``sw``.

    ``(1/n) sum s_i l_i + alpha/2 ||w||^2`` is LogisticRegression with
    ``C = 1 / (n alpha)`` (class weights fixed from the row counts), and for half the
    squared error Ridge with ``alpha = n alpha``.
    """
    n, alpha = len(y), est.alpha if est.penalty is not None else 0.0
    if isinstance(est, SGDClassifier):
        cw = 1.0
        if est.class_weight is not None:
            cw = compute_class_weight(est.class_weight, classes=np.unique(y), y=y)[y]
        C = np.inf if alpha == 0 else 1.0 / (n * alpha)
        lr = LogisticRegression(C=C, fit_intercept=est.fit_intercept, tol=1e-12, max_iter=10_000)
        return lr.fit(X, y, sample_weight=sw * cw)
    return Ridge(alpha=n * alpha, fit_intercept=est.fit_intercept).fit(X, y, sample_weight=sw)


def _own_weighted_refit(est, X, y, sw, weights):
    """The estimator family's own fit with ``sample_weight * weights`` (tight)."""
    base = np.ones(len(y)) if sw is None else sw
    if isinstance(est, STOCHASTIC):
        return _sgd_equivalent(est, X, y, base * weights)
    if isinstance(est, RidgeClassifier):
        return clone(est).fit(X, y, sample_weight=base * weights)
    if isinstance(est, MLPClassifier | MLPRegressor):  # the output layer, hidden layers kept
        adapter = adapter_for(est)
        layer = adapter.layer_estimator(est).fit(adapter.features(est, X), y,
                                                 sample_weight=base * weights)
        return adapter.with_parameters(est, np.append(layer.coef_, layer.intercept_))
    if isinstance(est, LogisticRegressionCV):  # the objective at the selected C_
        plain = adapter_for(est).plain(est).set_params(tol=1e-12, max_iter=10_000)
        return plain.fit(X, y, sample_weight=base * weights)
    if isinstance(est, RidgeCV):
        plain = Ridge(alpha=est.alpha_, fit_intercept=est.fit_intercept)
        return plain.fit(X, y, sample_weight=base * weights)
    # GLMs: the penalty keeps its weight relative to the original total weight
    alpha = est.alpha * base.sum() / (base * weights).sum()
    return clone(est).set_params(alpha=alpha).fit(X, y, sample_weight=base * weights)


def test_refit_update_is_the_estimators_weighted_refit(fitted):
    adapter, est, model, X, y, sw = fitted
    if getattr(est, "class_weight", None) == "balanced":
        pytest.skip("scikit-learn recomputes balanced class weights from the new sample "
                    "weights; the objective keeps the original ones (as for LogisticRegression)")
    theta, _ = model.polish(adapter.parameters(est))
    eps = np.random.default_rng(5).uniform(-1.0, 1.0, len(y))
    eps[:10] = -1.0  # some rows deleted outright
    new = refit_update(adapter, est, X, y, sw, model, theta, eps)
    exact = adapter.parameters(_own_weighted_refit(est, X, y, sw, 1.0 + eps))
    np.testing.assert_allclose(new, exact, atol=1e-6 * (1 + np.abs(exact).max()))
    # and it is the optimum of the reweighted objective the influences differentiate
    assert np.linalg.norm(model.gradient(new, 1.0 + eps)) <= 1e-8


@pytest.mark.parametrize(
    "estimator, message",
    [
        (LogisticRegressionCV(refit=False), "refit=True"),
        (LogisticRegressionCV(l1_ratios=(1.0,), solver="saga"), "l2 penalty"),
        (TweedieRegressor(power=1.5, link="identity"), "log link"),
        (TweedieRegressor(power=0.0), "log link"),
        (TweedieRegressor(power=3.0, link="log"), "1 <= power <= 2"),
        (TweedieRegressor(power=0.0, link="log"), "1 <= power <= 2"),
    ],
)
def test_unsupported_settings_are_refused(estimator, message):
    with pytest.raises(ValueError, match=message):
        SoftUnlearner(estimator).fit(*_data("counts")[:2])


def test_l1_selected_by_cross_validation_is_refused():
    X, y, _ = _data("binary")
    est = _quiet_fit(LogisticRegressionCV(Cs=[1.0], l1_ratios=(1.0,), solver="saga",
                                          use_legacy_attributes=False), X, y, None)
    with pytest.raises(ValueError, match="l2 penalty"):
        adapter_for(est).build(est, X, y, None)


def test_multi_target_ridgecv_is_refused():
    X, y, _ = _data("regression")
    est = RidgeCV(alphas=[0.1, 10.0], alpha_per_target=True).fit(X, np.column_stack([y, -y]))
    with pytest.raises(ValueError, match="one selected alpha_|single-target"):
        adapter_for(est).check_params(est)


@pytest.mark.parametrize("estimator", [PoissonRegressor(), GammaRegressor()])
def test_glm_targets_outside_the_domain_are_refused(estimator):
    X, y, _ = _data("counts")
    est = estimator.fit(X, y + 1.0)
    y_bad = y.copy()
    y_bad[0] = -1.0 if isinstance(estimator, PoissonRegressor) else 0.0
    with pytest.raises(ValueError, match="targets"):
        adapter_for(est).build(est, X, y_bad, None)


def test_sgd_polishes_to_the_exact_optimum():
    """SGD's objective and constants: its polished fit is the equivalent exact estimator's."""
    for _, estimator, kind, sw in SETTINGS:
        if not isinstance(estimator, STOCHASTIC):
            continue
        X, y, _ = _data(kind)
        est = _quiet_fit(clone(estimator), X, y, sw)
        adapter = adapter_for(est)
        model = adapter.build(est, X, y, sw)
        fitted = adapter.parameters(est)
        theta, info = model.polish(fitted)
        exact = adapter.parameters(_sgd_equivalent(est, X, y, np.ones(len(y)) if sw is None
                                                   else sw))
        np.testing.assert_allclose(theta, exact, atol=1e-6 * (1 + np.abs(exact).max()))
        if est.penalty is not None:  # SGD's own fit is near it (many epochs), not at it
            assert np.abs(fitted - exact).max() <= 0.1 * (1 + np.abs(exact).max())
        assert info["grad_norm_before"] > 1e3 * info["grad_norm_after"]


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s[0].startswith("mlp")],
                         ids=[s[0] for s in SETTINGS if s[0].startswith("mlp")])
def test_mlp_gradient_is_scikit_learns_backprop(setting):
    """The output layer's gradient is the network's own (``_backprop``) times ``sum(s)``."""
    _, estimator, kind, sw = setting
    X, y, _ = _data(kind)
    net = clone(estimator).fit(X, y, sample_weight=sw)
    adapter = adapter_for(net)
    model = adapter.build(net, X, y, sw)
    n_layers = len(net.coefs_) + 1
    activations = [X] + [None] * (n_layers - 1)
    deltas = [None] * (n_layers - 1)
    coef_grads = [np.empty_like(c) for c in net.coefs_]
    intercept_grads = [np.empty_like(b) for b in net.intercepts_]
    Y = y.reshape(-1, 1).astype(float)
    _, coef_grads, intercept_grads = net._backprop(
        X, Y, sw, activations, deltas, coef_grads, intercept_grads)
    total = len(y) if sw is None else sw.sum()
    theirs = total * np.append(coef_grads[-1].ravel(), intercept_grads[-1])
    ours = model.gradient(adapter.parameters(net))
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)
    # and at the polished layer the output layer is at its optimum
    theta, info = model.polish(adapter.parameters(net))
    assert info["converged"]


def test_the_user_is_told_how_far_sgd_was_from_the_optimum():
    X, y, A = _data("binary")
    est = SGDClassifier(loss="log_loss", alpha=0.01, random_state=0).fit(X, y)
    su = SoftUnlearner(FrozenEstimator(est), n_steps=2).fit(X, y, sensitive_features=A)
    model = adapter_for(est).build(est, X, y, None)
    assert np.isclose(su.polish_["grad_norm_before"],
                      np.linalg.norm(model.gradient(adapter_for(est).parameters(est))))
    assert su.polish_["converged"] and su.polish_["grad_norm_after"] < 1e-10
    # step 0 of the frontier is the fitted model itself, not the polished one
    np.testing.assert_allclose(su.select(0).coef_, est.coef_)


def test_mlp_design_is_the_hidden_activations_and_predictions_the_network():
    X, y, A = _data("binary")
    net = MLPClassifier(alpha=0.1, **MLP).fit(X, y)
    adapter = adapter_for(net)
    model = adapter.build(net, X, y, None)
    hidden = np.maximum(X @ net.coefs_[0] + net.intercepts_[0], 0.0)  # relu
    np.testing.assert_allclose(model.design.block(slice(None))[:, :-1], hidden)
    su = SoftUnlearner(net, n_steps=3).fit(X, y, sensitive_features=A)
    np.testing.assert_array_equal(su.estimator_.coefs_[0], su.original_estimator_.coefs_[0])
    scores = adapter.features(su.estimator_, X) @ su.estimator_.coefs_[-1].ravel()
    scores += su.estimator_.intercepts_[-1][0]
    np.testing.assert_allclose(su.predict_proba(X)[:, 1], 1 / (1 + np.exp(-scores)))
    assert abs(su.objective_after_.iloc[0]) <= 0.02 * abs(su.objective_before_.iloc[0])
    # an eval_set goes through the hidden layers too
    su_eval = SoftUnlearner(net, n_steps=2).fit(X, y, sensitive_features=A,
                                                eval_set=(X[:80], y[:80], A[:80]))
    assert np.isfinite(su_eval.objective_after_.iloc[0])


@pytest.mark.parametrize(
    "estimator, message",
    [
        (SGDClassifier(loss="hinge"), "loss='log_loss'"),
        (SGDClassifier(loss="log_loss", penalty="l1"), "penalty='l2' or None"),
        (SGDClassifier(loss="log_loss", penalty="elasticnet"), "penalty='l2' or None"),
        (SGDRegressor(loss="huber"), "loss='squared_error'"),
        (SGDRegressor(penalty="l1"), "penalty='l2' or None"),
        (RidgeClassifier(positive=True), "positive=True"),
    ],
)
def test_unsupported_sgd_and_ridge_classifier_settings_are_refused(estimator, message):
    with pytest.raises(ValueError, match=message):
        adapter_for(estimator).check_params(estimator)


@pytest.mark.parametrize("estimator", [
    SGDClassifier(loss="log_loss"), RidgeClassifier(), MLPClassifier(max_iter=50)])
def test_multiclass_is_refused(estimator):
    X = np.random.default_rng(0).normal(size=(60, 2))
    y = np.repeat([0, 1, 2], 20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = estimator.fit(X, y)
    with pytest.raises(ValueError, match="binary"):
        adapter_for(est).check_params(est)


@pytest.mark.parametrize("estimator", [MLPRegressor(max_iter=50), RidgeCV()])
def test_multi_target_regression_is_refused(estimator):
    X = np.random.default_rng(0).normal(size=(60, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = estimator.fit(X, np.column_stack([X[:, 0], X[:, 1]]))
    with pytest.raises(ValueError, match="one regression target|single-target"):
        adapter_for(est).check_params(est)


def test_supported_estimators_lists_every_family():
    names = supported_estimators()
    for name in ("LogisticRegressionCV", "RidgeCV", "PoissonRegressor", "GammaRegressor",
                 "TweedieRegressor", "SGDClassifier", "SGDRegressor", "RidgeClassifier",
                 "MLPClassifier", "MLPRegressor"):
        assert name in names


def test_cv_subclass_gets_its_own_adapter():
    """LogisticRegressionCV subclasses LogisticRegression: the most specific adapter wins."""
    assert adapter_for(LogisticRegressionCV()).__name__ == "LogisticRegressionCVAdapter"
    assert adapter_for(LogisticRegression()).__name__ == "LogisticRegressionAdapter"


@pytest.mark.parametrize("setting", SETTINGS[::2], ids=[s[0] for s in SETTINGS[::2]])
def test_unlearning_leaves_the_users_model_and_data_alone(setting):
    _, estimator, kind, sw = setting
    X, y, A = _data(kind)
    est = _quiet_fit(clone(estimator), X, y, sw)
    coef, X0, y0 = adapter_for(est).parameters(est), X.copy(), y.copy()
    objective = "demographic_parity"
    su = SoftUnlearner(FrozenEstimator(est), objective=objective, n_steps=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        su.fit(X, y, sensitive_features=A, sample_weight=sw)
    np.testing.assert_array_equal(adapter_for(est).parameters(est), coef)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert type(su.estimator_) is type(est)
    assert abs(su.objective_after_.iloc[0]) < abs(su.objective_before_.iloc[0])


@pytest.mark.parametrize("estimator", [PoissonRegressor(alpha=0.01), GammaRegressor(alpha=0.01),
                                       TweedieRegressor(power=1.5, alpha=0.01)])
def test_glm_parity_is_parity_of_the_mean_prediction(estimator):
    """The prediction of a log-link GLM is exp(score): parity is of what predict returns."""
    X, y, A = _data("positive")
    su = SoftUnlearner(estimator, objective="demographic_parity").fit(X, y, sensitive_features=A)
    for model, F in ((su.original_estimator_, su.objective_before_),
                     (su.estimator_, su.objective_after_)):
        pred = model.predict(X)
        gap = pred[A == 0].mean() - pred.mean()  # the row kept is the smaller group's
        assert np.isclose(abs(gap), abs(F.iloc[0]), rtol=1e-4)  # F0 is at the polished fit
    assert abs(su.objective_after_.iloc[0]) <= 0.01 * abs(su.objective_before_.iloc[0])
    metric = su.frontier_["metric"]  # the hard metric is on exp(score) too
    pred = su.predict(X)
    assert np.isclose(metric.iloc[-1], abs(pred[A == 0].mean() - pred[A == 1].mean()))


def test_polish_restarts_when_newton_stalls_far_from_the_optimum():
    """SGD can stop at huge scores where the log-loss is flat: polishing still finds the optimum."""
    X, y, _ = _data("binary")
    est = LogisticRegression(C=1e3).fit(X, y)  # weak penalty, as SGD's default alpha
    model = adapter_for(est).build(est, X, y, None)
    exact, _ = model.polish(np.zeros(model.n_params))
    far = np.r_[-1e4, 3e4, 1e4, -2e4]  # scores in the tens of thousands, sign-wrong
    assert not model._newton(far, None, 50, None)[1]["converged"]  # Newton alone stalls
    theta, info = model.polish(far)
    assert info["converged"]
    np.testing.assert_allclose(theta, exact, atol=1e-8)
    assert np.isclose(info["grad_norm_before"], np.linalg.norm(model.gradient(far)))
