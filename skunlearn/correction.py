"""One correction, end to end: influence -> weights -> update, on a :class:`LinearModel`.

:func:`correct` is the functional core under :class:`skunlearn.SoftUnlearner`.
It takes a polished ``theta`` and returns new parameters and the weights that
produced them. The ``path`` update repeats the linearisation ``n_steps`` times:
step ``j`` asks for ``1 / (n_steps - j)`` of the target that remains, adds its
weights to the accumulated ones and takes one Newton step on the objective with
the accumulated weights, so the curvature of the sigmoid and the second-order
utility cost are re-measured along the way instead of being extrapolated from
``theta``. A step whose realised target lands farther from the goal than where
it started is halved (at most 8 times). Weights below -1 are kept (not clipped) along the path: clipping
would make the realised move differ from the planned one at every step, and
the path then stalls short of the target.
"""

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
    """

    theta: np.ndarray
    eps: np.ndarray
    influence: Influence
    target_path: list = field(default_factory=list)


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
    lo, hi = (None, None) if bounds is None else bounds
    for j in range(n_steps):
        goal = (goal_value - path[-1]) / (n_steps - j)
        step_bounds = None
        if bounds is not None:
            step_bounds = (
                None if lo is None else lo - eps,
                None if hi is None else hi - eps,
            )
        delta = _step_weights(
            step_influence, goal, weighting, step_bounds, utility, options, eps, n_steps
        )
        # Step control: when the linearisation fails (the realised target lands
        # farther from the goal than where the step started), halve the step.
        gap = np.linalg.norm(path[-1] - goal_value)
        for _ in range(8 if weighting != "hard" else 1):  # deletions are not halved
            candidate = newton_update(model, current, eps + delta)
            F_new = np.asarray(target.value(candidate), dtype=float)
            if np.linalg.norm(F_new - goal_value) < gap:
                break
            delta = 0.5 * delta
        eps = eps + delta
        current = candidate
        path.append(F_new)
        if j + 1 < n_steps:
            solver = weighted_hessian_solver(model, current, 1.0 + eps)
            step_influence = Influence(model, current, solver, target, utility, metric)
    return Correction(current, eps, influence, path)
