"""Dask input on a real two-process cluster: same results as numpy, rows never gathered."""

import collections
import logging
import warnings

import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skunlearn import SoftUnlearner
from tests.conftest import make_group_data

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

N, CHUNK = 1000, 500  # one block per worker: the scheduler costs per task


@pytest.fixture(scope="module")
def data():
    X, y, A = make_group_data(n=N, d=3, seed=3)
    return X, y, A


def _fit_both(estimator, X, y, A, dask_X, dask_y=None, dask_A=None, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SoftUnlearner(FrozenEstimator(estimator), **params).fit(X, y, sensitive_features=A)
        got = SoftUnlearner(FrozenEstimator(estimator), **params).fit(
            dask_X, y if dask_y is None else dask_y,
            sensitive_features=A if dask_A is None else dask_A)
    return ref, got


def _assert_same(ref, got, atol=1e-8):
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=0, atol=atol)
    np.testing.assert_allclose(got.intercept_, ref.intercept_, rtol=0, atol=atol)
    assert isinstance(got.weights_, da.Array) and isinstance(got.influence_, da.Array)
    np.testing.assert_allclose(got.weights_.compute(), np.asarray(ref.weights_), rtol=0, atol=atol)
    np.testing.assert_allclose(got.influence_.compute(), ref.influence_.to_numpy(), rtol=0,
                               atol=atol)
    assert list(got.frontier_["strength"]) == list(ref.frontier_["strength"])


@pytest.mark.parametrize("params", [
    {"n_steps": 2},  # the default: curvature weights on the path
    {"weighting": "soft", "update": "newton"},
])
def test_logistic_matches_numpy(client, data, params):
    X, y, A = data
    X_copy, y_copy, A_copy = X.copy(), y.copy(), A.copy()
    model = LogisticRegression().fit(X, y)
    Xd = da.from_array(X, chunks=(CHUNK, 2))  # column chunks are merged
    keys = Xd.__dask_keys__()
    before = client.graph_counter.count
    ref, got = _fit_both(model, X, y, A, Xd, **params)
    graphs = client.graph_counter.count - before
    _assert_same(ref, got)
    # the inputs are untouched
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(A, A_copy)
    assert Xd.__dask_keys__() == keys
    np.testing.assert_array_equal(Xd.compute(), X_copy)
    # a few graphs per Newton or chord step and per weight problem (computes and
    # persists); chord steps save Gram passes, not round trips
    assert 0 < graphs < (200 if params.get("n_steps") else 50), graphs


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.mark.parametrize("params, weighted", [
    ({"n_steps": 2}, False),  # the default: curvature weights on the path
    ({"weighting": "soft", "update": "newton"}, False),
    ({"n_steps": 2}, True),  # sample weights: the rows scaled by their metric
])
def test_no_graph_derives_a_key_differently(client, data, monkeypatch, params, weighted):
    """The scheduler never sees a key again with other dependencies.

    It warns ("Detected different `run_spec`") when a graph brings a key it
    still holds with other dependencies: an intermediate fused with its inputs
    in one graph and not in the next. A computed graph's keys are held until
    the client's release arrives, which races the next graph; here the last
    two graphs' keys are held (futures of their own) until the next graph is
    sent, so the race is always lost.
    """
    import distributed  # local: on main the module binds no name for it

    held = collections.deque(maxlen=2)
    submit = distributed.Client._graph_to_futures

    def holding(self, *args, **kwargs):
        futures = submit(self, *args, **kwargs)
        held.append([distributed.Future(key, self) for key in futures])
        return futures

    monkeypatch.setattr(distributed.Client, "_graph_to_futures", holding)
    X, y, A = data
    sw = np.random.default_rng(1).uniform(0.5, 2.0, N) if weighted else None
    model = LogisticRegression().fit(X, y, sample_weight=sw)
    records = _Records()
    logger = logging.getLogger("distributed.scheduler")  # the in-process scheduler's
    logger.addHandler(records)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            SoftUnlearner(FrozenEstimator(model), **params).fit(
                da.from_array(X, chunks=CHUNK), y, sensitive_features=A, sample_weight=sw)
    finally:
        logger.removeHandler(records)
        held.clear()
    collisions = [m.split(" between")[0] for m in records.messages
                  if "Detected different `run_spec`" in m]
    assert collisions == []


def test_bounded_soft_weights_on_the_path():
    """Array-agnostic, whatever the scheduler: the synchronous one, no cluster."""
    import dask

    X, y, A = make_group_data(n=600, d=3, seed=5)
    model = LogisticRegression().fit(X, y)
    with dask.config.set(scheduler="sync"):
        ref, got = _fit_both(model, X, y, A, da.from_array(X, chunks=200),
                             dask_y=da.from_array(y, chunks=150),  # rechunked to X's rows
                             weighting="soft", bounds=(-0.5, 2.0), n_steps=2)
    _assert_same(ref, got)


@pytest.mark.parametrize("params", [{}, {"weighting": "soft", "update": "newton"}])
def test_ridge_matches_numpy(client, data, params):
    X, _, A = data
    y = X @ [1.0, -0.5, 0.2] + 0.5 * A + np.random.default_rng(0).normal(size=N)
    model = Ridge(alpha=2.0).fit(X, y)
    ref, got = _fit_both(model, X, y, A, da.from_array(X, chunks=CHUNK),
                         dask_A=da.from_array(A, chunks=CHUNK), n_steps=1, **params)
    _assert_same(ref, got)


def test_dask_dataframe_and_weights(client, data):
    import pandas as pd

    X, y, A = data
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    sw = np.random.default_rng(1).uniform(0.5, 2.0, N)
    model = LogisticRegression(class_weight="balanced").fit(frame, y, sample_weight=sw)
    ddf = dd.from_pandas(frame, npartitions=2)
    groups = np.where(A == 1, "b", "a")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SoftUnlearner(FrozenEstimator(model), n_steps=1).fit(
            frame, y, sensitive_features=groups, sample_weight=sw)
        got = SoftUnlearner(FrozenEstimator(model), n_steps=1).fit(
            ddf, dd.from_pandas(pd.Series(y), npartitions=2),
            sensitive_features=dd.from_pandas(pd.Series(groups), npartitions=2),
            sample_weight=da.from_array(sw, chunks=CHUNK))
    _assert_same(ref, got)
    assert list(got.feature_names_in_) == list(frame.columns)
    # the corrected estimator predicts in-memory rows as usual
    np.testing.assert_array_equal(got.predict(frame), ref.predict(frame))


@pytest.mark.parametrize("params, message", [
    ({"update": "refit"}, "update='refit'"),
    ({"weighting": "hard"}, "weighting='hard'"),
    ({"difference_bound": 0.05}, "difference_bound measured by cross-fitting"),
    ({"solver": "cg"}, "solver='cg'"),
])
def test_unsupported_options_are_refused(data, params, message):
    X, y, A = data
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match=message):
        SoftUnlearner(FrozenEstimator(model), **params).fit(
            da.from_array(X, chunks=CHUNK), y, sensitive_features=A)


@pytest.mark.parametrize("make", [
    lambda X, y: make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y),
    lambda X, y: SGDClassifier(loss="log_loss", random_state=0).fit(X, y),
], ids=["pipeline", "sgd"])
def test_unsupported_models_are_refused(data, make):
    X, y, A = data
    with pytest.raises(ValueError, match="With dask input SoftUnlearner does not support"):
        SoftUnlearner(FrozenEstimator(make(X, y))).fit(
            da.from_array(X, chunks=CHUNK), y, sensitive_features=A)


def test_unfitted_estimator_and_unknown_chunks_are_refused(data):
    X, y, A = data
    Xd = da.from_array(X, chunks=CHUNK)
    with pytest.raises(TypeError, match="FrozenEstimator"):
        SoftUnlearner(LogisticRegression()).fit(Xd, y, sensitive_features=A)
    model = LogisticRegression().fit(X, y)
    unknown = Xd[Xd[:, 0] > -np.inf]  # boolean indexing: row chunk sizes unknown
    with pytest.raises(ValueError, match="unknown size"):
        SoftUnlearner(FrozenEstimator(model)).fit(unknown, y, sensitive_features=A)


def test_groups_of_several_dask_columns_match_in_memory():
    import dask
    import pandas as pd

    from skunlearn._dask import _encode_groups
    from skunlearn._groups import encode_groups

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"sex": rng.choice(["F", "M"], 50), "race": rng.integers(0, 3, 50)})
    with dask.config.set(scheduler="sync"):
        codes, labels = _encode_groups(dd.from_pandas(frame, npartitions=3), 50, (17, 17, 16))
        codes = codes.compute()
    expected_codes, expected_labels = encode_groups(frame, 50)
    assert labels == expected_labels
    np.testing.assert_array_equal(codes, expected_codes)


def test_in_memory_fits_never_import_dask():
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from skunlearn import SoftUnlearner\n"
        "rng = np.random.default_rng(0); A = rng.integers(0, 2, 200)\n"
        "X = rng.normal(size=(200, 2)) + A[:, None]; y = (X.sum(1) > 1).astype(int)\n"
        "SoftUnlearner(LogisticRegression(), n_steps=1).fit(X, y, sensitive_features=A)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("objective", ["equalized_odds", "robustness", "paper_robustness",
                                       "loss_equal_opportunity",
                                       ["demographic_parity", "robustness"]])
def test_other_objectives_match_numpy_on_the_synchronous_scheduler(objective):
    import dask

    X, y, A = make_group_data(n=400, d=3, seed=1)
    model = LogisticRegression(C=100.0).fit(X, y)
    strength = 0.1 if objective == "paper_robustness" else 0.5
    with dask.config.set(scheduler="sync"):
        ref, got = _fit_both(model, X, y, A, da.from_array(X, chunks=100),
                             objective=objective, strength=strength, n_steps=2)
    _assert_same(ref, got)
    # the targets' diagnostics (worst-case and fixed-point accuracies) too
    def numeric(frame):  # fairlearn's metric columns are nan here (no groups)
        return frame.drop(columns=[c for c in frame if c.startswith("metric")]).to_numpy(float)

    np.testing.assert_allclose(numeric(got.frontier_), numeric(ref.frontier_), atol=1e-8)


def test_cleaning_with_a_dask_eval_set_matches_numpy():
    import dask

    X, y, A = make_group_data(n=600, d=3, seed=2)
    flipped = np.random.default_rng(0).random(400) < 0.2
    y_noisy = np.where(flipped, 1 - y[:400], y[:400])
    model = LogisticRegression().fit(X[:400], y_noisy)
    params = dict(objective="utility", strength=0.05, n_steps=1)
    with dask.config.set(scheduler="sync"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SoftUnlearner(FrozenEstimator(model), **params).fit(
            X[:400], y_noisy, eval_set=(X[400:], y[400:]))
        got = SoftUnlearner(FrozenEstimator(model), **params).fit(
            da.from_array(X[:400], chunks=200), y_noisy,
            eval_set=(da.from_array(X[400:], chunks=200), y[400:]))
    _assert_same(ref, got)


def test_rows_of_other_lengths_are_refused(data):
    X, y, A = data
    model = LogisticRegression().fit(X, y)
    Xd = da.from_array(X, chunks=CHUNK)
    with pytest.raises(ValueError, match=r"y has shape \(999,\)"):
        SoftUnlearner(FrozenEstimator(model)).fit(Xd, y[:-1], sensitive_features=A)
    with pytest.raises(ValueError, match="sample_weight has shape"):
        SoftUnlearner(FrozenEstimator(model)).fit(
            Xd, y, sensitive_features=A, sample_weight=da.ones(N - 1, chunks=CHUNK))
    with pytest.raises(ValueError, match="sensitive_features has shape"):
        SoftUnlearner(FrozenEstimator(model)).fit(
            Xd, y, sensitive_features=da.from_array(A[:-1], chunks=CHUNK))
