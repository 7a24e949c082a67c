"""Influence of every training row on the target and on utility.

Up-weighting row ``i`` by ``eps_i`` moves the optimum, to first order, by
``dtheta = -H^{-1} g_i eps_i`` (Koh & Liang 2017), so a target ``F`` moves by
``f_i eps_i`` with ``f_i = -grad F^T H^{-1} g_i`` and the utility ``U`` by
``u_i eps_i`` with ``u_i = -grad U^T H^{-1} g_i``. With ``g_i = r_i x~_i``:

.. math::

    V = H^{-1} [\\nabla F^T, \\nabla U] \\quad (k + 1 \\text{ solves of size } p), \\qquad
    [f_i, u_i] = -r_i \\, x~_i^T V,

which costs one ``X @ V`` (``O(n p k)``) after the ``O(n p^2)`` Hessian and its
``O(p^3)`` factorisation. Nothing ``n x n`` and no ``n x p`` product beyond a
chunk is formed.

References
----------
Koh, P. W. and Liang, P. (2017). Understanding black-box predictions via
influence functions. ICML.
Li, P. and Liu, H. (2022). Achieving fairness at no utility cost via data
reweighing with influence. ICML.
"""

import numpy as np
import pandas as pd

from ._dask import compute, persist


class Influence:
    """Per-row influences ``f`` (n x k) and ``u`` (n,) at ``theta``, and the map ``eps -> dtheta``.

    Parameters
    ----------
    model : skunlearn.models.LinearModel
        Training objective.
    theta : ndarray of shape (n_params,)
        Parameters at which to linearise (a stationary point of the objective).
    solver : skunlearn._linalg.SymmetricSolver
        Factor of the Hessian at ``theta`` (of the possibly reweighted objective).
    target : BoundObjective
        ``F`` on the evaluation data.
    utility : BoundObjective
        ``U`` on the evaluation data.
    metric : ndarray of shape (n_samples,) or None
        Per-row cost of a weight change in the weight problems (the user's
        sample weights, so that a row of weight 2 costs what two copies cost);
        ``None`` for all ones.
    rtol : float or None
        Relative residual of the solves when ``solver`` is iterative (its own
        default when ``None``); a factor solves exactly.
    start : ndarray of shape (n_params, k + 1) or None
        Where an iterative solver starts: the :attr:`directions` of a nearby
        point (a path's previous one). Ignored by a factor.

    Attributes
    ----------
    target_value : ndarray of shape (k,)
        ``F(theta)``.
    f : ndarray of shape (n_samples, k)
        Influence of up-weighting each row on each target row.
    u : ndarray of shape (n_samples,)
        Influence on utility (evaluation loss).
    matrix : ndarray of shape (n_samples, k + 1)
        ``[f, u]``; ``f``, ``u`` and ``matrix`` are dask arrays when ``X`` is one.
    row_scales : ndarray of shape (n_samples,) or (n_samples, K)
        ``r_i`` with per-row gradient ``g_i = r_i x~_i`` (weights not applied);
        for a model with ``K`` outputs the residual vector of the row, and
        ``g_i = vec(r_i x~_i^T)`` (see :meth:`LinearModel.gradient_operator`).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from skunlearn._linalg import SymmetricSolver
    >>> from skunlearn.influence import Influence
    >>> from skunlearn.models import LeastSquaresAdapter
    >>> from skunlearn.objectives import EvaluationLoss, get_objective
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 2)); y = X @ [1.0, 2.0] + rng.normal(size=50)
    >>> A = (X[:, 0] > 0).astype(int)
    >>> model = LeastSquaresAdapter.build(Ridge().fit(X, y), X, y, None)
    >>> theta, info = model.polish(np.zeros(3))
    >>> target = get_objective("demographic_parity").bind(
    ...     model.design, y, (A, ["0", "1"]), model.loss)
    >>> utility = EvaluationLoss().bind(model.design, y, None, model.loss)
    >>> infl = Influence(model, theta, info["solver"], target, utility)
    >>> infl.f.shape, infl.u.shape
    ((50, 1), (50,))
    """

    def __init__(self, model, theta, solver, target, utility, metric=None, rtol=None,
                 start=None):
        self.model = model
        self.metric = metric
        self.theta = theta
        self.solver = solver
        self.target_names = list(target.row_names)
        # both objectives' values and Jacobians: one pass over dask rows
        value, target_jac, utility_value, utility_jac = compute(
            *target.value_and_jacobian(theta, evaluate=False),
            *utility.value_and_jacobian(theta, evaluate=False))
        self.target_value = np.asarray(value, dtype=float)
        self.utility_value = float(utility_value[0])
        jac = np.vstack([target_jac, utility_jac])
        self.directions = solver.solve(jac.T, rtol=rtol, x0=start)  # V, (p, k + 1)
        # kept on the workers for dask X: every weight problem reads them repeatedly
        # (one after the other: a graph sent to a cluster holds no other's lazy part)
        self.row_scales = persist(model.row_scales(theta))
        self.matrix = persist(-model.gradient_operator(self.row_scales).matvec(self.directions))
        self.f = self.matrix[:, :-1]
        self.u = self.matrix[:, -1]

    def shift(self, eps):
        """First-order parameter change ``-H^{-1} sum_i eps_i g_i`` for weights ``eps``."""
        return -self.solver.solve(self.model.gradient_operator(self.row_scales).rmatvec(eps))

    def to_frame(self, index=None):
        """A DataFrame with one row per training row and one column per target row plus utility."""
        data = compute(self.matrix)
        return pd.DataFrame(data, index=index, columns=[*self.target_names, "utility"])
