"""Dask arrays as training data: a distributed :class:`~skunlearn._linalg.Design`.

Every quantity skunlearn needs from the rows is a map over rows or a sum over
rows (see :mod:`skunlearn._linalg`), so the same algorithms run on a dask array
partitioned by rows. The rule that keeps the data distributed:

* results of length ``p`` or ``p x p`` (``X~^T a``, ``X~^T diag(h) X~``) are
  reductions, computed and returned as numpy arrays on the driver, where the
  small linear algebra (factors, solves) happens;
* results of length ``n`` (scores, influences, weights) stay dask arrays with
  the row chunks of ``X``, and the ones used repeatedly are persisted on the
  workers;
* a scalar test over rows (``any``, a weighted sum) goes through
  :func:`compute`, which evaluates everything asked at once in one call.

Nothing here imports dask at module level: :func:`is_dask` recognises a dask
collection by its protocol, and dask itself is imported only once one is seen.
"""

import numpy as np

from ._linalg import Design


def is_dask(x):
    """Whether ``x`` is a dask collection (checked without importing dask).

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._dask import is_dask
    >>> is_dask(np.zeros(3))
    False
    """
    return hasattr(type(x), "__dask_graph__")


def compute(*values):
    """``values`` as numpy, with one ``dask.compute`` for all the dask ones among them.

    Returns the value itself for one argument, a tuple otherwise; non-dask
    values pass through unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._dask import compute
    >>> compute(np.ones(2), 3.0)
    (array([1., 1.]), 3.0)
    """
    lazy = [i for i, v in enumerate(values) if is_dask(v)]
    out = list(values)
    if lazy:
        import dask

        for i, v in zip(lazy, dask.compute(*[values[i] for i in lazy])):
            out[i] = v
    return out[0] if len(out) == 1 else tuple(out)


def persist(*values):
    """Keep dask arrays' values on the workers, all in one call (numpy passes through).

    Returns the value itself for one argument, a tuple otherwise.
    """
    if any(is_dask(v) for v in values):
        import dask

        values = dask.persist(*values)
    return values[0] if len(values) == 1 else tuple(values)


def as_vector(a):
    """A float array: numpy via ``np.asarray``, a dask array cast lazily (never computed)."""
    if is_dask(a):
        return a if a.dtype == np.float64 else a.astype(np.float64)
    return np.asarray(a, dtype=float)


def stack_columns(columns):
    """``np.column_stack`` of 1-D or 2-D arrays, dask or numpy."""
    if any(is_dask(c) for c in columns):
        import dask.array as da

        return da.concatenate([c if c.ndim == 2 else c[:, None] for c in columns], axis=1)
    return np.column_stack(columns)


def _block_gram(Xc, hc, fit_intercept):
    return Design(Xc, fit_intercept, split=False).gram(hc)[None]


def _block_gram_diagonal(Xc, hc, fit_intercept):
    return Design(Xc, fit_intercept, split=False).gram_diagonal(hc)[None]


class DaskDesign(Design):
    """``X~ = [X, 1]`` for a dask array ``X`` partitioned by rows.

    The interface of :class:`~skunlearn._linalg.Design`: ``matvec`` returns a
    dask array (rows stay where they are), ``rmatvec``, ``gram`` and
    ``gram_diagonal`` are reductions returned as numpy arrays, each one
    ``compute`` (per-block partial sums, added in a tree on the workers).

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        Float64 features, one chunk across the columns, known row chunks.
    fit_intercept : bool

    Examples
    --------
    >>> import numpy as np
    >>> import pytest
    >>> da = pytest.importorskip("dask.array")
    >>> from skunlearn._dask import DaskDesign
    >>> D = DaskDesign(da.from_array(np.array([[1.0, 2.0], [3.0, 4.0]]), chunks=1), True)
    >>> scores = D.matvec(np.array([1.0, 0.0, 10.0]))  # n numbers: stay distributed
    >>> type(scores).__name__, scores.compute()
    ('Array', array([11., 13.]))
    >>> D.rmatvec(np.ones(2))  # p numbers: computed, on the driver
    array([4., 6., 2.])
    """

    def __init__(self, X, fit_intercept):
        if X.numblocks[1] != 1:
            X = X.rechunk({1: -1})  # each block holds whole rows
        super().__init__(X, fit_intercept)
        self.row_chunks = X.chunks[0]

    def rows(self, a):
        """``a`` (length ``n``) as a dask array with ``X``'s row chunks."""
        import dask.array as da

        if not is_dask(a):
            return da.from_array(np.asarray(a, dtype=float), chunks=(self.row_chunks,) + np.shape(a)[1:])
        if a.chunks[0] != self.row_chunks:
            a = a.rechunk({0: self.row_chunks})
        return a

    def zeros(self):
        import dask.array as da

        return da.zeros(self.n_samples, chunks=(self.row_chunks,))

    def chunks(self):
        """Row slices of the dask blocks."""
        stops = np.cumsum(self.row_chunks)
        return [slice(int(stop - size), int(stop)) for stop, size in zip(stops, self.row_chunks)]

    # ``block`` (a few rows, dense, on the driver) is inherited: np.asarray computes them.

    def _matvec(self, theta):
        out = self.X @ theta[: self.n_features]
        if self.fit_intercept:
            out = out + theta[self.n_features]
        # The scores of one theta feed several graphs (loss, gradient, Hessian,
        # targets): persisted (asynchronously on a cluster), they are computed once
        # and no two graphs hold the same lazy tasks.
        return persist(out) if theta.ndim == 1 else out

    def rmatvec_lazy(self, a):
        """``X~^T @ a`` as a (lazy) dask array, to be computed with other reductions."""
        import dask.array as da

        a = self.rows(a)
        top = self.X.T @ a
        if self.fit_intercept:
            top = da.concatenate([top, a.sum(axis=0, keepdims=True)], axis=0)
        return top

    def rmatvec(self, a):
        """``X~^T @ a`` for ``a`` of shape (n,) or (n, k): one compute, numpy result."""
        return np.asarray(compute(self.rmatvec_lazy(a)), dtype=float)

    def _reduce_blocks(self, block_function, h, shape, evaluate=True):
        import dask.array as da
        from dask import delayed

        h = self.rows(h)
        parts = [
            da.from_delayed(delayed(block_function)(Xc, hc, self.fit_intercept),
                            shape=(1, *shape), dtype=float)
            for Xc, hc in zip(self.X.to_delayed().ravel(), h.to_delayed().ravel())
        ]
        total = da.concatenate(parts, axis=0).sum(axis=0)
        return compute(total) if evaluate else total

    def gram(self, h):
        """``X~^T diag(h) X~``: per-block Grams summed in a tree; one compute."""
        return self._reduce_blocks(_block_gram, h, (self.n_params, self.n_params))

    def gram_lazy(self, h):
        """:meth:`gram` unevaluated, to be computed with other reductions."""
        return self._reduce_blocks(_block_gram, h, (self.n_params, self.n_params), False)

    def gram_diagonal(self, h):
        """Diagonal of ``X~^T diag(h) X~``; one compute."""
        return self._reduce_blocks(_block_gram_diagonal, h, (self.n_params,))

    def gram_factor(self, h, rank, seed=0, power_iter=2):
        raise NotImplementedError(
            "The randomized Hessian factor (solver='cg') is not available for dask input."
        )

    def masked_gram(self, h, mask):
        """``X~^T diag(h) X~`` over the rows where ``mask`` is true (a full pass)."""
        return self.gram(h * mask)

    def masked_gram_lazy(self, h, mask):
        return self.gram_lazy(h * mask)


def make_design(X, fit_intercept):
    """The :class:`Design` for ``X``: distributed for a dask array, chunked in memory otherwise."""
    return DaskDesign(X, fit_intercept) if is_dask(X) else Design(X, fit_intercept)


def _as_rows(a):
    """A dask DataFrame or Series as a dask array with known row lengths."""
    return a.to_dask_array(lengths=True) if hasattr(a, "to_dask_array") else a


def _vector_on_rows(a, n, rows, name):
    """A length-``n`` vector (numpy, pandas or dask) as a dask array with chunks ``rows``."""
    import dask.array as da

    a = _as_rows(a)
    a = a if is_dask(a) else np.asarray(a)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.shape != (n,):
        raise ValueError(f"{name} has shape {a.shape}; expected ({n},), one value per row of X.")
    return a.rechunk({0: rows}) if is_dask(a) else da.from_array(a, chunks=(rows,))


def _encode_groups(sensitive_features, n, rows):
    """``(codes, labels)`` like :func:`skunlearn._groups.encode_groups`, codes a dask array.

    Only the distinct values of each column come to the driver (two computes).
    """
    import dask.array as da

    from ._groups import combined_labels, encode_groups

    sf = _as_rows(sensitive_features)
    if not is_dask(sf):
        codes, labels = encode_groups(sensitive_features, n)
        return da.from_array(codes, chunks=(rows,)), labels
    sf = sf[:, None] if sf.ndim == 1 else sf
    if sf.ndim != 2 or sf.shape[0] != n:
        raise ValueError(
            f"sensitive_features has shape {sf.shape} but X has {n} rows; they must "
            "describe the same rows."
        )
    sf = sf.rechunk({0: rows, 1: -1})
    columns = [sf[:, j] for j in range(sf.shape[1])]
    uniques = compute(*[da.unique(c) for c in columns])
    uniques = uniques if isinstance(uniques, tuple) else (uniques,)
    if any(_isna(u).any() for u in uniques):
        raise ValueError(
            "sensitive_features contains missing values (NaN or None); assign those "
            "rows a group of their own or drop them."
        )
    combined = da.zeros(n, chunks=(rows,), dtype=np.int64)
    for column, values in zip(columns, uniques):
        # sorted distinct values: searchsorted is pandas' factorize(sort=True)
        combined = combined * len(values) + column.map_blocks(_index_in, values,
                                                              dtype=np.int64)
    present = compute(da.unique(combined))
    codes = combined.map_blocks(_index_in, present, dtype=np.intp)
    return codes, combined_labels(present, [[str(v) for v in u] for u in uniques])


def _index_in(block, values):
    """Position of each entry of ``block`` in the sorted ``values``."""
    return np.searchsorted(values, block)


def _isna(values):
    import pandas as pd

    return np.asarray(pd.isna(values))


def validate_rows(estimator, X, y, sensitive_features=None, sample_weight=None, *,
                  is_classifier, needs_groups, reset, check_target=True):
    """Check dask training (or evaluation) rows without loading them; persist them.

    ``X`` is a dask array, or a dask DataFrame (``to_dask_array(lengths=True)``);
    ``y``, ``sensitive_features`` and ``sample_weight`` are dask or in memory, and
    come back as dask arrays with ``X``'s row chunks, ``X`` as float64 with one
    chunk across the columns. Sets ``n_features_in_`` (and ``feature_names_in_``)
    when ``reset``. Returns ``X, y, groups, sample_weight``.
    """
    import dask
    import dask.array as da
    from sklearn.utils.multiclass import type_of_target
    from sklearn.utils.validation import _check_feature_names, _check_n_features

    import pandas as pd

    # an empty pandas frame carries a dask DataFrame's column names, and no rows
    _check_feature_names(estimator, pd.DataFrame(columns=X.columns) if hasattr(X, "columns")
                         else X, reset=reset)
    X = _as_rows(X)
    if not isinstance(X, da.Array) or X.ndim != 2:
        raise ValueError(
            "skunlearn takes a 2-D dask array or a dask DataFrame as dask input, got "
            f"{type(X).__name__} of shape {getattr(X, 'shape', None)}."
        )
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(
            "X has row chunks of unknown size; call X.compute_chunk_sizes() (or "
            "to_dask_array(lengths=True) on a DataFrame) first."
        )
    _check_n_features(estimator, X, reset=reset)
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"SoftUnlearner needs at least 2 samples to unlearn, got n_samples={n}.")
    X = X.astype(np.float64).rechunk({1: -1})
    rows = X.chunks[0]
    y = _vector_on_rows(y, n, rows, "y")
    if not is_classifier:
        y = y.astype(np.float64)
    if sample_weight is not None:
        sample_weight = _vector_on_rows(sample_weight, n, rows, "sample_weight").astype(np.float64)
    if is_classifier and check_target:
        labels = compute(da.unique(y))
        kind = type_of_target(labels, input_name="y")
        if kind != "binary" or len(labels) > 2:
            raise ValueError(
                "Only binary classification is supported. The type of the target "
                f"is {kind if len(labels) <= 2 else 'multiclass'} ({len(labels)} distinct labels)."
            )
        present = labels
        if sample_weight is not None:
            weighted = compute(*[np.any((y == label) & (sample_weight > 0)) for label in labels])
            present = labels[np.atleast_1d(np.asarray(weighted, dtype=bool))]
        if len(present) < 2:
            raise ValueError(
                "SoftUnlearner needs samples of at least 2 classes (with positive "
                f"sample weight); the data has one class: {present.tolist()}."
            )
    groups = None
    if needs_groups:
        if sensitive_features is None:
            from ._groups import encode_groups

            encode_groups(None, n)  # raises the usual message
        groups = _encode_groups(sensitive_features, n, rows)
    # every later pass reads these: keep them on the workers once
    X, y, sample_weight, codes = dask.persist(X, y, sample_weight,
                                              None if groups is None else groups[0])
    if groups is not None:
        groups = (codes, groups[1])
    return X, y, groups, sample_weight
