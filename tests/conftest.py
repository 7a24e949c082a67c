"""Shared fixtures: small synthetic problems and a preprocessed Adult sample."""

import functools

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from skunlearn.datasets import load_adult, make_preprocessor


def make_group_data(n=400, d=4, seed=0, shift=1.0):
    """Binary classification where feature 0 is shifted by the group."""
    rng = np.random.default_rng(seed)
    A = rng.integers(0, 2, n)
    X = rng.normal(size=(n, d))
    X[:, 0] += shift * A
    logits = X @ np.linspace(1.0, 0.2, d) - 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype(int)
    return X, y, A


@pytest.fixture
def group_data():
    return make_group_data()


@pytest.fixture(scope="session")
def adult_split():
    """Adult, sex as the sensitive feature, preprocessed, 70/30 stratified split."""
    return adult_arrays()


@functools.cache
def adult_arrays():
    """The arrays of the ``adult_split`` fixture (computed once per process)."""
    adult = load_adult()
    X, y, A = adult.data, adult.target.to_numpy(), adult.sensitive_features["sex"].to_numpy()
    Xtr, Xte, ytr, yte, Atr, Ate = train_test_split(
        X, y, A, test_size=0.3, random_state=0, stratify=y
    )
    pre = make_preprocessor(X).fit(Xtr)
    return pre.transform(Xtr), pre.transform(Xte), ytr, yte, Atr, Ate


@pytest.fixture(scope="module")
def client():
    """A dask.distributed client of a LocalCluster with two worker processes.

    ``client.graph_counter.count`` counts the graphs submitted to its scheduler
    (computes and persists).
    """
    distributed = pytest.importorskip("distributed")

    class GraphCounter(distributed.diagnostics.plugin.SchedulerPlugin):
        name = "skunlearn-graph-counter"

        def __init__(self):
            self.count = 0

        def update_graph(self, scheduler, **kwargs):
            self.count += 1

    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0",
    ) as cluster, distributed.Client(cluster) as client:
        counter = GraphCounter()
        cluster.scheduler.add_plugin(counter, name=counter.name)
        client.graph_counter = counter
        yield client
