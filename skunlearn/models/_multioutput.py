"""The training objective of a linear model with several outputs per row.

Multinomial ``LogisticRegression`` (one score per class) and ``Ridge`` or
``LinearRegression`` with a 2-D ``y`` (one score per target) score each row
``K`` times with one parameter block per output:
``theta = [theta_1, ..., theta_K]``, ``theta_k = [w_k, b_k]`` (``K p`` numbers,
flattened block by block) and ``Z = X~ Theta^T``. The objective keeps the form
of :class:`~skunlearn.models.LinearModel`,

.. math::

    L(\\theta) = c \\sum_i s_i \\, l(z_i, y_i) + \\tfrac12 \\theta^T P \\theta,

with ``l`` a loss of the ``K`` scores of a row. By the chain rule the per-row
gradient is the outer product of the row's residual vector ``r_i = c s_i
dl/dz`` and ``x~_i`` (flattened), and the Hessian is

.. math::

    H = c \\sum_i s_i \\, \\frac{\\partial^2 l}{\\partial z^2}(z_i, y_i) \\otimes \\tilde x_i
        \\tilde x_i^T + P,

block ``(k, l)`` being ``c X~^T diag(s l''_{kl}) X~``: ``diag(p) - p p^T`` for
softmax, ``2 I`` for squared error (the blocks off the diagonal vanish and are
skipped). Influences, weights and updates see one flat parameter vector and
these products (:class:`~skunlearn._linalg.OutputRowGradients`).

**The softmax null direction.** Adding the same vector to every class's block
changes no probability, so the loss is constant along
``N = {1_K kron v}``; the l2 penalty (on the coefficients only) removes the
coefficient part, leaving ``v`` on the unpenalised coordinates: the
intercepts, and every coordinate when there is no penalty (``C = inf``). ``H``
is singular on ``N``. Every gradient skunlearn solves for is orthogonal to
``N`` (the per-row gradients since ``sum_k (p_k - [y = k]) = 0``, and the
targets' and the penalty's), so the systems are solved in the orthogonal
complement: with ``Pi_N`` the projector on ``N`` and ``c`` the mean diagonal
of ``H``, ``H + c Pi_N`` is positive definite and equals ``H`` on the
complement, where its inverse is ``H``'s pseudo-inverse exactly (``H`` and
``Pi_N`` commute, ``H Pi_N = 0``). The Newton steps of :meth:`polish` stay in
the complement, so the null component of the fitted ``theta`` (scikit-learn's
parametrisation sums to zero over the classes already) is never changed, and
nothing singular is inverted.

References
----------
Böhning, D. (1992). Multinomial logistic regression algorithm. Annals of the
Institute of Statistical Mathematics 44, 197-200 (the block Hessian).
"""

import numpy as np

from .._linalg import Design, OutputBlocks, OutputRowGradients, SymmetricSolver
from ._base import LinearModel


class MultiOutputModel(LinearModel):
    """:class:`~skunlearn.models.LinearModel` with ``K`` scores per row (one block each).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training features, in memory (not copied).
    y : ndarray of shape (n_samples,) or (n_samples, K)
        Class codes 0..K-1 (softmax) or the ``K`` targets (least squares).
    sample_weight : ndarray of shape (n_samples,)
    loss : SoftmaxLoss or MultiSquaredLoss
        Loss of the ``K`` scores of a row (``loss.n_outputs == K``).
    loss_scale : float
    penalty : ndarray of shape (K * n_params_per_output,)
        Diagonal of ``P``, block by block.
    fit_intercept : bool

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.losses import SoftmaxLoss
    >>> from skunlearn.models import MultiOutputModel
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(90, 2)); y = np.repeat([0.0, 1.0, 2.0], 30)
    >>> penalty = np.tile([1.0, 1.0, 0.0], 3)              # l2 on coef, free intercepts
    >>> m = MultiOutputModel(X, y, np.ones(90), SoftmaxLoss(3), 1.0, penalty, True)
    >>> theta, info = m.polish(np.zeros(9))
    >>> info["converged"], np.round(theta.reshape(3, 3).sum(axis=0), 12) + 0.0
    (True, array([0., 0., 0.]))
    """

    def __init__(self, X, y, sample_weight, loss, loss_scale, penalty, fit_intercept):
        super().__init__(X, y, sample_weight, loss, loss_scale, penalty, fit_intercept)
        self.design = OutputBlocks(self.design, loss.n_outputs)
        self.y = np.asarray(y, dtype=float)

    @property
    def n_outputs(self):
        return self.design.n_outputs

    def design_for(self, X):
        """The design of other rows ``X`` with this model's parameter blocks."""
        return OutputBlocks(Design(X, self.fit_intercept), self.n_outputs)

    def row_scales(self, theta, weights=None):
        """``r_i`` (shape (n, K)) with per-row gradient ``g_i = vec(r_i x~_i^T)``."""
        Z = self.scores(theta)
        return (self.loss_scale * self._sw(weights))[:, None] * self.loss.derivative(Z, self.y)

    def gradient_operator(self, r):
        """The per-row gradients of scales ``r`` (:meth:`row_scales`) as an operator ``G``."""
        return OutputRowGradients(self.design, r)

    def row_gradients(self, theta, rows, weights=None):
        """Explicit per-row gradients ``g_i`` (block by block) for ``rows``."""
        r = self.row_scales(theta, weights)[rows]
        block = self.design.rows.block(rows)
        return (r[:, :, None] * block[:, None, :]).reshape(len(block), -1)

    def curvature(self, theta, weights=None):
        """Per-row ``h_i = c s_i d2l/dz2`` of shape (n, K, K): ``H = sum_i h_i kron x~_i x~_i^T + P``."""
        Z = self.scores(theta)
        scale = self.loss_scale * self._sw(weights)
        return scale[:, None, None] * self.loss.second_derivative(Z, self.y)

    def null_projector(self):
        """``Pi_N``, the orthogonal projector on the null direction of the loss (``None`` if none).

        For a shift-invariant loss (softmax), ``N = {1_K kron v}`` with ``v`` on
        the unpenalised coordinates of a block (the intercept, or all of them
        without a penalty); see the module docstring.
        """
        if not getattr(self.loss, "shift_invariant", False):
            return None
        K, p = self.n_outputs, self.design.block_size
        free = self.penalty[:p] == 0  # the same in every block
        if not free.any():
            return None
        return np.kron(np.full((K, K), 1.0 / K), np.diag(free.astype(float)))

    hessian_free = False

    def hessian_solver(self, theta, weights=None):
        """A factor of ``H`` restricted to the complement of the null direction (module docstring)."""
        if self.hessian_free:
            raise ValueError(
                "solver='cg' is not available for multinomial or multi-target models; "
                "use solver='direct'."
            )
        H = self.hessian(theta, weights)
        projector = self.null_projector()
        if projector is not None:
            H += np.mean(np.diag(H)) * projector
        return SymmetricSolver(H)
