"""SoftUnlearner where scikit-learn and fairlearn users put estimators."""

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    selection_rate,
)
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.reductions import DemographicParity, ExponentiatedGradient
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline

from skunlearn import SoftUnlearner
from skunlearn.datasets import load_german_credit, make_preprocessor

from .conftest import make_group_data


@pytest.fixture(scope="module")
def german():
    data = load_german_credit()
    return data.data, data.target, data.sensitive_features["sex"]


# ----------------------------------------------------------------- prefit models
def test_frozen_estimator_is_corrected_without_refitting(monkeypatch):
    X, y, A = make_group_data(n=300, seed=1)
    base = LogisticRegression().fit(X, y)
    coef = base.coef_.copy()
    monkeypatch.setattr(LogisticRegression, "fit", lambda *a, **k: pytest.fail("refit"))
    su = SoftUnlearner(FrozenEstimator(base)).fit(X, y, sensitive_features=A)
    assert su.original_estimator_ is base
    np.testing.assert_array_equal(base.coef_, coef)
    assert not np.allclose(su.coef_, coef)


def test_plain_estimator_is_cloned_and_refitted():
    X, y, A = make_group_data(n=300, seed=1)
    base = LogisticRegression(C=0.3).fit(X[:50], y[:50])
    su = SoftUnlearner(base).fit(X, y, sensitive_features=A)
    assert su.original_estimator_ is not base
    np.testing.assert_allclose(
        su.original_estimator_.coef_, LogisticRegression(C=0.3).fit(X, y).coef_)


def test_unfitted_frozen_estimator_is_reported():
    X, y, A = make_group_data(n=100)
    with pytest.raises(NotFittedError, match="unfitted"):
        SoftUnlearner(FrozenEstimator(LogisticRegression())).fit(X, y, sensitive_features=A)


def test_predict_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        SoftUnlearner(LogisticRegression()).predict(np.zeros((2, 2)))


# ------------------------------------------------------- pipelines and routing
def _pipe(X, **params):
    return make_pipeline(make_preprocessor(X), SoftUnlearner(LogisticRegression(), **params))


def test_pipeline_with_fit_params(german):
    X, y, A = german
    pipe = _pipe(X).fit(X, y, softunlearner__sensitive_features=A)
    before = demographic_parity_difference(
        y, pipe[-1].original_estimator_.predict(pipe[0].transform(X)), sensitive_features=A)
    after = demographic_parity_difference(y, pipe.predict(X), sensitive_features=A)
    assert after < before


def test_pipeline_with_metadata_routing(german):
    X, y, A = german
    with config_context(enable_metadata_routing=True):
        su = SoftUnlearner(LogisticRegression()).set_fit_request(sensitive_features=True)
        pipe = make_pipeline(make_preprocessor(X), su).fit(X, y, sensitive_features=A)
    reference = _pipe(X).fit(X, y, softunlearner__sensitive_features=A)
    np.testing.assert_allclose(pipe[-1].coef_, reference[-1].coef_)


def test_sample_weight_reaches_the_wrapped_estimator(german):
    X, y, A = german
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    Z = make_preprocessor(X).fit_transform(X)
    with config_context(enable_metadata_routing=True):
        su = SoftUnlearner(LogisticRegression()).set_fit_request(
            sensitive_features=True, sample_weight=True)
        pipe = make_pipeline(su).fit(Z, y, sensitive_features=A, sample_weight=sw)
    expected = LogisticRegression().fit(Z, y, sample_weight=sw)
    np.testing.assert_allclose(pipe[-1].original_estimator_.coef_, expected.coef_)


def _dp_scorer():
    seen = []

    def dp(y_true, y_pred, *, sensitive_features):
        assert len(sensitive_features) == len(y_true)  # the fold's rows, not all rows
        seen.append(len(y_true))
        return demographic_parity_difference(y_true, y_pred, sensitive_features=sensitive_features)

    scorer = make_scorer(dp, greater_is_better=False).set_score_request(sensitive_features=True)
    return scorer, seen


def test_grid_search_with_fairness_scorer_and_routing(german):
    X, y, A = german
    grid = {"softunlearner__estimator__C": [0.1, 1.0], "softunlearner__strength": [0.5, 1.0]}
    with config_context(enable_metadata_routing=True):
        scorer, seen = _dp_scorer()
        su = SoftUnlearner(LogisticRegression()).set_fit_request(sensitive_features=True)
        pipe = make_pipeline(make_preprocessor(X), su)
        search = GridSearchCV(pipe, grid, cv=3, scoring={"dp": scorer, "accuracy": "accuracy"},
                              refit="accuracy").fit(X, y, sensitive_features=A)
    results = pd.DataFrame(search.cv_results_)
    assert len(results) == 4 and results["mean_test_dp"].le(0).all()
    assert sorted(set(seen)) == sorted({333, 334})  # per-fold test sizes of 1000 rows
    # stronger unlearning lowers the cross-validated gap
    by_strength = results.groupby("param_softunlearner__strength")["mean_test_dp"].mean()
    assert by_strength[1.0] > by_strength[0.5]  # scores are negated differences


def test_grid_search_with_fit_params(german):
    X, y, A = german
    grid = {"softunlearner__estimator__C": [0.1, 1.0], "softunlearner__strength": [0.5, 1.0]}
    search = GridSearchCV(_pipe(X), grid, cv=3).fit(X, y, softunlearner__sensitive_features=A)
    assert 0.6 < search.best_score_ < 0.9
    assert search.best_estimator_[-1].objective_after_.abs().iloc[0] < 0.05


def test_cross_validate_with_and_without_routing(german):
    X, y, A = german
    plain = cross_validate(_pipe(X), X, y, cv=3, params={"softunlearner__sensitive_features": A})
    with config_context(enable_metadata_routing=True):
        scorer, _ = _dp_scorer()
        su = SoftUnlearner(LogisticRegression()).set_fit_request(sensitive_features=True)
        routed = cross_validate(make_pipeline(make_preprocessor(X), su), X, y, cv=3,
                                scoring={"accuracy": "accuracy", "dp": scorer},
                                params={"sensitive_features": A})
    np.testing.assert_allclose(plain["test_score"], routed["test_accuracy"])
    assert np.all(routed["test_dp"] <= 0)


# ------------------------------------------------------------------- fairlearn
def test_fairlearn_audit_beside_the_alternatives(german):
    X, y, A = german
    Z = make_preprocessor(X).fit_transform(X)
    models = {
        "original": LogisticRegression().fit(Z, y),
        "soft": SoftUnlearner(LogisticRegression()).fit(Z, y, sensitive_features=A),
        "expgrad": ExponentiatedGradient(LogisticRegression(), DemographicParity()).fit(
            Z, y, sensitive_features=A),
        "threshold": ThresholdOptimizer(estimator=LogisticRegression(), constraints=
                                        "demographic_parity").fit(Z, y, sensitive_features=A),
    }
    audit = {}
    for name, model in models.items():
        kwargs = {"sensitive_features": A, "random_state": 0} if name == "threshold" else {}
        y_pred = model.predict(Z, **kwargs)
        mf = MetricFrame(metrics={"accuracy": accuracy_score, "selection_rate": selection_rate},
                         y_true=y, y_pred=y_pred, sensitive_features=A)
        audit[name] = (mf.difference()["selection_rate"],
                       demographic_parity_difference(y, y_pred, sensitive_features=A),
                       equalized_odds_difference(y, y_pred, sensitive_features=A))
    assert audit["soft"][0] == pytest.approx(audit["soft"][1])
    assert audit["soft"][1] < audit["original"][1]


def test_objective_names_follow_fairlearn():
    from skunlearn import available_objectives

    assert {"demographic_parity", "equalized_odds", "true_positive_rate_parity",
            "false_positive_rate_parity", "error_rate_parity"} <= set(available_objectives())


# ---------------------------------------------------------------------- inputs
@pytest.mark.parametrize("kind", ["array", "series", "list", "categorical", "frame"])
def test_sensitive_feature_forms(kind):
    X, y, A = make_group_data(n=300, seed=2)
    labels = np.where(A == 1, "f", "m")
    forms = {
        "array": labels,
        "series": pd.Series(labels, name="sex"),
        "list": labels.tolist(),
        "categorical": pd.Series(pd.Categorical(labels)),
        "frame": pd.DataFrame({"sex": labels, "other": np.zeros(300, int)}),
    }
    su = SoftUnlearner(LogisticRegression()).fit(X, y, sensitive_features=forms[kind])
    reference = SoftUnlearner(LogisticRegression()).fit(X, y, sensitive_features=labels)
    np.testing.assert_allclose(su.coef_, reference.coef_)


def test_dataframe_feature_names_and_set_output(german):
    X, y, A = german
    pipe = _pipe(X).set_output(transform="pandas").fit(X, y, softunlearner__sensitive_features=A)
    su = pipe[-1]
    assert list(su.feature_names_in_) == list(pipe[0].get_feature_names_out())
    np.testing.assert_array_equal(pipe.predict(X), su.predict(pipe[0].transform(X)))
    with pytest.warns(UserWarning, match="feature names"):
        su.predict(pipe[0].transform(X).to_numpy())


def test_sparse_input_matches_dense():
    X, y, A = make_group_data(n=300, seed=3)
    X[X < 0] = 0.0
    dense = SoftUnlearner(LogisticRegression()).fit(X, y, sensitive_features=A)
    sparse = SoftUnlearner(LogisticRegression()).fit(sp.csr_matrix(X), y, sensitive_features=A)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-7)
    np.testing.assert_array_equal(sparse.predict(sp.csr_matrix(X)), dense.predict(X))


def test_sample_weights_equal_repeated_rows_for_group_objectives():
    X, y, A = make_group_data(n=200, seed=4)
    sw = np.random.default_rng(0).integers(0, 3, 200)
    weighted = SoftUnlearner(LogisticRegression()).fit(X, y, sensitive_features=A, sample_weight=sw)
    rep = np.repeat(np.arange(200), sw)
    repeated = SoftUnlearner(LogisticRegression()).fit(X[rep], y[rep], sensitive_features=A[rep])
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-6)


# ----------------------------------------------------------------- persistence
def test_pickle_and_joblib_round_trips(tmp_path, german):
    X, y, A = german
    pipe = _pipe(X, weighting="curvature").fit(X, y, softunlearner__sensitive_features=A)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict_proba(X), pipe.predict_proba(X))
    joblib.dump(pipe, tmp_path / "model.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "model.joblib").predict(X), pipe.predict(X))
    clone(pipe)  # parameters survive cloning


# ------------------------------------------------------------------- bad input
@pytest.fixture
def data():
    return make_group_data(n=100, seed=5)


def _fit(data, estimator=None, **kwargs):
    X, y, A = data
    params = {"sensitive_features": A, **kwargs.pop("fit", {})}
    X = kwargs.pop("X", X)
    y = kwargs.pop("y", y)
    return SoftUnlearner(estimator or LogisticRegression(), **kwargs).fit(X, y, **params)


def test_nan_and_inf_are_refused(data):
    X = data[0].copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _fit(data, X=X)
    X[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        _fit(data, X=X)


@pytest.mark.parametrize("what", ["y", "sensitive_features", "sample_weight"])
def test_length_mismatches_are_reported(data, what):
    X, y, A = data
    if what == "y":
        with pytest.raises(ValueError, match="inconsistent numbers of samples"):
            _fit(data, y=y[:-1])
    elif what == "sensitive_features":
        with pytest.raises(ValueError, match="sensitive_features has 99 rows but X has 100"):
            _fit(data, fit={"sensitive_features": A[:-1]})
    else:
        with pytest.raises(ValueError, match="sample_weight"):
            _fit(data, fit={"sample_weight": np.ones(99)})


def test_single_group_is_refused(data):
    with pytest.raises(ValueError, match="single group"):
        _fit(data, fit={"sensitive_features": np.zeros(100)})


def test_missing_sensitive_features_are_refused(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="sensitive_features is required"):
        SoftUnlearner(LogisticRegression()).fit(X, y)


def test_non_binary_labels_are_refused(data):
    """Three classes: refused for a binary-only family, with the family that takes them named."""
    from sklearn.linear_model import RidgeClassifier

    y = np.arange(100) % 3
    with pytest.raises(ValueError, match="Only binary classification is supported for "
                                         "RidgeClassifier.*LogisticRegression"):
        _fit(data, RidgeClassifier(), y=y)
    with pytest.raises(ValueError, match="Only binary classification .* continuous"):
        _fit(data, y=np.linspace(0.0, 1.0, 100))


@pytest.mark.parametrize(
    "params, message",
    [
        ({"objective": "parity"}, "Unknown objective 'parity'"),
        ({"strength": 0.0}, r"strength must be a number in \(0, 1\]"),
        ({"strength": 1.5}, r"strength must be a number in \(0, 1\]"),
        ({"weighting": "softer"}, "weighting must be one of"),
        ({"update": "jump"}, "update must be one of"),
        ({"n_steps": 0}, "n_steps must be a positive integer"),
        ({"weighting": "curvature", "bounds": (-1, None)}, "bounds apply to weighting='soft'"),
        ({"weighting": "soft", "bounds": (0.5, None)}, "contain 0"),
        ({"objective": "equal_opportunity", "estimator": Ridge()}, "needs a classifier"),
    ],
)
def test_bad_parameters_are_reported(data, params, message):
    X, y, A = data
    estimator = params.pop("estimator", None)
    if estimator is not None:
        y = X @ np.ones(4)
    with pytest.raises(ValueError, match=message):
        _fit((X, y, A), estimator, **params)


def test_unsupported_estimator_is_reported(data):
    from sklearn.svm import LinearSVC

    with pytest.raises(TypeError, match="LinearSVC is not supported.*LogisticRegression, Ridge"):
        _fit(data, LinearSVC())


def test_target_already_met_is_reported():
    X, y, _ = make_group_data(n=200, seed=6)
    A = np.tile([0, 1], 100)
    X2 = np.vstack([X[::2], X[::2]])  # both groups have identical rows
    y2 = np.concatenate([y[::2], y[::2]])
    A2 = np.repeat([0, 1], 100)
    with pytest.raises(ValueError, match="already met"):
        SoftUnlearner(LogisticRegression()).fit(X2, y2, sensitive_features=A2)
    del A


def test_eval_set_is_validated(data):
    X, y, A = data
    with pytest.raises(ValueError, match="sensitive_features_eval"):
        _fit(data, fit={"eval_set": (X, y)})
    with pytest.raises(ValueError, match="eval_set must be a tuple"):
        _fit(data, fit={"eval_set": X})
    su = _fit(data, fit={"eval_set": (X[:50], y[:50], A[:50])})
    assert np.isfinite(su.objective_after_).all()
