"""The training objective of a fitted linear model, in scikit-learn's own scaling.

A :class:`LinearModel` is what every estimator adapter produces: the loss, the
training rows and the penalty that the estimator really minimised,

.. math::

    L(\\theta) = c \\sum_i s_i \\, l(x_i^T w + b, y_i) + \\tfrac12 \\theta^T P \\theta,

with ``theta = [w, b]``, ``s_i`` the sample weights (times class weights), ``c``
the loss scale (``C`` of LogisticRegression, 1 for least squares) and ``P`` a
symmetric positive semi-definite penalty (``1/C``-free: the penalty of
``C * sum loss + 0.5 ||w||^2``), diagonal for every estimator but dask-ml's.
Any positive rescaling of ``L`` leaves the minimiser and every influence
unchanged, so ``L`` need not match scikit-learn's internal normalisation (which
divides by the sum of the sample weights), only its minimiser.

Per-row gradients are ``g_i = c s_i l'(z_i) x~_i`` and the Hessian is
``H = c X~^T diag(s l''(z)) X~ + P``. Reweighting row ``i`` by ``(1 + eps_i)``
multiplies ``s_i``; every method takes those multipliers as ``weights``.

References
----------
Koh, P. W. and Liang, P. (2017). Understanding black-box predictions via
influence functions. ICML.
"""

import warnings

import numpy as np

from .._dask import as_vector, compute, is_dask, make_design, persist
from .._linalg import CGSolver, RowGradients, SymmetricSolver, add_penalty, penalty_product


class LinearModel:
    """Loss, rows and penalty of a linear model's training objective.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training features (not copied).
    y : ndarray of shape (n_samples,)
        Training targets, encoded for ``loss`` (0/1 for the logistic loss).
    sample_weight : ndarray of shape (n_samples,)
        Weights ``s_i`` (sample weight times class weight).
    loss : LogisticLoss or SquaredLoss
        Per-row loss of the linear score.
    loss_scale : float
        The constant ``c`` in front of the summed loss.
    penalty : ndarray of shape (n_params,) or (n_params, n_params)
        Diagonal of ``P`` (zero where a parameter is not penalised), or ``P``
        itself, symmetric positive semi-definite, when the estimator penalised
        a linear transform of the parameters (dask-ml's normalised
        coordinates: :mod:`skunlearn.models.daskml`). ``solver="cg"`` needs
        the diagonal form.
    fit_intercept : bool
        Whether the last parameter is an intercept.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.losses import SquaredLoss
    >>> from skunlearn.models import LinearModel
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
    >>> m = LinearModel(X, y, np.ones(3), SquaredLoss(), 1.0, np.zeros(2), True)
    >>> theta, _ = m.polish(np.zeros(2))
    >>> np.round(theta, 6)
    array([2., 1.])
    """

    def __init__(self, X, y, sample_weight, loss, loss_scale, penalty, fit_intercept):
        self.design = make_design(X, fit_intercept)
        # length-n vectors stay dask arrays for dask X (see skunlearn._dask)
        self.y = as_vector(y)
        self.sample_weight = as_vector(sample_weight)
        self.loss = loss
        self.loss_scale = float(loss_scale)
        self.penalty = np.asarray(penalty, dtype=float)
        self.fit_intercept = bool(fit_intercept)

    @property
    def n_samples(self):
        return self.design.n_samples

    @property
    def n_params(self):
        return self.design.n_params

    # Scores per row (``MultiOutputModel``: one per class or target).
    n_outputs = 1

    def design_for(self, X):
        """The design of other rows ``X`` (evaluation rows) with this model's parameters."""
        return make_design(X, self.fit_intercept)

    def reweighted(self, weights):
        """The same objective with every row's sample weight multiplied by ``weights``.

        ``X`` is shared, not copied; rows of weight 0 drop out of the objective
        (used for the cross-fitting folds).
        """
        return self.with_weights(self.sample_weight * as_vector(weights))

    def with_weights(self, sample_weight, loss_scale=None):
        """The same rows, loss and penalty with the weights ``s_i`` (and ``c``, if given) replaced.

        ``X`` is shared, not copied. A fit on a subset of the rows is this
        objective with ``s_i = 0`` off the subset and the subset's own weights
        and scale on it (class weights and normalisations that count rows).
        """
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.sample_weight = persist(as_vector(sample_weight))
        if loss_scale is not None:
            new.loss_scale = float(loss_scale)
        new._gradient_cache = None
        return new

    def _sw(self, weights):
        return self.sample_weight if weights is None else self.sample_weight * weights

    def scores(self, theta):
        """Linear scores ``z = X~ theta`` of the training rows."""
        return self.design.matvec(theta)

    # (theta bytes, weights, X~^T r) from the last objective on dask rows
    _gradient_cache = None

    # (scores, l'(z)) of the last numpy scores whose derivative was computed: the
    # scores object itself is the key (the design returns one array per theta)
    _derivative_cache = None

    def __getstate__(self):
        # the caches are keyed on this process's arrays: a pickle (joblib workers, a
        # saved Forgetter) would only carry two dead n-vectors
        state = dict(self.__dict__)
        state.pop("_derivative_cache", None)
        state.pop("_gradient_cache", None)
        return state

    def _loss_derivative(self, z):
        """``l'(z)`` for the training rows' scores ``z``, computed once per ``z``."""
        cached = self._derivative_cache
        if cached is not None and cached[0] is z:
            return cached[1]
        derivative = self.loss.derivative(z, self.y)
        if not is_dask(z):
            self._derivative_cache = (z, derivative)
        return derivative

    def objective(self, theta, weights=None):
        """Training objective ``L(theta)`` with rows reweighted by ``weights``."""
        z = self.scores(theta)
        if hasattr(self.loss, "value_and_derivative") and not is_dask(z):
            values, derivative = self.loss.value_and_derivative(z, self.y)
            self._derivative_cache = (z, derivative)  # for the gradient if theta is accepted
        else:
            values = self.loss.value(z, self.y)
        data = np.dot(self._sw(weights), values)
        if is_dask(data):
            # On a cluster a round trip costs more than one more sum in the same
            # pass: the gradient comes along, for the line search that accepts theta.
            data, grad = compute(data, self.design.rmatvec_lazy(self.row_scales(theta, weights)))
            self._gradient_cache = (np.asarray(theta, dtype=float).tobytes(), weights, grad)
        theta = np.asarray(theta, dtype=float)
        return float(self.loss_scale * data) + 0.5 * float(
            theta @ penalty_product(self.penalty, theta))

    def row_scales(self, theta, weights=None):
        """``r_i`` with per-row gradient ``g_i = r_i x~_i`` (``r = c s l'(z)``)."""
        z = self.scores(theta)
        return self.loss_scale * self._sw(weights) * self._loss_derivative(z)

    def gradient_operator(self, r):
        """The per-row gradients of scales ``r`` (:meth:`row_scales`) as the operator ``G = diag(r) X~``.

        Row ``i`` of ``G`` is ``g_i``; influences and weights use its products
        (:class:`~skunlearn._linalg.RowGradients`).
        """
        return RowGradients(self.design, r)

    def row_gradients(self, theta, rows, weights=None):
        """Explicit per-row gradients ``g_i`` for ``rows`` (a slice or index array)."""
        r = self.row_scales(theta, weights)[rows]
        return r[:, None] * self.design.block(rows)

    def gradient(self, theta, weights=None):
        """``grad L(theta) = sum_i g_i + P theta``."""
        cached = self._gradient_cache
        if (cached is not None and cached[1] is weights
                and cached[0] == np.asarray(theta, dtype=float).tobytes()):
            return cached[2] + penalty_product(self.penalty, theta)
        return (self.design.rmatvec(self.row_scales(theta, weights))
                + penalty_product(self.penalty, theta))

    # Whether Hessians are used through products only (conjugate gradients), for
    # sparse or high-dimensional X; set by the estimator from its ``solver``.
    hessian_free = False

    def curvature(self, theta, weights=None):
        """Per-row ``h_i`` with ``H = X~^T diag(h) X~ + P`` (``h = c s l''(z)``)."""
        z = self.scores(theta)
        return self.loss_scale * self._sw(weights) * self.loss.second_derivative(z, self.y)

    def hessian(self, theta, weights=None):
        """``H = c X~^T diag(s l''(z)) X~ + P``, summed over row chunks."""
        return add_penalty(self.design.gram(self.curvature(theta, weights)), self.penalty)

    def hessian_solver(self, theta, weights=None):
        """A solver of ``H(theta) x = b``: a factor of ``H``, or CG on its products if ``hessian_free``."""
        if self.hessian_free:
            return CGSolver(self.design, self.curvature(theta, weights), self.penalty)
        return SymmetricSolver(self.hessian(theta, weights))

    def polish(self, theta, weights=None, max_iter=50, solver=None):
        """Run Newton steps with backtracking on ``L`` until it is stationary.

        When Newton's method stalls from ``theta`` (a stochastic solver that
        stopped at huge scores, where the log-loss is flat and its Hessian
        vanishes), it is restarted from ``theta = 0`` and the better end point
        is kept; ``grad_norm_before`` still describes the given ``theta``.

        scikit-learn stops its solvers at ``tol=1e-4``; influence functions assume
        an exact optimum, so the fitted ``theta`` is polished on the very objective
        being differentiated. For squared loss one step is exact.

        A factor is reused for further (chord) steps while they shrink at least
        fourfold each: a chord step costs a gradient, a new factor a Gram pass
        (``p`` times more). ``solver``, the factor of a nearby Hessian (the
        previous point of a path), starts the chord steps. A factor is rebuilt
        when the steps stop shrinking fast enough, and once more at the optimum
        unless the last one was built within ``1e-6`` (relative) of it, since
        the returned factor serves the influences there.

        A Hessian-free model (``hessian_free``) solves each step by conjugate
        gradients to 1% of its gradient: inexact Newton (Dembo, Eisenstat &
        Steihaug 1982), which contracts the error about a hundredfold per step,
        and stops at a step of 1e-8 relative to the parameters: applied, it
        leaves an error near 1e-10. Tighter solves near the optimum (forcing
        terms that shrink with the gradient) measured slower: each decade of
        residual costs as many CG iterations as a Newton step saves. There every
        step gets a new (free) operator: a solve costs the same with an old
        operator as with a new one.

        Returns
        -------
        theta : ndarray of shape (n_params,)
            The polished parameters.
        info : dict
            ``n_iter`` (steps taken), ``n_factors`` (Hessians built),
            ``grad_norm_before``, ``grad_norm_after``, ``converged``, and
            ``solver``: a solver of the Hessian at (or within ``1e-6``, relative,
            of) the returned ``theta``.
        """
        result, info = self._newton(theta, weights, max_iter, solver)
        if not info["converged"] and np.any(result != 0):
            restart, again = self._newton(np.zeros_like(result), weights, max_iter, None)
            if again["converged"] or (
                    self.objective(restart, weights) < self.objective(result, weights)):
                again["n_iter"] += info["n_iter"]
                again["n_factors"] += info["n_factors"]
                again["grad_norm_before"] = info["grad_norm_before"]
                result, info = restart, again
        return result, info

    def _newton(self, theta, weights, max_iter, solver):
        """:meth:`polish` from one starting point."""
        theta = np.array(theta, dtype=float)
        # the objective first: on dask rows it brings the gradient in the same graph
        value = self.objective(theta, weights)
        grad = self.gradient(theta, weights)
        info = {"grad_norm_before": float(np.linalg.norm(grad)), "converged": False,
                "n_factors": 0}
        step_tol = 1e-8 if self.hessian_free else 1e-11
        factor = None if self.hessian_free else solver
        nearby = factor is not None
        fresh = False  # whether ``factor`` was built at the current theta
        moved = np.inf if factor is not None else 0.0  # since the factor was built
        previous = np.inf  # size of the last step
        n_iter = 0
        while n_iter < max_iter:
            if factor is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    factor = self.hessian_solver(theta, weights)
                info["n_factors"] += 1
                fresh, moved = True, 0.0
            step = factor.solve(grad, rtol=1e-2)
            size = float(np.max(np.abs(step), initial=0.0))
            decrement = float(grad @ step)
            if not fresh and not (np.isfinite(decrement) and size <= _CHORD_CONTRACTION * previous):
                factor = None  # the chord steps stopped shrinking fast enough
                continue
            near = 0.25 * _STALE * (1.0 + np.max(np.abs(theta)))
            if nearby and not fresh and size <= near < moved:
                # What is left to move is within the distance at which the returned
                # factor may be built: build it now, and its Newton steps finish in
                # one or two iterations instead of the chord's one decade each. Only
                # on a path (started from a nearby point's factor), whose influences
                # steer the next step only: the first point's, which are reported,
                # get a factor at the optimum itself.
                factor = None
                continue
            if not np.isfinite(decrement):
                break
            if _negligible(step, theta, step_tol):
                theta = theta - step  # negligible, but exact for a quadratic
                moved += size
                grad = self.gradient(theta, weights)
                info["converged"] = True
                break
            stepped = self._backtrack(theta, step, value, decrement, weights)
            if stepped is None:
                if not fresh:
                    factor = None
                    continue
                # no decrease left to find: converged if the decrement is at rounding level
                info["converged"] = decrement <= 1e-12 * max(1.0, abs(value))
                break
            n_iter += 1
            theta, value, t = stepped
            grad = self.gradient(theta, weights)
            previous = t * size
            moved += previous
            fresh = False
            if self.hessian_free:
                factor = None
        # the influences need the Hessian here (a Hessian-free model drops its
        # operator after each step, so one is built even if Newton did not converge)
        stale = info["converged"] and moved > _STALE * (1.0 + np.max(np.abs(theta)))
        if factor is None or stale:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                factor = self.hessian_solver(theta, weights)
            info["n_factors"] += 1
        info["n_iter"] = n_iter
        info["grad_norm_after"] = float(np.linalg.norm(grad))
        info["solver"] = factor
        return theta, info

    def _backtrack(self, theta, step, value, decrement, weights):
        """Armijo backtracking along ``-step``: ``(theta, value, t)`` or ``None``.

        Near the optimum differences of ``L`` fall to rounding level, so a few
        ulps of ``|L|`` are allowed.
        """
        slack = 1e-13 * max(1.0, abs(value))
        t = 1.0
        while t >= 1e-10:
            candidate = theta - t * step
            new_value = self.objective(candidate, weights)
            if new_value <= value - 1e-4 * t * decrement + slack:
                return candidate, new_value, t
            t *= 0.5
        return None


# A chord step (an old factor) is kept while it shrinks the step at least this much.
_CHORD_CONTRACTION = 0.25
# A factor built within this distance (relative) of the optimum serves its influences.
_STALE = 1e-6


def _negligible(step, theta, tol):
    """A Newton step below ``tol`` relative to the parameters: converged."""
    return np.max(np.abs(step), initial=0.0) <= tol * (1.0 + np.max(np.abs(theta)))
