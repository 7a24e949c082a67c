"""Chunked linear algebra over a design matrix with an implicit intercept column.

Every quantity skunlearn needs from the training rows is either a map over rows
(scores ``X theta``, per-row influences) or a sum over rows (gradients,
``X^T diag(h) X``). :class:`Design` computes both over row chunks, so memory stays
at a few chunks of ``X`` whatever ``n`` is, and the intercept column of ones is
never materialised (no ``n x (d + 1)`` copy of ``X``).

The chunk size follows scikit-learn's ``working_memory`` setting
(:func:`sklearn.set_config`), like :func:`sklearn.metrics.pairwise_distances_chunked`.
"""

import contextlib
import warnings

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from sklearn import get_config
from scipy.linalg.blas import dsyrk as _syrk
from sklearn.utils import gen_batches
from threadpoolctl import threadpool_limits


class Design:
    """The matrix ``X~ = [X, 1]`` (or ``X`` without intercept), used chunk by chunk.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Feature matrix. Never copied.
    fit_intercept : bool
        Whether the parameter vector ends with an intercept (a column of ones).
    split : bool, default=True
        Whether an ``X`` whose columns are mostly zeros (one-hot encoded
        features) may also be held as a dense and a sparse block
        (:class:`SplitColumns`), when its cost model predicts faster passes.
        ``False`` for a design read once (building the split costs a few passes).

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design
    >>> D = Design(np.array([[1.0, 2.0], [3.0, 4.0]]), fit_intercept=True)
    >>> D.matvec(np.array([1.0, 0.0, 10.0]))
    array([11., 13.])
    >>> D.gram(np.ones(2))
    array([[10., 14.,  4.],
           [14., 20.,  6.],
           [ 4.,  6.,  2.]])
    """

    def __init__(self, X, fit_intercept, split=True):
        self.X = X
        self.fit_intercept = bool(fit_intercept)
        self.n_samples, self.n_features = X.shape
        self.n_params = self.n_features + int(self.fit_intercept)
        self._recent = []  # (theta bytes, scores) of the last few parameter vectors
        self._squared = None  # sparse X with squared entries, for gram_diagonal
        self._split = (SplitColumns.of(X, self.fit_intercept)
                       if split and (type(X) is np.ndarray or sp.issparse(X)) else None)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_recent"], state["_squared"] = [], None
        return state

    def chunks(self):
        """Yield row slices whose dense ``chunk x n_params`` block fits working memory."""
        # A chunk's dense copies (scaled block, block with intercept) stay within
        # 1/256 of scikit-learn's working_memory (4 MiB of the default 1 GiB): they
        # stay in cache, which measured faster for the Gram passes than 16 or 64
        # MiB (Adult: 0.014 s against 0.020 s), and small next to X. Dense chunks
        # have at least p rows, so that each rank-k update of the p x p Gram
        # matrix does p^2 k work for its p^2 memory traffic.
        row_bytes = 8 * 2 * max(self.n_params, 1)
        min_rows = self.n_params
        if sp.issparse(self.X):  # sparse chunks are sized by their non-zeros
            row_bytes = 8 * 3 * max(self.X.nnz / max(self.n_samples, 1), 1.0)
            min_rows = 1
        n_rows = max(int(get_config()["working_memory"] * 2**20 / 256 // row_bytes), min_rows)
        return gen_batches(self.n_samples, min(max(n_rows, 1), max(self.n_samples, 1)))

    def block(self, rows):
        """Dense ``X~[rows]`` (one chunk; the only place a dense row block exists)."""
        Xc = self.X[rows]
        Xc = Xc.toarray() if sp.issparse(Xc) else np.asarray(Xc, dtype=float)
        if self.fit_intercept:
            Xc = np.hstack([Xc, np.ones((Xc.shape[0], 1))])
        return Xc

    def matvec(self, theta):
        """``X~ @ theta`` for ``theta`` of shape (p,) or (p, k).

        The scores of the last few parameter vectors are kept (read-only), since
        a path evaluates the loss, its gradient, its Hessian and the targets at
        the same ``theta``: one pass over ``X`` serves them all.
        """
        theta = np.asarray(theta, dtype=float)
        key = theta.tobytes() if theta.ndim == 1 else None
        if key is not None:
            for cached_key, scores in self._recent:
                if cached_key == key:
                    return scores
        out = self._matvec(theta)
        if key is not None:
            self._recent = [(key, out), *self._recent[:2]]
        return out

    def _matvec(self, theta):
        if self._split is not None:
            out = self._split.matvec(theta)
        else:
            out = np.asarray(self.X @ theta[: self.n_features], dtype=float)
            if self.fit_intercept:
                out = out + theta[self.n_features]
        if theta.ndim == 1:
            out.flags.writeable = False  # cached: shared by every caller
        return out

    def rmatvec(self, a):
        """``X~^T @ a`` for ``a`` of shape (n,) or (n, k)."""
        a = np.asarray(a, dtype=float)
        if self._split is not None:
            return self._split.rmatvec(a)
        top = np.asarray(self.X.T @ a, dtype=float)
        if not self.fit_intercept:
            return top
        return np.concatenate([top, a.sum(axis=0, keepdims=True)], axis=0)

    # The unevaluated forms a distributed design offers, so that several sums share
    # one pass (see skunlearn._dask); in memory there is nothing to defer.
    def rmatvec_lazy(self, a):
        return self.rmatvec(a)

    def gram_lazy(self, h):
        return self.gram(h)

    def masked_gram_lazy(self, h, mask):
        return self.masked_gram(h, mask)

    def gram(self, h):
        """``X~^T diag(h) X~`` summed over row chunks; shape (p, p).

        For dense ``X`` and ``h >= 0`` each chunk is one symmetric rank-k update
        (BLAS ``syrk`` on ``sqrt(h) X~``), half the flops of a general product.
        """
        h = np.asarray(h, dtype=float)
        if self._split is not None:
            return self._split.gram(h)
        if sp.issparse(self.X):
            return self._sparse_gram(h)
        d, p = self.n_features, self.n_params
        nonnegative = bool(np.all(h >= 0))
        upper = np.zeros((p, p), order="F")
        for rows in self.chunks():
            Xc = np.asarray(self.X[rows], dtype=float)
            if nonnegative:
                root = np.sqrt(h[rows])
                scaled = np.empty((Xc.shape[0], p))  # the chunk's only copy
                np.multiply(Xc, root[:, None], out=scaled[:, :d])
                if self.fit_intercept:
                    scaled[:, d] = root
                # scaled.T is Fortran-ordered: BLAS reads it in place
                upper = _syrk(1.0, scaled.T, beta=1.0, c=upper, trans=0, overwrite_c=True)
            else:
                block = self.block(rows)
                upper += np.triu(block.T @ (h[rows, None] * block))
        return np.triu(upper) + np.triu(upper, 1).T

    def gram_diagonal(self, h):
        """Diagonal of ``X~^T diag(h) X~`` (``sum_i h_i x_ij^2``), one pass, nothing p x p."""
        h = np.asarray(h, dtype=float)
        out = np.empty(self.n_params)
        if sp.issparse(self.X):
            if self._squared is None:  # every Hessian-free Newton step needs it
                X = self.X.tocsr()
                if not X.has_canonical_format:  # duplicate entries square wrongly
                    X = X.copy()
                    X.sum_duplicates()
                self._squared = sp.csr_matrix((X.data**2, X.indices, X.indptr), shape=X.shape)
            out[: self.n_features] = np.asarray(self._squared.T @ h).ravel()
        else:
            out[: self.n_features] = 0.0
            for rows in self.chunks():
                Xc = np.asarray(self.X[rows], dtype=float)
                out[: self.n_features] += (Xc * Xc).T @ h[rows]
        if self.fit_intercept:
            out[self.n_features] = h.sum()
        return out

    def masked_gram(self, h, mask):
        """``X~^T diag(h) X~`` over the rows where ``mask`` is true (only those rows are read)."""
        rows = np.flatnonzero(mask)
        block = self.block(rows)
        return block.T @ (np.asarray(h, dtype=float)[rows, None] * block)

    def zeros(self):
        """A length-``n_samples`` vector of zeros, of the kind of array ``X`` is."""
        return np.zeros(self.n_samples)

    def gram_factor(self, h, rank, seed=0, power_iter=2):
        """``L`` (p x <= rank) with ``L L^T`` the best rank-``rank`` approximation of ``X~^T diag(h) X~``.

        A randomized range finder with ``power_iter`` power iterations (Halko,
        Martinsson & Tropp 2011) on products with blocks of ``rank + 10``
        columns, ``2 + power_iter`` passes over ``X`` in all; ``h >= 0``. Exact
        (up to rounding) when the matrix has rank at most ``rank``.
        """
        h = np.asarray(h, dtype=float)
        width = min(rank + 10, self.n_params)

        def product(V):
            return self.rmatvec(h[:, None] * self.matvec(V))

        Y = product(np.random.default_rng(seed).standard_normal((self.n_params, width)))
        for _ in range(power_iter):
            Y = product(np.linalg.qr(Y)[0])
        Q = np.linalg.qr(Y)[0]
        XQ = self.matvec(Q)
        vals, vecs = np.linalg.eigh(XQ.T @ (h[:, None] * XQ))
        top = np.argsort(vals)[::-1][:rank]
        top = top[vals[top] > 1e-12 * max(vals.max(initial=0.0), 1e-300)]
        return (Q @ vecs[:, top]) * np.sqrt(vals[top])

    def _sparse_gram(self, h):
        d, p = self.n_features, self.n_params
        out = np.zeros((p, p))
        for rows in self.chunks():
            Xc, hc = self.X[rows], h[rows]
            weighted = Xc.multiply(hc[:, None]).tocsr()
            out[:d, :d] += (Xc.T @ weighted).toarray()
            if self.fit_intercept:
                column = np.asarray(weighted.sum(axis=0)).ravel()
                out[:d, d] += column
                out[d, :d] += column
                out[d, d] += hc.sum()
        return (out + out.T) / 2.0


# Parameters up to which a split design's correction runs on one BLAS thread.
_SMALL_PROBLEM = 256


def small_problem_threads(design):
    """A context running BLAS on one thread while a split design (:class:`SplitColumns`)
    with at most 256 parameters is corrected; otherwise one that changes nothing.

    Such a design leaves BLAS only small products (``n x d_1`` blocks, ``p x p``
    triangular solves), where waking a second thread costs more than it saves:
    the default unlearning of Adult took 0.30 s on one thread against 0.66 s on
    two. The previous limits are restored on exit.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design, small_problem_threads
    >>> with small_problem_threads(Design(np.ones((3, 2)), True)):  # not split: no change
    ...     pass
    """
    rows = getattr(design, "rows", design)  # the one-output design of several outputs
    if getattr(rows, "_split", None) is None or design.n_params > _SMALL_PROBLEM:
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _dense_to_csr(block, columns):
    """``block[:, columns]`` (``columns`` increasing) in compressed rows, without copying them.

    The non-zeros are found on a boolean mask in C order, so they come row by
    row (a search on floats takes three times as long as on booleans).
    """
    keep = np.zeros(block.shape[1], dtype=bool)
    keep[columns] = True
    mask = block != 0
    mask &= keep
    flat = np.flatnonzero(mask)
    rows, cols = np.divmod(flat, block.shape[1])
    position = np.cumsum(keep) - 1  # a kept column's index among ``columns``
    indptr = np.searchsorted(rows, np.arange(block.shape[0] + 1))
    return sp.csr_matrix((np.asarray(block[rows, cols], dtype=float), position[cols], indptr),
                         shape=(block.shape[0], len(columns)))


def _nbytes(X):
    """Memory held by the entries of ``X`` (dense or sparse)."""
    if sp.issparse(X):  # values and column indices; no conversion just to count
        return 12 * X.nnz + 8 * (X.shape[0] + 1)
    return X.size * X.itemsize


class SplitColumns:
    """An ``X~`` whose columns are mostly zeros, held as a dense block and a CSR block.

    One-hot encoded tabular data (Adult: 102 columns, 13.6% non-zero) has a few
    dense columns (the numeric features, frequent categories, the intercept)
    and many columns that are almost all zeros. Holding the dense columns as an
    ``n x d_1`` array and the others in compressed rows makes every pass cost
    ``n d_1`` (``n d_1^2`` for a Gram matrix) plus the sparse block's
    non-zeros (times ``d_1`` and the non-zeros per row), instead of ``n p``
    (``n p^2 / 2``). The Gram matrix is assembled from its three blocks; the
    results equal the dense ones up to rounding.

    Built by :meth:`of` only when the cost model predicts the passes at most
    half as costly and the copy within half of ``X``'s memory (a column is
    sparse at most 25% non-zero; a sparse flop counted as 20 BLAS flops). A
    sparse ``X`` with dense columns (scikit-learn's ``OneHotEncoder`` beside
    scaled numeric columns) is split the same way when that halves the cost
    of its sparse products, within 1.5 times ``X``'s own memory (a dense
    entry takes 8 bytes instead of 12, but the intercept column is added).

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import SplitColumns
    >>> rng = np.random.default_rng(0)
    >>> X = np.hstack([rng.normal(size=(3000, 2)), np.eye(30)[rng.integers(0, 30, 3000)]])
    >>> split = SplitColumns.of(X, True)
    >>> split.dense.tolist()  # the two numeric columns and the intercept
    [0, 1, 32]
    >>> Xt, h = np.hstack([X, np.ones((3000, 1))]), rng.random(3000)
    >>> bool(np.allclose(split.gram(h), Xt.T @ (h[:, None] * Xt)))
    True
    """

    _MAX_DENSITY = 0.25
    _SPARSE_FLOP_COST = 20.0

    def __init__(self, X, fit_intercept, dense, sparse):
        n, d = X.shape
        self.n_params = d + int(fit_intercept)
        self.dense, self.sparse = dense, sparse
        self.block_rows = max(int(get_config()["working_memory"] * 2**20 / 256
                                  // (8 * max(len(dense), 1))), 1)
        feature_dense = dense[dense < d]
        self.Xd = np.empty((n, len(dense)))
        if fit_intercept:
            self.Xd[:, -1] = 1.0  # the intercept is the last parameter and dense
        if sp.issparse(X):
            X = X.tocsc()
            self.Xd[:, : len(feature_dense)] = X[:, feature_dense].toarray()
            self.Xs = X[:, sparse].tocsr().astype(float)
            self.Xs.sum_duplicates()
        else:
            self.Xd[:, : len(feature_dense)] = X[:, feature_dense]
            self.Xs = sp.vstack([_dense_to_csr(X[rows], sparse)
                                 for rows in gen_batches(n, self.block_rows)], format="csr")
        self.Xs.sort_indices()
        # kept within half of X's own memory (a CSR X counts its non-zeros only: the
        # one-hot block of a ColumnTransformer's output qualifies as well as a dense X)
        self._pairs = self._pair_products(_nbytes(X) // 2)

    def _pair_products(self, max_bytes):
        """``(M, a, b)`` with ``(M @ h)[k] = sum_i h_i x_ia x_ib`` for the upper-triangle
        pairs ``(a[k], b[k])`` of sparse columns that share a row (``a = b = None``:
        every pair in row-major order), or ``None`` if ``M`` would take over
        ``max_bytes``.

        The pattern of ``X_s^T diag(h) X_s`` does not change with ``h``: one
        sparse matrix-vector product (``sum_i m_i (m_i + 1) / 2`` terms for
        ``m_i`` non-zeros in row ``i``) gives it, instead of a sparse product.
        """
        indptr, columns, values = self.Xs.indptr, self.Xs.indices, self.Xs.data
        per_row = np.diff(indptr)
        # entry k pairs with the entries from k to the end of its row
        counts = np.repeat(indptr[1:], per_row) - np.arange(len(columns))
        total = int(counts.sum())
        if 12 * total > max_bytes:  # a value and a column index per pair
            return None
        first = np.repeat(np.arange(len(columns)), counts)
        second = first + np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        d = len(self.sparse)
        keys = columns[first] * d + columns[second]
        rows = np.repeat(np.repeat(np.arange(len(per_row)), per_row), counts)
        if d * d <= 2**20:  # a slot for every pair (most stay empty): no sort
            M = sp.csr_matrix((values[first] * values[second], (keys, rows)),
                              shape=(d * d, len(per_row)))
            return M, None, None  # M @ h is the d x d upper triangle, row by row
        keys, slot = np.unique(keys, return_inverse=True)
        M = sp.csr_matrix((values[first] * values[second], (slot.ravel(), rows)),
                          shape=(len(keys), len(per_row)))
        return M, keys // d, keys % d  # a <= b: the entries sorted within each row

    @classmethod
    def of(cls, X, fit_intercept):
        """The split of ``X`` (dense, or sparse with dense columns) if the cost model
        favours it, else ``None``."""
        n, d = X.shape
        p = d + int(fit_intercept)
        if n < 1000 or d < 8:
            return None
        if sp.issparse(X):
            nonzero = np.asarray(X.getnnz(axis=0), dtype=np.int64)
        else:
            nonzero = np.zeros(d, dtype=np.int64)
            for rows in gen_batches(n, max(2**22 // (8 * d), 1)):
                nonzero += np.count_nonzero(X[rows], axis=0)
        is_sparse = nonzero <= cls._MAX_DENSITY * n
        if not is_sparse.any() or (sp.issparse(X) and is_sparse.all()):
            return None  # nothing sparse to gain; or sparse X already is what we would build
        n_dense = int(d - is_sparse.sum() + int(fit_intercept))
        nnz = float(nonzero[is_sparse].sum())
        split_cost = n * n_dense**2 + cls._SPARSE_FLOP_COST * nnz * (n_dense + nnz / n)
        if sp.issparse(X):  # the sparse product's cost, sum_i nnz_i^2 at about nnz^2 / n
            current = cls._SPARSE_FLOP_COST * X.nnz * (X.nnz / n + 1.0)
            budget = 1.5 * _nbytes(X)  # a re-encoding of X, about its own size
        else:
            current, budget = n * p**2 / 2.0, 0.5 * _nbytes(X)
        if split_cost > 0.5 * current or 8 * n * n_dense + 12 * nnz > budget:
            return None
        dense = np.flatnonzero(~is_sparse)
        if fit_intercept:
            dense = np.append(dense, d)
        return cls(X, fit_intercept, dense, np.flatnonzero(is_sparse))

    def matvec(self, theta):
        return self.Xd @ theta[self.dense] + self.Xs @ theta[self.sparse]

    def rmatvec(self, a):
        out = np.empty((self.n_params,) + a.shape[1:])
        out[self.dense] = self.Xd.T @ a
        out[self.sparse] = self.Xs.T @ a
        return out

    def gram(self, h):
        """``X~^T diag(h) X~`` from its dense, mixed and sparse blocks (any sign of ``h``)."""
        k, d = len(self.dense), len(self.sparse)
        dense_dense, sparse_dense = np.zeros((k, k)), np.zeros((d, k))
        sparse_sparse = np.zeros((d, d))
        for rows in gen_batches(len(h), self.block_rows):
            weighted = self.Xd[rows] * h[rows, None]
            dense_dense += self.Xd[rows].T @ weighted
            # (slicing copies a CSR block: not when the block is every row)
            block = self.Xs if rows == slice(0, len(h)) else self.Xs[rows]
            sparse_dense += block.T @ weighted
            if self._pairs is None:
                sparse_sparse += (block.T @ block.multiply(h[rows, None]).tocsr()).toarray()
        if self._pairs is None:
            sparse_sparse = (sparse_sparse + sparse_sparse.T) / 2.0
        else:  # the upper triangle, mirrored
            M, a, b = self._pairs
            if a is None:
                sparse_sparse = (M @ h).reshape(d, d)
            else:
                sparse_sparse[a, b] = M @ h
            sparse_sparse += np.triu(sparse_sparse, 1).T
        out = np.empty((self.n_params, self.n_params))
        out[np.ix_(self.dense, self.dense)] = (dense_dense + dense_dense.T) / 2.0
        out[np.ix_(self.sparse, self.dense)] = sparse_dense
        out[np.ix_(self.dense, self.sparse)] = sparse_dense.T
        out[np.ix_(self.sparse, self.sparse)] = sparse_sparse
        return out


class RowGradients:
    """The per-row gradients ``g_i = r_i x~_i`` of a one-output model, as ``G = diag(r) X~``.

    Influences (``G V``), parameter moves (``G^T eps``) and the curvature
    weights (``G^T G``) only ever need products with ``G``, taken here over the
    design's row chunks; ``G`` itself (``n x p``) is never formed.
    :class:`OutputRowGradients` is the same operator for several outputs.

    Parameters
    ----------
    design : Design
    r : ndarray of shape (n_samples,)
        Per-row scales (:meth:`skunlearn.models.LinearModel.row_scales`).

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design, RowGradients
    >>> G = RowGradients(Design(np.array([[1.0], [2.0]]), True), np.array([1.0, -1.0]))
    >>> G.matvec(np.array([1.0, 1.0])), G.rmatvec(np.array([1.0, 1.0]))
    (array([ 2., -3.]), array([-1.,  0.]))
    """

    def __init__(self, design, r):
        self.design, self.r = design, r

    def _scales(self, A):
        return self.r if np.ndim(A) == 1 else self.r[:, None]

    def matvec(self, M):
        """``G M`` for ``M`` of shape (p,) or (p, m)."""
        return self._scales(M) * self.design.matvec(M)

    def rmatvec(self, A):
        """``G^T A`` for ``A`` of shape (n,) or (n, m)."""
        return self.design.rmatvec(self._scales(A) * A)

    def rmatvec_lazy(self, A):
        """:meth:`rmatvec`, unevaluated for dask rows."""
        return self.design.rmatvec_lazy(self._scales(A) * A)

    def gram_lazy(self):
        """``G^T G`` (unevaluated for dask rows)."""
        return self.design.gram_lazy(self.r**2)

    def masked_gram_lazy(self, mask):
        """``G^T G`` over the rows where ``mask`` is true."""
        return self.design.masked_gram_lazy(self.r**2, mask)


class OutputBlocks:
    """A design for ``K`` outputs sharing its rows: ``theta = [theta_1, ..., theta_K]``.

    Each output ``k`` has its own block ``theta_k = [w_k, b_k]`` of ``p`` entries
    (``p`` the parameters of ``rows``), flattened into one vector of ``K p``: the
    scores are ``Z = X~ Theta^T`` with ``Theta = theta.reshape(K, p)``. Every
    method is one pass over the rows whatever ``K`` (the blocks ride along as
    columns), except :meth:`gram`, one pass per non-zero block of the upper
    triangle (one in all when the blocks share their weights, as the targets of
    least squares do).

    Parameters
    ----------
    rows : Design
        The shared rows ``X~`` (in memory).
    n_outputs : int
        ``K``.

    Attributes
    ----------
    n_params : int
        ``K p``.
    n_features : int
        Features per output (the columns of ``X``).
    block_size : int
        ``p``.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design, OutputBlocks
    >>> D = OutputBlocks(Design(np.array([[1.0], [2.0]]), True), 2)
    >>> D.matvec(np.array([1.0, 0.0, 0.0, 5.0]))    # theta_1 = [1, 0], theta_2 = [0, 5]
    array([[1., 5.],
           [2., 5.]])
    >>> D.rmatvec(np.ones((2, 2)))                    # X~^T a for each output's column
    array([3., 2., 3., 2.])
    """

    def __init__(self, rows, n_outputs):
        self.rows = rows
        self.n_outputs = int(n_outputs)
        self.block_size = rows.n_params
        self.n_samples, self.n_features = rows.n_samples, rows.n_features
        self.fit_intercept = rows.fit_intercept
        self.n_params = self.n_outputs * self.block_size
        self.X = rows.X
        self._recent = []

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_recent"] = []
        return state

    def zeros(self):
        """A length-``n_samples`` vector of zeros."""
        return self.rows.zeros()

    def chunks(self):
        """The row chunks of ``rows``."""
        return self.rows.chunks()

    def _columns(self, M):
        """``(K p, m)`` -> ``(p, K m)``: every output's block as columns of one product."""
        K, p = self.n_outputs, self.block_size
        return M.reshape(K, p, -1).transpose(1, 0, 2).reshape(p, -1)

    def matvec(self, theta):
        """Scores ``(n, K)`` for ``theta`` of shape (K p,); ``(n, K, m)`` for shape (K p, m).

        The scores of the last few parameter vectors are kept (read-only), as
        :meth:`Design.matvec` does.
        """
        theta = np.asarray(theta, dtype=float)
        if theta.ndim == 1:
            key = theta.tobytes()
            for cached_key, scores in self._recent:
                if cached_key == key:
                    return scores
            out = np.asarray(self.rows.matvec(self._columns(theta)), dtype=float)
            out.flags.writeable = False  # cached: shared by every caller
            self._recent = [(key, out), *self._recent[:2]]
            return out
        out = self.rows.matvec(self._columns(theta))
        return out.reshape(self.n_samples, self.n_outputs, theta.shape[1])

    def rmatvec(self, A):
        """``X~^T A`` per output, flat: (K p,) for ``A`` of shape (n, K), (K p, m) for (n, K, m)."""
        A = np.asarray(A, dtype=float)
        K, p = self.n_outputs, self.block_size
        if A.ndim == 2:
            return self.rows.rmatvec(A).T.ravel()
        m = A.shape[2]
        out = self.rows.rmatvec(A.reshape(self.n_samples, K * m))  # (p, K m)
        return out.reshape(p, K, m).transpose(1, 0, 2).reshape(K * p, m)

    rmatvec_lazy = rmatvec  # in memory only: nothing to defer

    def _blocks(self, h, gram):
        """Assemble ``(K p, K p)`` from ``gram(h[:, k, l])`` over the non-zero blocks."""
        K, p = self.n_outputs, self.block_size
        out = np.zeros((K * p, K * p))
        done = []  # (weights, block): least squares has the same block for every target
        for k in range(K):
            for l in range(k, K):
                h_kl = np.asarray(h[:, k, l], dtype=float)
                if not np.any(h_kl):
                    continue  # a decoupled pair of outputs (least squares)
                block = next((b for w, b in done if np.array_equal(w, h_kl)), None)
                if block is None:
                    # a non-positive weight vector (softmax off the diagonal) gets the
                    # symmetric rank-k update of its negation
                    block = -gram(-h_kl) if np.all(h_kl <= 0) else gram(h_kl)
                    done.append((h_kl, block))
                out[k * p:(k + 1) * p, l * p:(l + 1) * p] = block
                if l != k:
                    out[l * p:(l + 1) * p, k * p:(k + 1) * p] = block.T
        return out

    def gram(self, h):
        """``sum_i h_i kron x~_i x~_i^T`` for per-row symmetric ``h`` of shape (n, K, K)."""
        return self._blocks(h, self.rows.gram)

    gram_lazy = gram

    def masked_gram(self, h, mask):
        """:meth:`gram` over the rows where ``mask`` is true (only those rows are read)."""
        return self._blocks(h, lambda h_kl: self.rows.masked_gram(h_kl, mask))

    masked_gram_lazy = masked_gram


class OutputRowGradients:
    """:class:`RowGradients` of a ``K``-output model: ``g_i = vec(r_i x~_i^T)`` on :class:`OutputBlocks`.

    Row ``i``'s gradient is the outer product of its ``K`` scales (the
    residual vector, e.g. ``C s_i (p_i - e_{y_i})`` for softmax) and ``x~_i``,
    flattened block by block; ``G^T diag(w) G`` has blocks
    ``X~^T diag(w r_k r_l) X~``.

    Parameters
    ----------
    design : OutputBlocks
    r : ndarray of shape (n_samples, K)

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design, OutputBlocks, OutputRowGradients
    >>> D = OutputBlocks(Design(np.array([[1.0], [2.0]]), False), 2)
    >>> G = OutputRowGradients(D, np.array([[1.0, -1.0], [0.5, -0.5]]))
    >>> G.rmatvec(np.ones(2))                          # sum_i g_i
    array([ 2., -2.])
    >>> G.matvec(np.array([1.0, 3.0]))                 # g_i . [1, 3]
    array([-2., -2.])
    """

    def __init__(self, design, r):
        self.design, self.r = design, np.asarray(r, dtype=float)

    def matvec(self, M):
        """``G M`` for ``M`` of shape (K p,) or (K p, m)."""
        Z = self.design.matvec(M)
        if np.ndim(M) == 1:
            return np.einsum("nk,nk->n", self.r, Z)
        return np.einsum("nk,nkm->nm", self.r, Z)

    def rmatvec(self, A):
        """``G^T A`` for ``A`` of shape (n,) or (n, m)."""
        A = np.asarray(A, dtype=float)
        if A.ndim == 1:
            return self.design.rmatvec(self.r * A[:, None])
        return self.design.rmatvec(self.r[:, :, None] * A[:, None, :])

    rmatvec_lazy = rmatvec

    def _outer(self):
        return self.r[:, :, None] * self.r[:, None, :]

    def gram_lazy(self):
        """``G^T G``."""
        return self.design.gram(self._outer())

    def masked_gram_lazy(self, mask):
        """``G^T G`` over the rows where ``mask`` is true."""
        return self.design.masked_gram(self._outer(), mask)


def penalty_product(penalty, theta):
    """``P @ theta`` for ``P`` given by its diagonal (shape (p,)) or in full (shape (p, p)).

    Models keep a diagonal penalty as a vector (most estimators penalise each
    coefficient on its own); a full symmetric PSD matrix arises when the
    estimator penalised a linear transform of the parameters (dask-glm's
    normalised coordinates). ``theta`` has shape (p,) or (p, k).

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import penalty_product
    >>> penalty_product(np.array([1.0, 0.0]), np.array([2.0, 3.0]))
    array([2., 0.])
    >>> penalty_product(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([2.0, 3.0]))
    array([5., 5.])
    """
    penalty = np.asarray(penalty, dtype=float)
    theta = np.asarray(theta, dtype=float)
    if penalty.ndim == 2:
        return penalty @ theta
    return penalty * theta if theta.ndim == 1 else penalty[:, None] * theta


def add_penalty(H, penalty):
    """Add ``P`` (its diagonal, or the full matrix) to the ``p x p`` array ``H`` in place; returns ``H``."""
    penalty = np.asarray(penalty, dtype=float)
    if penalty.ndim == 2:
        H += penalty
    else:
        H[np.diag_indices_from(H)] += penalty
    return H


class SymmetricSolver:
    """Solve ``H x = b`` for a symmetric positive (semi-)definite ``H``.

    Uses a Cholesky factor when ``H`` is positive definite. When it is not (for
    example ordinary least squares on collinear features), falls back to the
    Moore-Penrose pseudo-inverse from an eigendecomposition and warns once, which
    matches the minimum-norm solution scikit-learn's ``lstsq`` returns.

    Parameters
    ----------
    H : ndarray of shape (p, p)
        Symmetric matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import SymmetricSolver
    >>> SymmetricSolver(np.array([[2.0, 0.0], [0.0, 4.0]])).solve(np.array([2.0, 2.0]))
    array([1. , 0.5])
    """

    def __init__(self, H):
        self.H = H
        self.p = H.shape[0]
        self.pinv = None
        try:
            self.cho = scipy.linalg.cho_factor(H, lower=True, check_finite=True)
            # A Cholesky factor of a numerically singular matrix "succeeds" with a
            # tiny pivot; treat a condition number beyond 1e12 as singular.
            diag = np.abs(np.diag(self.cho[0]))
            if diag.size and diag.min() ** 2 < 1e-12 * diag.max() ** 2:
                raise np.linalg.LinAlgError("ill-conditioned")
        except (np.linalg.LinAlgError, ValueError):
            self.cho = None
            vals, vecs = np.linalg.eigh(H)
            cutoff = 1e-10 * max(np.abs(vals).max(initial=0.0), 1e-300)
            inv = np.where(vals > cutoff, 1.0 / np.where(vals > cutoff, vals, 1.0), 0.0)
            self.pinv = (vecs * inv) @ vecs.T
            warnings.warn(
                "The Hessian of the training objective is singular (collinear "
                "features or no regularisation); influences use its pseudo-inverse, "
                "i.e. the minimum-norm solution.",
                RuntimeWarning,
                stacklevel=3,
            )

    @property
    def singular(self):
        """Whether the pseudo-inverse fallback is in use."""
        return self.cho is None

    def solve(self, b, rtol=None, x0=None):
        """Return ``H^{-1} b`` (or ``H^+ b``) for ``b`` of shape (p,) or (p, k); exact (``rtol``, ``x0`` unused)."""
        if self.cho is not None:
            return scipy.linalg.cho_solve(self.cho, b)
        return self.pinv @ b


class CGSolver:
    """Solve ``H x = b`` for ``H = X~^T diag(h) X~ + diag(penalty)`` without forming ``H``.

    Preconditioned conjugate gradients on Hessian-vector products (two passes
    over ``X`` per iteration, every right-hand side of a block at once). The
    preconditioner is Jacobi's after centring: with an intercept, the change of
    variables ``b' = b + mu^T w`` (``mu`` the curvature-weighted column means)
    removes the coupling between the intercept and the features, whose
    near-collinearity with the constant column (non-negative features such as
    word counts) otherwise leaves one tiny eigenvalue; ``diag`` of the centred
    Hessian costs two passes. Memory is ``O(n k + p k)`` for ``k`` right-hand
    sides: for sparse or high-dimensional ``X``, where the ``p x p`` Hessian
    would not fit.

    Parameters
    ----------
    design : Design
    h : ndarray of shape (n_samples,)
        Non-negative per-row curvature.
    penalty : ndarray of shape (n_params,)
        Diagonal of the penalty (a full matrix is refused).
    rtol : float, default=1e-9
        Each column stops when its residual is below ``rtol`` times its
        right-hand side's norm (``solve`` can ask for less).
    max_iter : int, default=None
        Iterations allowed (``min(n_params, 2000)`` when ``None``); a column
        not converged by then is returned with a warning.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import CGSolver, Design
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    >>> cg = CGSolver(Design(X, False), np.ones(3), np.ones(2))
    >>> H = X.T @ X + np.eye(2)
    >>> np.allclose(H @ cg.solve(np.array([1.0, 2.0])), [1.0, 2.0])
    True
    """

    singular = False  # a penalised or consistent system: CG needs no pseudo-inverse

    def __init__(self, design, h, penalty, rtol=1e-9, max_iter=None):
        self.design = design
        self.h = np.asarray(h, dtype=float)
        self.penalty = np.asarray(penalty, dtype=float)
        if self.penalty.ndim != 1:
            # the centred Jacobi preconditioner below reads a diagonal penalty
            raise ValueError(
                "solver='cg' (conjugate gradients) takes a diagonal penalty; this model "
                "penalises a linear transform of its parameters (a full p x p penalty, "
                "e.g. a dask-ml model fitted with normalize=True and an intercept). Use "
                "solver='direct'."
            )
        self.rtol = rtol
        self.max_iter = min(design.n_params, 2000) if max_iter is None else max_iter
        diag = design.gram_diagonal(self.h) + self.penalty
        self.means = None
        total = float(self.h.sum())
        if design.fit_intercept and total > 0:
            d = design.n_features
            cross = design.rmatvec(self.h)[:d]  # H's intercept column
            self.means = cross / total
            # diag(T^T H T) for theta = T theta' (b = b' - mu^T w'): exact, also
            # with a penalised intercept (liblinear)
            centred = diag[:d] - cross**2 / total + cross**2 * self.penalty[d] / total**2
            # where centring cancels to rounding level the plain diagonal serves
            diag[:d] = np.where(centred > 1e-8 * diag[:d], centred, diag[:d])
        self.inverse_diag = np.where(diag > 0, 1.0 / np.where(diag > 0, diag, 1.0), 1.0)

    def precondition(self, R):
        """``T D^{-1} T^T R`` for ``R`` of shape (p, k): Jacobi on the centred Hessian."""
        if self.means is None:
            return self.inverse_diag[:, None] * R
        d = self.design.n_features
        Z = R.copy()
        Z[:d] -= self.means[:, None] * R[d]
        Z *= self.inverse_diag[:, None]
        Z[d] -= self.means @ Z[:d]
        return Z

    def product(self, V):
        """``H @ V`` for ``V`` of shape (p, k)."""
        return self.design.rmatvec(self.h[:, None] * self.design.matvec(V)) + self.penalty[:, None] * V

    def solve(self, b, rtol=None, x0=None):
        """Return ``H^{-1} b`` for ``b`` of shape (p,) or (p, k), to ``rtol`` (default: the solver's).

        ``x0`` (the shape of ``b``) starts the iterations from a nearby solution,
        such as the same system's solution at the previous point of a path.
        """
        rtol = self.rtol if rtol is None else rtol
        b = np.asarray(b, dtype=float)
        B = b[:, None] if b.ndim == 1 else b
        if x0 is None:
            x = np.zeros_like(B)
            r = B.copy()
        else:
            x = np.array(x0, dtype=float).reshape(B.shape)
            r = B - self.product(x)
        z = self.precondition(r)
        direction = z.copy()
        rz = np.einsum("ij,ij->j", r, z)
        target = rtol * np.linalg.norm(B, axis=0)
        active = np.linalg.norm(r, axis=0) > target
        for _ in range(self.max_iter):
            if not active.any():
                break
            cols = np.flatnonzero(active)
            Hp = self.product(direction[:, cols])
            curvature = np.einsum("ij,ij->j", direction[:, cols], Hp)
            alpha = np.where(curvature > 0, rz[cols] / np.where(curvature > 0, curvature, 1.0), 0.0)
            x[:, cols] += alpha * direction[:, cols]
            r[:, cols] -= alpha * Hp
            z_cols = self.precondition(r[:, cols])
            rz_new = np.einsum("ij,ij->j", r[:, cols], z_cols)
            beta = np.where(rz[cols] > 0, rz_new / np.where(rz[cols] > 0, rz[cols], 1.0), 0.0)
            direction[:, cols] = z_cols + beta * direction[:, cols]
            rz[cols] = rz_new
            still = (np.linalg.norm(r[:, cols], axis=0) > target[cols]) & (curvature > 0)
            active[cols] = still
        if active.any():
            worst = float(np.max(np.linalg.norm(r[:, active], axis=0)
                                 / np.maximum(np.linalg.norm(B[:, active], axis=0), 1e-300)))
            warnings.warn(
                f"Conjugate gradients stopped after {self.max_iter} iterations with a "
                f"relative residual of {worst:.2g} (asked: {rtol:g}); the Hessian "
                "is ill-conditioned. More regularisation (a smaller C) or "
                "solver='direct' gives exact solves.",
                RuntimeWarning,
                stacklevel=3,
            )
        return x[:, 0] if b.ndim == 1 else x


def psd_factor(M):
    """Return ``L`` with ``L @ L.T == M`` for a symmetric PSD ``M`` (may be singular).

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import psd_factor
    >>> M = np.array([[4.0, 2.0], [2.0, 1.0]])
    >>> L = psd_factor(M)
    >>> np.allclose(L @ L.T, M)
    True
    """
    M = (M + M.T) / 2.0
    # A Cholesky factor is ~10x cheaper than eigh; a singular M (one-hot columns
    # beside an intercept) gets a jitter of 1e-10 of its mean diagonal first.
    jitter = 1e-10 * max(np.trace(M) / max(len(M), 1), 1e-300)
    for shift in (0.0, jitter):
        try:
            L = np.linalg.cholesky(M + shift * np.eye(len(M)))
        except np.linalg.LinAlgError:
            continue
        diag = np.abs(np.diag(L))
        if diag.size and diag.min() ** 2 > 1e-13 * diag.max() ** 2:
            return L
    vals, vecs = np.linalg.eigh(M)
    keep = vals > 1e-12 * max(vals.max(initial=0.0), 1e-300)
    return vecs[:, keep] * np.sqrt(vals[keep])
