"""dask-ml's linear models: the objective dask-glm minimised, and SoftUnlearner on them.

The objective is checked against dask-ml's own fits (its gradient vanishes at
their coefficients), finite differences, and a tight reference fit that runs
scikit-learn in dask-glm's normalised coordinates through dask-glm's own
``normalize``; the dask path against numpy on a two-process LocalCluster.
"""

import itertools
import warnings

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.frozen import FrozenEstimator

from skunlearn import Forgetter, SoftUnlearner
from skunlearn._linalg import CGSolver, Design, add_penalty, penalty_product
from skunlearn.models import adapter_for, supported_estimators
from skunlearn.models.daskml import normalization
from tests.conftest import make_group_data

linear_model = pytest.importorskip("dask_ml.linear_model")
da = pytest.importorskip("dask.array")

FAMILIES = ["LogisticRegression", "LinearRegression", "PoissonRegression"]


def _data(family, n=600, seed=0):
    """Columns of different scales and means (normalisation matters), and a target."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 3.0, 0.5] + [1.0, 2.0, -1.0]
    z = X @ [1.0, -0.5, 0.2] - 0.5
    if family == "LogisticRegression":
        y = (z + rng.normal(size=n) > 0).astype(int)
    elif family == "LinearRegression":
        y = z + rng.normal(size=n)
    else:
        y = rng.poisson(np.exp(0.3 * X[:, 0] - 0.1 * X[:, 1])).astype(float)
    return X, y


def _fit(family, X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dask-glm's own warnings
        return getattr(linear_model, family)(**params).fit(X, y)


def _model(est, X, y):
    adapter = adapter_for(est)
    return adapter.build(est, X, y, None), adapter.parameters(est)


SETTINGS = list(itertools.product(FAMILIES, [True, False], [True, False], [1.0, 0.05]))


@pytest.mark.parametrize("family, fit_intercept, normalize, C", SETTINGS)
def test_the_objective_is_stationary_at_dask_mls_fit(family, fit_intercept, normalize, C):
    X, y = _data(family)
    est = _fit(family, X, y, solver="lbfgs", C=C, fit_intercept=fit_intercept,
               solver_kwargs={"normalize": normalize})
    model, theta = _model(est, X, y)
    scale = np.linalg.norm(model.gradient(np.zeros_like(theta)))
    # lbfgs stops at scipy's default factr (2e-9 relative in the objective): in
    # the raw coordinates (normalize=False) of a Poisson fit that leaves 2e-4
    assert np.linalg.norm(model.gradient(theta)) < (1e-5 if normalize else 1e-3) * scale
    if normalize:
        # the penalty in the user's coordinates is not 1/C on each coefficient:
        # that reading leaves a gradient at least 50 times larger
        naive = model.gradient(theta) - penalty_product(model.penalty, theta) + theta / C
        assert np.linalg.norm(naive) > 5e-4 * scale


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_unpenalised_solvers_fit_without_a_penalty(family, fit_intercept):
    X, y = _data(family)
    est = _fit(family, X, y, solver="newton", C=0.01, fit_intercept=fit_intercept)
    model, theta = _model(est, X, y)
    np.testing.assert_array_equal(model.penalty, 0.0)
    scale = np.linalg.norm(model.gradient(np.zeros_like(theta)))
    assert np.linalg.norm(model.gradient(theta)) < 1e-8 * scale


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gradient_and_hessian_match_finite_differences(family, fit_intercept):
    X, y = _data(family, n=200)
    est = _fit(family, X, y, C=0.2, fit_intercept=fit_intercept)
    model, theta = _model(est, X, y)
    assert model.penalty.ndim == (2 if fit_intercept else 1)  # the full penalty is covered
    theta = theta + np.random.default_rng(1).normal(scale=0.1, size=theta.size)
    h = 1e-5
    basis = np.eye(theta.size)
    numeric_gradient = [(model.objective(theta + h * e) - model.objective(theta - h * e)) / (2 * h)
                        for e in basis]
    np.testing.assert_allclose(model.gradient(theta), numeric_gradient, rtol=1e-6, atol=1e-6)
    numeric_hessian = np.column_stack([
        (model.gradient(theta + h * e) - model.gradient(theta - h * e)) / (2 * h) for e in basis])
    np.testing.assert_allclose(model.hessian(theta), numeric_hessian, rtol=1e-6, atol=1e-6)


def _reference(family, X, y, fit_intercept, normalize, lam):
    """The exact optimum of dask-glm's problem, solved by scikit-learn to tol 1e-12.

    dask-glm's own ``normalize`` decorator normalises ``X~`` and maps the
    solution back, exactly as in dask-ml's fit; only the solver differs.
    """
    from dask_glm.utils import normalize as dask_glm_normalize
    from sklearn.linear_model import LogisticRegression, PoissonRegressor, Ridge

    def solve(Xn, y):
        n = len(y)
        if family == "LogisticRegression":  # C sum logloss + ||w||^2 / 2 with C = 1 / lam
            est = LogisticRegression(C=1.0 / lam, fit_intercept=False, tol=1e-12,
                                     solver="newton-cholesky", max_iter=1000)
        elif family == "LinearRegression":  # sum (y - z)^2 + alpha ||w||^2
            est = Ridge(alpha=lam / 2.0, fit_intercept=False, solver="cholesky")
        else:  # mean half deviance + alpha ||w||^2 / 2
            est = PoissonRegressor(alpha=lam / n, fit_intercept=False, tol=1e-12,
                                   solver="newton-cholesky", max_iter=1000)
        return est.fit(Xn, y).coef_.ravel()

    Xt = np.column_stack([X, np.ones(len(X))]) if fit_intercept else X
    return dask_glm_normalize(solve)(Xt, y, normalize=normalize)


@pytest.mark.parametrize("family, fit_intercept, normalize", [
    (f, i, n) for f, i, n, _ in SETTINGS[::2]])
def test_the_polished_optimum_is_the_exact_optimum(family, fit_intercept, normalize):
    X, y = _data(family)
    C = 0.05
    est = _fit(family, X, y, solver="admm", C=C, fit_intercept=fit_intercept,
               solver_kwargs={"normalize": normalize})  # admm: loose, 1e-2 of the gradient
    model, theta = _model(est, X, y)
    polished, info = model.polish(theta)
    assert info["converged"]
    reference = _reference(family, X, y, fit_intercept, normalize, 1.0 / C)
    assert np.max(np.abs(theta - reference)) > 1e-5  # polishing had work to do
    np.testing.assert_allclose(polished, reference, rtol=0, atol=1e-8)


def test_normalization_is_dask_glms():
    from dask_glm.utils import normalize as dask_glm_normalize

    X, _ = _data("LinearRegression", n=50)
    Xt = np.column_stack([X, np.ones(50)])
    beta = np.array([0.3, -1.2, 2.0, 0.7])
    # dask-glm maps its normalised solution beta back to theta = T^{-1} beta
    theta = dask_glm_normalize(lambda Xn, y: beta)(Xt, None)
    np.testing.assert_allclose(normalization(X, True) @ theta, beta, rtol=1e-13)
    theta = dask_glm_normalize(lambda Xn, y: beta[:3])(X, None)  # no constant column
    np.testing.assert_allclose(normalization(X, False) @ theta, beta[:3], rtol=1e-13)


def test_penalty_helpers_and_cg_refusal():
    P = np.array([[2.0, 1.0], [1.0, 3.0]])
    theta = np.array([1.0, -1.0])
    np.testing.assert_array_equal(penalty_product(P, theta), [1.0, -2.0])
    np.testing.assert_array_equal(penalty_product(np.diag(P), np.eye(2)), P * np.eye(2))
    np.testing.assert_array_equal(add_penalty(np.zeros((2, 2)), P), P)
    np.testing.assert_array_equal(add_penalty(np.zeros((2, 2)), np.diag(P)), np.diag(np.diag(P)))
    with pytest.raises(ValueError, match="solver='cg'.*diagonal penalty"):
        CGSolver(Design(np.eye(2), False), np.ones(2), P)


def test_supported_estimators_name_dask_ml():
    names = supported_estimators()
    assert {"dask_ml LogisticRegression", "dask_ml LinearRegression",
            "dask_ml PoissonRegression"} <= set(names)
    assert type(adapter_for(linear_model.PoissonRegression())).__name__ == "type"
    assert adapter_for(linear_model.LinearRegression()).__name__ == "DaskMLRegressionAdapter"


# ------------------------------------------------------------------ SoftUnlearner

def _group_data(n=1000, seed=3):
    X, y, A = make_group_data(n=n, d=3, seed=seed)
    return X * [1.0, 2.0, 0.5] + [0.5, -1.0, 2.0], y, A


def test_predictions_are_labels_fairlearn_reads():
    from fairlearn.metrics import equalized_odds_difference

    X, y, A = _group_data()
    est = _fit("LogisticRegression", X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        su = SoftUnlearner(FrozenEstimator(est), n_steps=2).fit(X, y, sensitive_features=A)
    predicted = su.predict(X)
    assert predicted.dtype.kind == "i" and set(np.unique(predicted)) == {0, 1}
    np.testing.assert_array_equal(su.classes_, [0, 1])
    assert is_classifier(su) and is_regressor(SoftUnlearner(linear_model.LinearRegression()))
    np.testing.assert_array_equal(predicted, su.estimator_.predict(X))
    # the corrected model's own decision function (dask-ml's private _coef) moved too
    np.testing.assert_allclose(su.decision_function(X), X @ su.coef_ + su.intercept_)
    assert equalized_odds_difference(y, predicted, sensitive_features=A) >= 0.0
    assert 0.5 < su.score(X, y) <= 1.0
    assert abs(su.objective_after_.iloc[0]) < 0.02 * abs(su.objective_before_.iloc[0])
    # the user's estimator is untouched
    np.testing.assert_array_equal(est._coef, np.append(est.coef_, est.intercept_))
    assert not np.allclose(est.coef_, su.coef_)


def test_an_unfitted_estimator_is_fitted_and_matches_a_frozen_one():
    X, y, A = _group_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = SoftUnlearner(linear_model.LogisticRegression(C=0.5), n_steps=1).fit(
            X, y, sensitive_features=A)
        frozen = SoftUnlearner(FrozenEstimator(_fit("LogisticRegression", X, y, C=0.5)),
                               n_steps=1).fit(X, y, sensitive_features=A)
    np.testing.assert_allclose(fitted.coef_, frozen.coef_, rtol=0, atol=1e-10)


@pytest.mark.parametrize("make, params, message", [
    (lambda: linear_model.LogisticRegression(), {"update": "refit"},
     "update='refit'.*use update='path'"),
    (lambda: linear_model.LogisticRegression(penalty="l1"), {}, "penalty='l2'.*got penalty='l1'"),
    (lambda: linear_model.LogisticRegression(solver_kwargs={"regularizer": "elastic_net"}), {},
     "got penalty='elastic_net'"),
    (lambda: linear_model.LogisticRegression(multi_class="multinomial"), {},
     "binary logistic regression only"),
    (lambda: linear_model.LogisticRegression(class_weight="balanced"), {},
     "ignores class_weight"),
])
def test_unsupported_settings_are_refused(make, params, message):
    X, y, A = _group_data(n=200)
    with pytest.raises(ValueError, match=message):
        SoftUnlearner(make(), **params).fit(X, y, sensitive_features=A)


def test_bad_data_is_refused():
    X, y, A = _group_data(n=200)
    est = _fit("LogisticRegression", X, y)
    with pytest.raises(ValueError, match="fit takes no sample_weight"):
        SoftUnlearner(FrozenEstimator(est)).fit(X, y, sensitive_features=A,
                                                sample_weight=np.ones(200))
    with pytest.raises(ValueError, match=r"labels 0 and 1.*\[2\]"):
        SoftUnlearner(linear_model.LogisticRegression()).fit(X, y + 1, sensitive_features=A)
    with pytest.raises(ValueError, match=r"constant column\(s\) \[1\]"):
        SoftUnlearner(FrozenEstimator(est)).fit(
            np.column_stack([X[:, 0], np.full(200, 3.0), X[:, 2]]), y, sensitive_features=A)
    with pytest.raises(ValueError, match="X has 2 features but"):
        adapter_for(est).build(est, X[:, :2], y, None)
    with pytest.raises(ValueError, match="Forgetter does not take LogisticRegression from dask_ml"):
        Forgetter(linear_model.LogisticRegression()).fit(X, y)
    pois = _fit("PoissonRegression", X, np.abs(X[:, 0]))
    with pytest.raises(ValueError, match="non-negative targets"):
        SoftUnlearner(FrozenEstimator(pois)).fit(X, X[:, 0], sensitive_features=A)


def test_full_penalty_uses_the_direct_solver():
    X, y, A = _group_data(n=300)
    est = _fit("LogisticRegression", X, y)
    with pytest.raises(ValueError, match="solver='cg' needs a diagonal penalty"):
        SoftUnlearner(FrozenEstimator(est), solver="cg").fit(X, y, sensitive_features=A)
    # without an intercept the penalty is diagonal, and conjugate gradients apply
    # (soft weights: curvature weights with cg use a low-rank utility Hessian)
    est = _fit("LogisticRegression", X, y, fit_intercept=False)
    params = dict(weighting="soft", update="newton")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cg = SoftUnlearner(FrozenEstimator(est), solver="cg", **params).fit(
            X, y, sensitive_features=A)
        direct = SoftUnlearner(FrozenEstimator(est), solver="direct", **params).fit(
            X, y, sensitive_features=A)
    np.testing.assert_allclose(cg.coef_, direct.coef_, rtol=0, atol=1e-6)


# ------------------------------------------------------------- on a LocalCluster

N, CHUNK = 1000, 500


def _fit_both(estimator, X, y, A, Xd, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SoftUnlearner(estimator, **params).fit(X, y, sensitive_features=A)
        got = SoftUnlearner(estimator, **params).fit(Xd, y, sensitive_features=A)
    return ref, got


def _assert_same(ref, got, atol=1e-8):
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=0, atol=atol)
    np.testing.assert_allclose(got.intercept_, ref.intercept_, rtol=0, atol=atol)
    assert isinstance(got.weights_, da.Array)
    np.testing.assert_allclose(got.weights_.compute(), ref.weights_, rtol=0, atol=atol)


@pytest.mark.parametrize("params", [
    # the default path (~11 s; in the fast suite through the unfitted estimator's test)
    pytest.param({"n_steps": 1}, marks=pytest.mark.slow),
    {"weighting": "soft", "update": "newton"},
])
def test_logistic_on_dask_rows_matches_numpy(client, params):
    X, y, A = _group_data(N)
    est = FrozenEstimator(_fit("LogisticRegression", X, y, C=0.2))
    ref, got = _fit_both(est, X, y, A, da.from_array(X, chunks=CHUNK), **params)
    _assert_same(ref, got)
    assert got.polish_["converged"] and ref.polish_["converged"]


@pytest.mark.parametrize("family", ["LinearRegression", "PoissonRegression"])
def test_regressors_on_dask_rows_match_numpy(client, family):
    X, _, A = _group_data(N)
    rng = np.random.default_rng(0)
    if family == "LinearRegression":
        y = X @ [1.0, -0.5, 0.2] + 0.5 * A + rng.normal(size=N)
    else:
        y = rng.poisson(np.exp(0.3 * X[:, 0] + 0.3 * A)).astype(float)
    est = FrozenEstimator(_fit(family, X, y))
    ref, got = _fit_both(est, X, y, A, da.from_array(X, chunks=CHUNK), weighting="soft",
                         update="newton")
    _assert_same(ref, got)


def test_an_unfitted_estimator_is_fitted_on_the_dask_rows(client):
    X, y, A = _group_data(N)
    Xd = da.from_array(X, chunks=CHUNK)
    before = client.graph_counter.count
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = SoftUnlearner(linear_model.LogisticRegression(solver="lbfgs"), n_steps=1).fit(
            Xd, da.from_array(y, chunks=CHUNK), sensitive_features=A)
        ref = SoftUnlearner(FrozenEstimator(_fit("LogisticRegression", X, y, solver="lbfgs")),
                            n_steps=1).fit(X, y, sensitive_features=A)
    assert client.graph_counter.count > before
    original = got.original_estimator_
    assert type(original).__module__.startswith("dask_ml")
    # dask-ml's own fit on the dask rows (lbfgs stops at its tolerance) ...
    np.testing.assert_allclose(original.coef_, ref.original_estimator_.coef_, atol=1e-4)
    # ... polished to the same optimum, and unlearned the same way
    _assert_same(ref, got)
