"""SoftUnlearner(pipeline): the fixed transform applied once, the last step corrected."""

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn import config_context
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skunlearn import SoftUnlearner

from .conftest import make_group_data


def _frame(n=600, seed=0):
    """Numeric columns on different scales and a string column, as a DataFrame."""
    X, y, A = make_group_data(n=n, seed=seed)
    frame = pd.DataFrame(X * [1.0, 10.0, 100.0, 0.1], columns=["a", "b", "c", "d"],
                         index=np.arange(1000, 1000 + n))  # not 0..n-1
    frame["city"] = np.where(X[:, 1] + A > 0.5, "north", np.where(X[:, 2] > 0, "south", "east"))
    return frame, y, A


def _preprocessor():
    return ColumnTransformer([
        ("num", StandardScaler(), ["a", "b", "c", "d"]),
        ("cat", OneHotEncoder(), ["city"]),
    ])


def _reference(X, y, A, pre, **params):
    """SoftUnlearner on the matrix the pipeline's transform produces, with the final step."""
    Z = pre.transform(X)
    return SoftUnlearner(LogisticRegression(), **params).fit(Z, y, sensitive_features=A), Z


# one step from the original parameters stops short of strength 1 (and says so)
@pytest.mark.filterwarnings("ignore:The unlearning path stopped short:RuntimeWarning")
@pytest.mark.parametrize("update", ["path", "refit", "newton"])
def test_pipeline_matches_the_final_step_on_transformed_rows(update):
    X, y, A = _frame()
    pipe = Pipeline([("pre", _preprocessor()), ("lr", LogisticRegression())])
    params = {"update": update} if update == "path" else {"update": update, "weighting": "soft",
                                                          "bounds": (-1, None)}
    su = SoftUnlearner(pipe, **params).fit(X, y, sensitive_features=A)
    pre = _preprocessor().fit(X)
    ref, Z = _reference(X, y, A, pre, **params)
    np.testing.assert_allclose(su.coef_, ref.coef_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(su.intercept_, ref.intercept_, rtol=0, atol=1e-10)
    # every prediction goes through the whole pipeline
    assert isinstance(su.estimator_, Pipeline) and su.estimator_[-1].coef_ is su.coef_
    np.testing.assert_allclose(su.predict_proba(X), ref.predict_proba(Z), atol=1e-10)
    np.testing.assert_allclose(su.decision_function(X), ref.decision_function(Z), atol=1e-9)
    np.testing.assert_array_equal(su.predict(X), ref.predict(Z))
    assert su.score(X, y) == ref.score(Z, y)
    # influences and weights keep X's index
    assert su.influence_.index.equals(X.index) and su.weights_.index.equals(X.index)
    np.testing.assert_allclose(su.weights_.to_numpy(), ref.weights_, atol=1e-10)
    assert list(su.feature_names_in_) == list(X.columns) and su.n_features_in_ == 5


def test_standard_scaler_pipeline_on_an_array():
    X, y, A = make_group_data(n=400, seed=1)
    X = X * [1.0, 10.0, 100.0, 0.1]
    su = SoftUnlearner(make_pipeline(StandardScaler(), LogisticRegression())).fit(
        X, y, sensitive_features=A)
    ref, _ = _reference(X, y, A, StandardScaler().fit(X))
    np.testing.assert_allclose(su.coef_, ref.coef_, rtol=0, atol=1e-10)
    assert abs(su.objective_after_.iloc[0]) < abs(su.objective_before_.iloc[0]) / 5


def test_frozen_pipeline_is_corrected_without_refitting(monkeypatch):
    X, y, A = _frame(seed=2)
    pipe = make_pipeline(_preprocessor(), LogisticRegression()).fit(X, y)
    before = joblib.hash(pipe)
    for cls in (LogisticRegression, StandardScaler, OneHotEncoder, ColumnTransformer, Pipeline):
        monkeypatch.setattr(cls, "fit", lambda *a, **k: pytest.fail("refit"))
    su = SoftUnlearner(FrozenEstimator(pipe)).fit(X, y, sensitive_features=A)
    monkeypatch.undo()
    assert su.original_estimator_ is pipe and joblib.hash(pipe) == before
    ref, Z = _reference(X, y, A, pipe[0])
    np.testing.assert_allclose(su.coef_, ref.coef_, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(su.predict(X), ref.predict(Z))
    # the corrected pipeline owns its transformers: refitting the user's cannot change it
    proba = su.predict_proba(X)
    pipe.fit(X.iloc[:100], y[:100])
    np.testing.assert_array_equal(su.predict_proba(X), proba)


@pytest.mark.filterwarnings("ignore:The unlearning path stopped short:RuntimeWarning")
def test_pipeline_and_inputs_are_not_mutated():
    X, y, A = _frame(seed=3)
    pipe = make_pipeline(_preprocessor(), LogisticRegression())
    copies = X.copy(), y.copy(), A.copy()
    params = joblib.hash(pipe.get_params())
    su = SoftUnlearner(pipe, update="refit").fit(X, y, sensitive_features=A)
    assert joblib.hash(pipe.get_params()) == params
    assert not hasattr(pipe[-1], "coef_")  # the user's pipeline stays unfitted
    pd.testing.assert_frame_equal(X, copies[0])
    np.testing.assert_array_equal(y, copies[1])
    np.testing.assert_array_equal(A, copies[2])
    assert su.estimator_ is not su.original_estimator_
    assert su.estimator_[0] is not su.original_estimator_[0]
    assert not np.allclose(su.original_estimator_[-1].coef_, su.coef_)


def test_sparse_transform_output_matches_dense():
    X, y, A = _frame(seed=10)
    sparse = ColumnTransformer(_preprocessor().transformers, sparse_threshold=1.0)
    su = SoftUnlearner(make_pipeline(sparse, LogisticRegression())).fit(
        X, y, sensitive_features=A)
    assert sp.issparse(su.estimator_[0].transform(X))
    dense = SoftUnlearner(make_pipeline(_preprocessor(), LogisticRegression())).fit(
        X, y, sensitive_features=A)
    np.testing.assert_allclose(su.coef_, dense.coef_, rtol=0, atol=1e-8)


def test_difference_bound_and_unlearn_again():
    X, y, A = _frame(seed=11)
    su = SoftUnlearner(make_pipeline(_preprocessor(), LogisticRegression()),
                       difference_bound=0.05).fit(X, y, sensitive_features=A)
    ref, Z = _reference(X, y, A, _preprocessor().fit(X), difference_bound=0.05)
    assert su.selected_step_ == ref.selected_step_
    pd.testing.assert_frame_equal(su.frontier_, ref.frontier_)
    np.testing.assert_allclose(su.coef_, ref.coef_, rtol=0, atol=1e-10)
    # unlearn() starts again from the fitted pipeline, never refitting it
    again = su.set_params(difference_bound=None, strength=0.5).unlearn(
        X, y, sensitive_features=A)
    assert again.original_estimator_ is su.original_estimator_
    half = ref.set_params(difference_bound=None, strength=0.5).unlearn(
        Z, y, sensitive_features=A)
    np.testing.assert_allclose(again.coef_, half.coef_, rtol=0, atol=1e-10)


def test_eval_set_goes_through_the_transform():
    X, y, A = _frame(seed=4)
    pipe = make_pipeline(_preprocessor(), LogisticRegression())
    train, held = slice(0, 400), slice(400, None)
    su = SoftUnlearner(pipe).fit(X.iloc[train], y[train], sensitive_features=A[train],
                                 eval_set=(X.iloc[held], y[held], A[held]))
    pre = _preprocessor().fit(X.iloc[train])
    ref = SoftUnlearner(LogisticRegression()).fit(
        pre.transform(X.iloc[train]), y[train], sensitive_features=A[train],
        eval_set=(pre.transform(X.iloc[held]), y[held], A[held]))
    np.testing.assert_allclose(su.coef_, ref.coef_, rtol=0, atol=1e-10)
    assert su.frontier_.attrs["evaluation"] == "the evaluation data"


def test_sample_weight_reaches_every_step_that_takes_it():
    X, y, A = make_group_data(n=300, seed=5)
    sw = np.random.default_rng(0).integers(0, 3, len(y)).astype(float)
    su = SoftUnlearner(make_pipeline(StandardScaler(), LogisticRegression())).fit(
        X, y, sensitive_features=A, sample_weight=sw)
    rep = np.repeat(np.arange(len(y)), sw.astype(int))
    repeated = SoftUnlearner(make_pipeline(StandardScaler(), LogisticRegression())).fit(
        X[rep], y[rep], sensitive_features=A[rep])
    np.testing.assert_allclose(su.coef_, repeated.coef_, rtol=1e-6)


def test_sample_weight_with_metadata_routing_goes_where_requested():
    X, y, A = make_group_data(n=300, seed=5)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    with config_context(enable_metadata_routing=True):
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=True),
                             LogisticRegression().set_fit_request(sample_weight=True))
        routed = SoftUnlearner(pipe).fit(X, y, sensitive_features=A, sample_weight=sw)
    plain = SoftUnlearner(make_pipeline(StandardScaler(), LogisticRegression())).fit(
        X, y, sensitive_features=A, sample_weight=sw)
    np.testing.assert_allclose(routed.coef_, plain.coef_, rtol=0, atol=1e-10)


def test_mlp_last_step_composes_with_its_hidden_layers():
    X, y, A = make_group_data(n=400, seed=6)
    net = MLPClassifier(hidden_layer_sizes=(6,), max_iter=500, random_state=0)
    su = SoftUnlearner(make_pipeline(StandardScaler(), net), n_steps=3).fit(
        X, y, sensitive_features=A)
    pre = StandardScaler().fit(X)
    ref = SoftUnlearner(clone(net), n_steps=3).fit(pre.transform(X), y, sensitive_features=A)
    np.testing.assert_allclose(su.estimator_[-1].coefs_[-1], ref.estimator_.coefs_[-1],
                               rtol=0, atol=1e-10)


def test_regression_pipeline():
    X, y, A = make_group_data(n=300, seed=7)
    target = X @ [1.0, 0.5, 0.0, 0.2] + 0.3 * A
    su = SoftUnlearner(make_pipeline(StandardScaler(), Ridge())).fit(
        X, target, sensitive_features=A)
    ref = SoftUnlearner(Ridge()).fit(StandardScaler().fit_transform(X), target,
                                     sensitive_features=A)
    np.testing.assert_allclose(su.coef_, ref.coef_, rtol=0, atol=1e-10)
    assert su.score(X, target) == pytest.approx(ref.score(StandardScaler().fit_transform(X),
                                                          target))


def test_grid_search_over_the_final_steps_parameter():
    X, y, A = _frame(seed=8)
    su = SoftUnlearner(make_pipeline(_preprocessor(), LogisticRegression()), n_steps=3)
    grid = {"estimator__logisticregression__C": [0.01, 1.0]}
    search = GridSearchCV(su, grid, cv=3).fit(X, y, sensitive_features=A)
    assert len(search.cv_results_["params"]) == 2
    assert 0.5 < search.best_score_ <= 1.0
    best_C = search.best_params_["estimator__logisticregression__C"]
    assert search.best_estimator_.estimator_[-1].C == best_C


@pytest.mark.parametrize("last", [DecisionTreeClassifier(), "passthrough"])
def test_unsupported_last_step_is_reported(last):
    X, y, A = make_group_data(n=100, seed=9)
    pipe = Pipeline([("scale", StandardScaler()), ("model", last)])
    name = "DecisionTreeClassifier" if last != "passthrough" else "'passthrough'"
    with pytest.raises(TypeError, match=f"last step of the pipeline, {name}, is not supported.*"
                                        "LogisticRegression, Ridge"):
        SoftUnlearner(pipe).fit(X, y, sensitive_features=A)
