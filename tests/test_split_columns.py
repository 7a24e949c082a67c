"""Dense X with mostly-zero columns held split (``skunlearn._linalg.SplitColumns``).

Every product must equal the plain dense one up to rounding, and an unlearning
must not depend on the storage.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from skunlearn import SoftUnlearner
from skunlearn import _linalg
from skunlearn._linalg import Design, SplitColumns


def one_hot_rows(n=3000, seed=0):
    """Two numeric columns, a 40-level and a 6-level one-hot feature, a binary column."""
    rng = np.random.default_rng(seed)
    numeric = rng.normal(size=(n, 2))
    many = np.eye(40)[rng.integers(0, 40, n)]
    few = np.eye(6)[rng.choice(6, n, p=[0.5, 0.2, 0.1, 0.1, 0.05, 0.05])]
    flag = (rng.random(n) < 0.1).astype(float)
    return np.hstack([numeric, many, few, flag[:, None]])


def plain(X, fit_intercept):
    design = Design(X, fit_intercept)
    design._split = None
    return design


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("pairs", [True, False])
def test_products_equal_the_dense_ones(fit_intercept, pairs):
    X = one_hot_rows()
    design, dense = Design(X, fit_intercept), plain(X, fit_intercept)
    assert design._split is not None
    if not pairs:  # the sparse-product route taken when the pair matrix would be large
        design._split._pairs = None
    rng = np.random.default_rng(1)
    theta = rng.normal(size=design.n_params)
    Theta = rng.normal(size=(design.n_params, 3))
    a, A = rng.normal(size=len(X)), rng.normal(size=(len(X), 3))
    np.testing.assert_allclose(design.matvec(theta), dense.matvec(theta), rtol=0, atol=1e-12)
    np.testing.assert_allclose(design.matvec(Theta), dense.matvec(Theta), rtol=0, atol=1e-12)
    np.testing.assert_allclose(design.rmatvec(a), dense.rmatvec(a), rtol=0, atol=1e-10)
    np.testing.assert_allclose(design.rmatvec(A), dense.rmatvec(A), rtol=0, atol=1e-10)
    for h in (rng.random(len(X)), rng.normal(size=len(X))):  # any sign of h
        G = design.gram(h)
        np.testing.assert_allclose(G, dense.gram(h), rtol=0, atol=1e-10)
        assert np.array_equal(G, G.T)


def test_row_blocks_give_the_same_gram(monkeypatch):
    X = one_hot_rows(n=2500)
    h = np.random.default_rng(2).random(len(X))
    whole = Design(X, True).gram(h)
    monkeypatch.setattr(_linalg, "get_config", lambda: {"working_memory": 1})
    split = SplitColumns.of(X, True)
    assert split.block_rows < len(X)  # several row blocks
    np.testing.assert_allclose(split.gram(h), whole, rtol=0, atol=1e-10)


def test_split_only_where_it_pays():
    rng = np.random.default_rng(0)
    assert Design(rng.normal(size=(3000, 20)), True)._split is None  # no sparse column
    assert Design(one_hot_rows(n=500), True)._split is None  # too few rows to matter
    split = Design(one_hot_rows(), True)._split
    assert split.dense.tolist() == [0, 1, 42, 49]  # numeric, the 50% level, intercept
    assert len(split.sparse) == 46  # the 40 + 5 rarer levels and the 10% flag
    X = one_hot_rows()
    X.flags.writeable = False
    Design(X, True)  # the user's array is read, never written


def test_unlearning_does_not_depend_on_the_storage(monkeypatch):
    X = one_hot_rows(n=4000, seed=3)
    rng = np.random.default_rng(3)
    A = (X[:, 2:12].sum(axis=1) > 0).astype(int)
    y = (X[:, 0] + 0.8 * A + rng.normal(size=len(X)) > 0.5).astype(int)
    base = LogisticRegression(max_iter=1000).fit(X, y)
    fits = []
    for split in (True, False):
        if not split:
            monkeypatch.setattr(SplitColumns, "of", classmethod(lambda cls, X, f: None))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            su = SoftUnlearner(FrozenEstimator(base)).fit(X, y, sensitive_features=A)
        fits.append(su)
    np.testing.assert_allclose(fits[0].estimator_.coef_, fits[1].estimator_.coef_,
                               rtol=0, atol=1e-9)
    np.testing.assert_allclose(fits[0].weights_, fits[1].weights_, rtol=0, atol=1e-9)


def test_sparse_input_with_dense_columns_is_split_too():
    import scipy.sparse as sp

    X = one_hot_rows()
    design = Design(sp.csr_matrix(X), True)
    assert design._split is not None
    dense = plain(X, True)
    h = np.random.default_rng(4).normal(size=len(X))
    np.testing.assert_allclose(design.gram(h), dense.gram(h), rtol=0, atol=1e-10)
    theta = np.random.default_rng(5).normal(size=design.n_params)
    np.testing.assert_allclose(design.matvec(theta), dense.matvec(theta), rtol=0, atol=1e-12)
    np.testing.assert_allclose(design.rmatvec(h), dense.rmatvec(h), rtol=0, atol=1e-10)
    # text-like rows (no dense column) keep their own sparse storage
    text = sp.random(3000, 500, density=0.01, format="csr", random_state=0)
    assert Design(text, True)._split is None


def test_many_sparse_columns_index_their_pairs(monkeypatch):
    # over 1024 sparse columns: the pairs that occur are indexed (a sort), not every slot
    rng = np.random.default_rng(6)
    X = np.hstack([rng.normal(size=(6000, 3)), np.eye(1100)[rng.integers(0, 1100, 6000)],
                   np.eye(4)[rng.integers(0, 4, 6000)]])
    design = Design(X, True)
    assert design._split is not None and design._split._pairs[1] is not None
    h = rng.normal(size=len(X))
    np.testing.assert_allclose(design.gram(h), plain(X, True).gram(h), rtol=0, atol=1e-10)


@pytest.mark.parametrize("order", ["C", "F"])
def test_dense_to_csr_equals_scipy_on_a_column_subset(order):
    rng = np.random.default_rng(3)
    X = np.where(rng.random((500, 12)) < 0.2, rng.normal(size=(500, 12)), 0.0)
    X[7] = 0.0  # an empty row
    X[:, 4] = -0.0  # negative zeros are zeros
    X = np.asarray(X, order=order)
    columns = np.array([0, 2, 3, 4, 9, 11])
    built = _linalg._dense_to_csr(X, columns)
    expected = sp.csr_matrix(np.ascontiguousarray(X[:, columns]))
    assert built.shape == expected.shape and built.has_sorted_indices
    np.testing.assert_array_equal(built.indptr, expected.indptr)
    np.testing.assert_array_equal(built.indices, expected.indices)
    np.testing.assert_array_equal(built.data, expected.data)
