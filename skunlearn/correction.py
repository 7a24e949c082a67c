"""One correction, end to end: influence -> weights -> update, on a :class:`LinearModel`.

:func:`correct` is the functional core under :class:`skunlearn.SoftUnlearner`.
It takes a polished ``theta`` and returns new parameters and the weights that
produced them. The ``path`` update repeats the linearisation ``n_steps`` times:
step ``j`` asks for ``1 / (n_steps - j)`` of the target that remains, adds its
weights to the accumulated ones and takes one Newton step on the objective with
the accumulated weights, so the curvature of the sigmoid and the second-order
utility cost are re-measured along the way instead of being extrapolated from
``theta``. A step is halved (at most 8 times) while the realised target lands
farther from the goal than where it started; if no halving helps, the path
stops there with a warning. Weights below -1 are kept (not clipped) along the path: clipping
would make the realised move differ from the planned one at every step, and
the path then stalls short of the target.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np

from .influence import Influence
from .updates import newton_update, weighted_hessian_solver
from .weights import curvature_weights, hard_weights, soft_weights

WEIGHTINGS = ("soft", "curvature", "hard")
UPDATES = ("newton", "refit", "path")


@dataclass
class Correction:
    """What :func:`correct` returns.

    Attributes
    ----------
    theta : ndarray of shape (n_params,)
        Corrected parameters.
    eps : ndarray of shape (n_samples,)
        Total weight change of each training row (row ``i`` retrained with
        weight ``1 + eps_i``).
    influence : skunlearn.influence.Influence
        Influences at the original parameters.
    target_path : list of ndarray
        Target value on the evaluation data after each step (first: before).

    Examples
    --------
    See :func:`correct`.
    """

    theta: np.ndarray
    eps: np.ndarray
    influence: Influence
    target_path: list = field(default_factory=list)


def _controlled_step(model, theta, eps, delta, target, goal_value, F_current, halvings):
    """One Newton step toward the weights ``eps + delta``, halving ``delta`` if needed.

    The step is :func:`~skunlearn.updates.newton_update` (reweighted Hessian, or
    the unweighted one where the reweighted objective is not convex). It is
    accepted when the realised target lands closer to the goal than
    ``F_current``. Returns ``(theta, eps, solver, F)`` or ``None`` when no
    halving is accepted.
    """
    gap = np.linalg.norm(F_current - goal_value)
    for _ in range(halvings + 1):
        candidate = newton_update(model, theta, eps + delta)
        F_new = np.asarray(target.value(candidate), dtype=float)
        if np.all(np.isfinite(candidate)) and np.linalg.norm(F_new - goal_value) < gap:
            solver = weighted_hessian_solver(model, candidate, 1.0 + eps + delta)
            return candidate, eps + delta, solver, F_new
        delta = 0.5 * delta
    return None


def _step_weights(influence, goal, weighting, bounds, utility, options, eps=None, n_steps=1):
    """Weights for one linearisation; ``eps`` is what earlier path steps accumulated."""
    if weighting == "soft":
        return soft_weights(influence, goal, bounds=bounds)
    if weighting == "curvature":
        H_U = utility.hessian(influence.theta)
        return curvature_weights(influence, goal, H_U, reg=options.get("curvature_reg", 1.0))
    fraction = options.get("hard_fraction")
    available = None if eps is None else eps > -1  # a deleted row stays deleted
    return hard_weights(
        influence, goal, fraction=None if fraction is None else fraction / n_steps,
        available=available,
    )


def correct(
    model,
    theta,
    solver,
    target,
    utility,
    *,
    strength=1.0,
    weighting="soft",
    update="newton",
    n_steps=5,
    bounds=None,
    refit=None,
    metric=None,
    **options,
):
    """Move ``theta`` so that the target falls by ``strength`` times its value.

    Parameters
    ----------
    model : skunlearn.models.LinearModel
        Training objective.
    theta : ndarray of shape (n_params,)
        Stationary point of ``model`` (see :meth:`LinearModel.polish`).
    solver : skunlearn._linalg.SymmetricSolver
        Factor of the Hessian at ``theta``.
    target, utility : BoundObjective
        ``F`` and ``U`` on the evaluation data (``utility`` must have ``hessian``
        for ``weighting="curvature"``).
    strength : float in (0, 1]
        Fraction of the target to remove (to first order for one step).
    weighting : {"soft", "curvature", "hard"}
    update : {"newton", "refit", "path"}
    n_steps : int
        Steps of the ``path`` update.
    bounds : tuple or None
        Box on the total ``eps`` (soft weighting only).
    refit : callable or None
        ``refit(theta, eps) -> theta`` for ``update="refit"`` (bound by the caller
        to the estimator and its data).
    metric : ndarray of shape (n_samples,) or None
        Per-row cost of a weight change (the sample weights); see
        :class:`skunlearn.influence.Influence`.
    **options
        ``curvature_reg`` and ``hard_fraction``, passed to the weighting.

    Returns
    -------
    Correction

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from skunlearn.correction import correct
    >>> from skunlearn.models import LeastSquaresAdapter
    >>> from skunlearn.objectives import EvaluationLoss, get_objective
    >>> rng = np.random.default_rng(0)
    >>> A = rng.integers(0, 2, 200)
    >>> X = rng.normal(size=(200, 2)) + A[:, None]
    >>> y = X.sum(axis=1) + rng.normal(size=200)
    >>> model = LeastSquaresAdapter.build(Ridge().fit(X, y), X, y, None)
    >>> theta, info = model.polish(np.zeros(3))
    >>> target = get_objective("demographic_parity").bind(
    ...     model.design, model.y, (A, ["0", "1"]), model.loss)
    >>> utility = EvaluationLoss().bind(model.design, model.y, None, model.loss)
    >>> result = correct(model, theta, info["solver"], target, utility,
    ...                  weighting="curvature", update="path")
    >>> bool(abs(result.target_path[-1][0]) < 0.05 * abs(result.target_path[0][0]))
    True
    """
    F0 = np.asarray(target.value(theta), dtype=float)
    influence = Influence(model, theta, solver, target, utility, metric)
    if update != "path":
        eps = _step_weights(influence, -strength * F0, weighting, bounds, utility, options)
        if update == "newton":
            new_theta = newton_update(model, theta, eps)
        else:
            new_theta = refit(theta, eps)
        return Correction(new_theta, eps, influence, [F0, target.value(new_theta)])

    goal_value = (1.0 - strength) * F0
    eps = np.zeros(model.n_samples)
    path = [F0]
    current, step_influence = theta, influence
    for j in range(n_steps):
        goal = (goal_value - path[-1]) / (n_steps - j)
        step_bounds = None
        if bounds is not None:  # bounds hold for the total weights
            lo, hi = bounds
            step_bounds = (None if lo is None else lo - eps, None if hi is None else hi - eps)
        delta = _step_weights(
            step_influence, goal, weighting, step_bounds, utility, options, eps, n_steps
        )
        step = _controlled_step(model, current, eps, delta, target, goal_value, path[-1],
                                halvings=0 if weighting == "hard" else 8)
        if step is None:
            warnings.warn(
                f"The path stopped after {j} of {n_steps} steps: no step along the "
                "re-linearised weights brings the target closer. Lower `strength` "
                "or use weighting='curvature'.",
                RuntimeWarning,
                stacklevel=2,
            )
            break
        current, eps, solver, F_new = step
        path.append(F_new)
        if j + 1 < n_steps:
            step_influence = Influence(model, current, solver, target, utility, metric)
    return Correction(current, eps, influence, path)
