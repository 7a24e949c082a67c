"""Chunked linear algebra over a design matrix with an implicit intercept column.

Every quantity skunlearn needs from the training rows is either a map over rows
(scores ``X theta``, per-row influences) or a sum over rows (gradients,
``X^T diag(h) X``). :class:`Design` computes both over row chunks, so memory stays
at a few chunks of ``X`` whatever ``n`` is, and the intercept column of ones is
never materialised (no ``n x (d + 1)`` copy of ``X``).

The chunk size follows scikit-learn's ``working_memory`` setting
(:func:`sklearn.set_config`), like :func:`sklearn.metrics.pairwise_distances_chunked`.
"""

import warnings

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from sklearn import get_config
from scipy.linalg.blas import dsyrk as _syrk
from sklearn.utils import gen_batches


class Design:
    """The matrix ``X~ = [X, 1]`` (or ``X`` without intercept), used chunk by chunk.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Feature matrix. Never copied.
    fit_intercept : bool
        Whether the parameter vector ends with an intercept (a column of ones).
    intercept_value : float, default=1.0
        Value of the implicit intercept column (liblinear's ``intercept_scaling``
        is handled by the model's penalty, so this stays 1 for every model).

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

    def __init__(self, X, fit_intercept):
        self.X = X
        self.fit_intercept = bool(fit_intercept)
        self.n_samples, self.n_features = X.shape
        self.n_params = self.n_features + int(self.fit_intercept)
        self._recent = []  # (theta bytes, scores) of the last few parameter vectors

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_recent"] = []
        return state

    def chunks(self):
        """Yield row slices whose dense ``chunk x n_params`` block fits working memory."""
        # A chunk's dense copies (scaled block, block with intercept) stay within
        # 1/16 of scikit-learn's working_memory (64 MiB by default): large enough
        # for BLAS to run at full speed, small next to X itself.
        row_bytes = 8 * 2 * max(self.n_params, 1)
        n_rows = int(get_config()["working_memory"] * 2**20 / 16 // row_bytes)
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
        out = self.X @ theta[: self.n_features]
        out = np.asarray(out, dtype=float)
        if self.fit_intercept:
            out = out + theta[self.n_features]
        if key is not None:
            out.flags.writeable = False
            self._recent = [(key, out), *self._recent[:2]]
        return out

    def rmatvec(self, a):
        """``X~^T @ a`` for ``a`` of shape (n,) or (n, k)."""
        a = np.asarray(a, dtype=float)
        top = np.asarray(self.X.T @ a, dtype=float)
        if not self.fit_intercept:
            return top
        return np.concatenate([top, a.sum(axis=0, keepdims=True)], axis=0)

    def gram(self, h):
        """``X~^T diag(h) X~`` summed over row chunks; shape (p, p).

        For dense ``X`` and ``h >= 0`` each chunk is one symmetric rank-k update
        (BLAS ``syrk`` on ``sqrt(h) X~``), half the flops of a general product.
        """
        h = np.asarray(h, dtype=float)
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

    def solve(self, b):
        """Return ``H^{-1} b`` (or ``H^+ b``) for ``b`` of shape (p,) or (p, k)."""
        if self.cho is not None:
            return scipy.linalg.cho_solve(self.cho, b)
        return self.pinv @ b


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
