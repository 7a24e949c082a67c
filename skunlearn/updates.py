"""How weights become new parameters: one Newton step, an exact refit, or a path.

* ``newton`` -- one Newton step on the reweighted objective from ``theta``,
  ``theta' = theta - H_w^{-1} grad L_w(theta)`` with ``L_w`` the objective whose
  row ``i`` has weight ``(1 + eps_i)``. Since ``grad L(theta) = 0``, the gradient is
  ``sum_i eps_i g_i``. For squared loss (Ridge, LinearRegression) ``L_w`` is
  quadratic and this step *is* the exact weighted refit.
* ``refit`` -- refit a clone of the estimator with ``sample_weight * (1 + eps)``
  (negative weights clipped to 0), warm-started at ``theta``, then polished on
  the exact objective: the weighted optimum.
* ``path`` (in :mod:`skunlearn.correction`) -- several re-linearised Newton
  steps on the objective with the accumulated weights.
"""

import warnings

import numpy as np

from ._dask import as_vector


def clip_weights(eps, stacklevel=3):
    """Retraining multipliers ``max(1 + eps, 0)``, warning when any is clipped.

    Examples
    --------
    >>> import warnings
    >>> from skunlearn.updates import clip_weights
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     clip_weights([0.5, -1.5, 0.0])
    array([1.5, 0. , 1. ])
    """
    weights = 1.0 + np.asarray(eps, dtype=float)
    n_negative = int(np.sum(weights < 0))
    if n_negative:
        warnings.warn(
            f"{n_negative} rows got a negative retraining weight (eps < -1); they are "
            "clipped to 0. Use bounds=(-1, None) to keep weights non-negative.",
            RuntimeWarning,
            stacklevel=stacklevel,
        )
    return np.maximum(weights, 0.0)


def newton_update(model, theta, eps):
    """One Newton step on the objective reweighted by ``(1 + eps)``.

    Falls back to the unweighted Hessian (the pure influence-function step) when
    the reweighted one is not positive definite (strongly negative weights).

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.losses import SquaredLoss
    >>> from skunlearn.models import LinearModel
    >>> from skunlearn.updates import newton_update
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([0.0, 1.0, 4.0])
    >>> m = LinearModel(X, y, np.ones(3), SquaredLoss(), 1.0, np.zeros(2), True)
    >>> theta, _ = m.polish(np.zeros(2))
    >>> eps = np.array([0.0, 0.0, -1.0])          # delete the last row
    >>> np.round(newton_update(m, theta, eps), 8) + 0.0  # the line through the first two
    array([1., 0.])
    """
    weights = 1.0 + as_vector(eps)
    solver = weighted_hessian_solver(model, theta, weights)
    return theta - solver.solve(model.gradient(theta, weights))


def weighted_hessian_solver(model, theta, weights):
    """Factor of the reweighted Hessian, or of the unweighted one if that is not definite.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.losses import SquaredLoss
    >>> from skunlearn.models import LinearModel
    >>> from skunlearn.updates import weighted_hessian_solver
    >>> m = LinearModel(np.eye(2), np.ones(2), np.ones(2), SquaredLoss(), 1.0, np.zeros(2), False)
    >>> weighted_hessian_solver(m, np.zeros(2), np.array([1.0, 3.0])).solve(np.array([2.0, 6.0]))
    array([1., 1.])
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        solver = model.hessian_solver(theta, weights)
        if solver.singular:
            solver = model.hessian_solver(theta)
    return solver


def refit_update(adapter, estimator, X, y, sample_weight, model, theta, eps):
    """Warm-started refit of a clone with ``sample_weight * max(1 + eps, 0)``, then polished.

    Returns
    -------
    theta : ndarray of shape (n_params,)
        The exact optimum of the reweighted objective.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skunlearn.models import LogisticRegressionAdapter as adapter
    >>> from skunlearn.updates import refit_update
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 2)); y = (X[:, 0] + rng.normal(size=100) > 0).astype(int)
    >>> est = LogisticRegression().fit(X, y)
    >>> model = adapter.build(est, X, y, None)
    >>> eps = np.where(np.arange(100) < 10, -1.0, 0.0)   # delete the first 10 rows
    >>> theta = refit_update(adapter, est, X, y, None, model, adapter.parameters(est), eps)
    >>> direct = LogisticRegression(tol=1e-10).fit(X[10:], y[10:])
    >>> np.allclose(theta, adapter.parameters(direct), atol=1e-6)
    True
    """
    weights = clip_weights(eps, stacklevel=4)
    base = np.ones(len(weights)) if sample_weight is None else np.asarray(sample_weight, float)
    with warnings.catch_warnings():
        # The warm-started solver may stop at its own tolerance; polishing finishes.
        warnings.simplefilter("ignore")
        fitted = adapter.refit(estimator, X, y, base * weights, theta)
    theta, _ = model.polish(adapter.parameters(fitted), weights)
    return theta
