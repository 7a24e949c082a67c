"""One correction, end to end: influence -> weights -> update, on a :class:`LinearModel`.

:func:`correct` is the functional core under :class:`skunlearn.SoftUnlearner`.
It takes a polished ``theta`` and returns the corrected parameters at one or
more *path points*, each with the weights that produced it.

The ``path`` update is a continuation (:class:`Continuation`). Unlearning with
strength ``t`` asks for the reweighted optimum whose target is
``F(t) = (1 - t) F_0``; as ``t`` grows from 0 these optima trace a curve
``theta(t)``. Each step along it

1. computes the influences at the current point, an exact optimum of the
   objective with the weights accumulated so far (:mod:`skunlearn.influence`);
2. chooses weights that move the target a fraction ``s`` of the way to the
   next requested value, keeping every retraining weight ``1 + eps_i`` non-negative
   (:mod:`skunlearn.weights`);
3. moves the parameters to the optimum of the reweighted objective by Newton's
   method to convergence (:meth:`LinearModel.polish`; ``p`` is small, so this
   costs a few Hessian passes), so the next linearisation starts from a true
   optimum rather than from an extrapolation;
4. accepts the step if the realised target is closer to the requested one,
   doubling ``s`` (up to 1) when the first-order prediction was accurate and
   halving it otherwise; a rejected step is retried with ``s / 4``.

A requested value counts as reached within ``tol * ||F_0||``. When no step
makes progress (``s`` below ``1e-3``), or the weights cannot move the target
any more within their bounds, the path stops at the closest point reached and
records why in :attr:`Correction.stop_reason`.

``newton`` and ``refit`` take one step from the original parameters (the
paper's protocol): weights for the whole request, then one Newton step on the
reweighted objective or an exact warm-started refit.
"""

import math
import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from ._dask import compute, is_dask, persist
from .influence import Influence
from .updates import newton_update
from .weights import (
    UnreachableTarget,
    curvature_weights,
    hard_weights,
    map_utility_factor,
    soft_weights,
)

WEIGHTINGS = ("soft", "curvature", "hard")
UPDATES = ("newton", "refit", "path")

_MIN_STEP = 1e-3  # smallest fraction of the remaining request tried before stopping


@dataclass
class PathPoint:
    """One model on the unlearning path.

    Attributes
    ----------
    strength : float
        Requested strength ``t``: the target asked for is ``(1 - t) F_0``.
    theta : ndarray of shape (n_params,)
        Parameters (the optimum of the objective reweighted by ``1 + eps``).
    eps : ndarray of shape (n_samples,)
        Weight change of each training row. Kept in single precision (relative
        rounding below 6e-8) once a later point exists: a path holds one such
        vector per point, and the parameters are kept exactly.
    target : ndarray of shape (k,)
        Target ``F(theta)`` on the evaluation data.
    reached : bool
        Whether ``target`` is within the tolerance of the requested value.
    moved : bool
        Whether the path moved to get here (``False``: the previous point again,
        because the path had stopped or no step toward this request succeeded).
    """

    strength: float
    theta: np.ndarray
    eps: np.ndarray
    target: np.ndarray
    reached: bool = True
    moved: bool = True


@dataclass
class Correction:
    """What :func:`correct` returns.

    Attributes
    ----------
    points : list of PathPoint
        The original model (strength 0) and every point computed after it.
    influence : skunlearn.influence.Influence
        Influences at the original parameters.
    stop_reason : str or None
        Why the path stopped before the last requested strength, or why its last
        point was not reached (``None`` when it was).
    warnings : list of warnings.WarningMessage
        Distinct warnings raised while choosing weights, for the caller to show once.

    Examples
    --------
    See :func:`correct`.
    """

    points: list
    influence: Influence
    stop_reason: str = None
    warnings: list = field(default_factory=list)


def protected_cells(codes, y=None, min_fraction=0.1):
    """Cells (group, or group x label) and how many rows each must keep under hard deletion.

    Each cell keeps at least ``max(1, ceil(min_fraction * size))`` rows, so hard
    deletion never removes a whole group (or all of a group's positives).

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.correction import protected_cells
    >>> cells, floor = protected_cells(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]))
    >>> cells.tolist(), floor.tolist()
    ([0, 1, 3, 3], [1, 1, 0, 1])
    """
    codes = np.asarray(codes, dtype=np.int64)
    if y is not None:
        codes = label_cells(codes, y)
    sizes = np.bincount(codes)
    floor = np.where(sizes > 0, np.maximum(1, np.ceil(min_fraction * sizes)), 0)
    return codes, floor.astype(np.int64)


def label_cells(codes, y):
    """Cell of each row: its group code crossed with its class (codes 0..K-1, 0/1 when binary).

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.correction import label_cells
    >>> label_cells(np.array([0, 1, 1]), np.array([1.0, 0.0, 1.0])).tolist()
    [1, 2, 3]
    >>> label_cells(np.array([0, 1, 1]), np.array([2.0, 0.0, 1.0])).tolist()
    [2, 3, 4]
    """
    codes, y = np.asarray(codes, dtype=np.int64), np.asarray(y)
    n_labels = max(int(y.max()) + 1, 2)
    return n_labels * codes + (y > 0.5 if n_labels == 2 else y.astype(np.int64))


class _WarningLog:
    """Collect warnings raised while choosing weights; keep one per kind of message."""

    def __init__(self):
        self.kept, self._seen = [], set()

    def add(self, records):
        for record in records:
            key = (record.category, str(record.message)[:40])
            if key not in self._seen:
                self._seen.add(key)
                self.kept.append(record)


class Schedule:
    """What a path asks of each target at strength ``t``, and how far a point is from it.

    The target rows are split into blocks (one per objective of
    :class:`~skunlearn.objectives.Objectives`; one block of all rows by default).
    Block ``b`` with rate ``r_b`` is asked for ``(1 - t r_b) F_{0,b}``; a *held*
    block is asked for ``(1 - r_b) F_{0,b}`` at every ``t > 0`` (a target steered
    by its strength while others follow the path). Distances are measured per
    block relative to ``||F_{0,b}||``, so a target of small scale is reached as
    precisely as a large one.

    Parameters
    ----------
    blocks : list of slice or None, default=None
        Rows of each block; ``None``: all rows are one block.
    rates : sequence of float or None, default=None
        Fraction of each block's ``F_0`` removed per unit of ``t`` (all 1 by default).
    held : sequence of bool or None, default=None
        Blocks asked for their full request from the first point on.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.correction import Schedule
    >>> F0 = np.array([0.2, -0.1, 0.04])
    >>> both = Schedule([slice(0, 2), slice(2, 3)], rates=[1.0, 0.5])
    >>> both.goal(F0, 0.5)
    array([ 0.1 , -0.05,  0.03])
    >>> held = Schedule([slice(0, 2), slice(2, 3)], rates=[1.0, 0.5], held=[False, True])
    >>> held.goal(F0, 0.5), held.fractions(0.5)
    (array([ 0.1 , -0.05,  0.02]), [0.5, 0.5])
    >>> both.distances(F0, F0 - both.goal(F0, 1.0))   # |request| / |F_0| per block
    array([1. , 0.5])
    """

    def __init__(self, blocks=None, rates=None, held=None):
        self.blocks = [slice(None)] if blocks is None else list(blocks)
        m = len(self.blocks)
        self.rates = np.ones(m) if rates is None else np.asarray(rates, dtype=float)
        self.held = np.zeros(m, bool) if held is None else np.asarray(held, dtype=bool)
        if not len(self.rates) == len(self.held) == m:
            raise ValueError(
                f"Schedule needs one rate and one held flag per block ({m}), got "
                f"{len(self.rates)} and {len(self.held)}."
            )

    def fractions(self, t):
        """Fraction of each block's ``F_0`` requested removed at strength ``t``."""
        return [float(r if h and t > 0 else t * r) for r, h in zip(self.rates, self.held)]

    def goal(self, F0, t):
        """The target requested at strength ``t``."""
        F0 = np.asarray(F0, dtype=float)
        fraction = np.empty_like(F0)
        for rows, share in zip(self.blocks, self.fractions(t)):
            fraction[rows] = share
        return (1.0 - fraction) * F0 + 0.0  # (+ 0.0: no negative zeros in messages)

    def distances(self, F0, gap):
        """``||gap_b|| / ||F_{0,b}||`` for each block (``||F_0||`` for a block whose
        ``F_{0,b}`` is zero)."""
        F0, gap = np.asarray(F0, dtype=float), np.asarray(gap, dtype=float)
        overall = max(float(np.linalg.norm(F0)), 1e-300)
        out = []
        for rows in self.blocks:
            scale = float(np.linalg.norm(F0[rows]))
            out.append(float(np.linalg.norm(gap[rows])) / (scale if scale > 0 else overall))
        return np.array(out)

    def row_scales(self, F0):
        """Per row, the norm its block's distances are relative to."""
        F0 = np.asarray(F0, dtype=float)
        scales = np.empty_like(F0)
        overall = max(float(np.linalg.norm(F0)), 1e-300)
        for rows in self.blocks:
            scale = float(np.linalg.norm(F0[rows]))
            scales[rows] = scale if scale > 0 else overall
        return scales


class Continuation:
    """Follow the reweighted optima ``theta(t)`` whose target is ``(1 - t) F_0``.

    Parameters
    ----------
    model : skunlearn.models.LinearModel
        Training objective.
    theta : ndarray of shape (n_params,)
        Its optimum (see :meth:`LinearModel.polish`).
    solver : skunlearn._linalg.SymmetricSolver
        Factor of the Hessian at ``theta``.
    target, utility : BoundObjective
        ``F`` and ``U`` on the evaluation data.
    weighting : {"curvature", "soft", "hard"}
    bounds : tuple or None
        Box on the total ``eps`` (``weighting="soft"``); on the path it is
        intersected with ``eps >= -1`` (non-negative retraining weights).
    metric : ndarray of shape (n_samples,) or None
        Per-row cost of a weight change (the sample weights).
    tol : float
        A requested target counts as reached within ``tol * ||F_0||`` (for each
        block of ``schedule``, relative to its own ``F_0``).
    curvature_reg : float
        See :func:`skunlearn.weights.curvature_weights`.
    keep : tuple or None
        ``(cells, floor)`` from :func:`protected_cells` for hard deletion.
    max_substeps : int
        Steps allowed to reach one requested strength.
    schedule : Schedule or None
        Per-objective requests (several objectives); ``None`` asks ``(1 - t) F_0``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skunlearn.correction import Continuation
    >>> from skunlearn.models import LogisticRegressionAdapter as adapter
    >>> from skunlearn.objectives import EvaluationLoss, get_objective
    >>> rng = np.random.default_rng(0)
    >>> A = rng.integers(0, 2, 400)
    >>> X = rng.normal(size=(400, 3)) + 0.8 * A[:, None]
    >>> y = (X.sum(axis=1) + rng.normal(size=400) > 1).astype(int)
    >>> model = adapter.build(LogisticRegression().fit(X, y), X, y, None)
    >>> theta, info = model.polish(np.zeros(4))
    >>> target = get_objective("demographic_parity").bind(
    ...     model.design, model.y, (A, ["0", "1"]), model.loss)
    >>> utility = EvaluationLoss().bind(model.design, model.y, None, model.loss)
    >>> path = Continuation(model, theta, info["solver"], target, utility)
    >>> half = path.advance(0.5)
    >>> bool(abs(half.target[0] - 0.5 * path.F0[0]) <= 0.01 * abs(path.F0[0]))
    True
    >>> bool(path.advance(1.0).reached), bool(half.eps.min() >= -1)
    (True, True)
    """

    def __init__(
        self, model, theta, solver, target, utility, *, weighting="curvature", bounds=None,
        metric=None, tol=0.01, curvature_reg=1.0, keep=None, max_substeps=25, schedule=None,
    ):
        self.model, self.target, self.utility = model, target, utility
        self.schedule = Schedule() if schedule is None else schedule
        self.weighting, self.metric, self.tol = weighting, metric, tol
        self.curvature_reg, self.keep, self.max_substeps = curvature_reg, keep, max_substeps
        lo, hi = (None, None) if bounds is None else bounds
        self.lower = -1.0 if lo is None else max(float(lo), -1.0)
        self.upper = None if hi is None else float(hi)
        self.F0 = np.asarray(target.value(theta), dtype=float)
        self.scale = float(np.linalg.norm(self.F0))
        # distances are measured with each block's rows divided by its ||F_0||
        self._unit = 1.0 / self.schedule.row_scales(self.F0)
        self.theta, self.eps, self.F = np.asarray(theta, float), model.design.zeros(), self.F0
        self.step = 1.0
        self.stop_reason = None  # why the path cannot go on
        self.last_failure = None  # why the last point was not reached
        self.n_substeps = 0
        self.log = _WarningLog()
        # self.eps is replaced at every step, never written in place: points share it
        self.points = [PathPoint(0.0, self.theta, self.eps, self.F0, True)]
        self._influence = self._last_directions = self._utility_map = None
        self.fixed_utility_map = model.hessian_free
        self._set_point(solver)
        self.first_influence = self.influence

    def _set_point(self, solver):
        """Linearise at the new ``self.theta``; its influences (and utility map, unless
        fixed) are computed when first needed (never, after the last step)."""
        self._solver = solver
        if self._influence is not None:  # warm-starts the next point's solves
            self._last_directions = self._influence.directions
        self._influence = None
        if not self.fixed_utility_map:
            self._utility_map = None

    @property
    def influence(self):
        """The :class:`~skunlearn.influence.Influence` at the current point."""
        if self._influence is None:
            # Past the first point the influences only steer the next step (which
            # lands on an exact optimum): an iterative solve need not be tighter.
            rtol = None if len(self.points) == 1 else 1e-6
            self._influence = Influence(self.model, self.theta, self._solver,
                                        self.target, self.utility, self.metric, rtol=rtol,
                                        start=self._last_directions)
        return self._influence

    @property
    def utility_map(self):
        """The utility factor as the weights see it (:func:`~skunlearn.weights.map_utility_factor`),
        shared by every step tried from the current point.

        A Hessian-free model keeps the original model's for the whole path
        (``fixed_utility_map``): its rank-``HESSIAN_FREE_RANK`` factor and the
        ``q`` solves behind it cost more than the rest of a step, and they only
        shape the weights, whose reweighted optimum each step reaches exactly.
        With a factor of ``H`` the exact map costs one Gram pass per point; kept
        there, since on a family where every fair linear model sits at the
        majority rate the fixed map ended a path 1e-3 below it.
        """
        if self._utility_map is None:
            factor = utility_factor(self.utility, self.model, self.theta)
            self._utility_map = map_utility_factor(self.model, self._solver, factor)
        return self._utility_map

    @property
    def reason(self):
        """Why the path stopped, or why its last point was not reached; ``None`` if it was."""
        return self.stop_reason or (None if self.points[-1].reached else self.last_failure)

    def _weights(self, request):
        """Weights for a first-order target change ``request`` at the current point."""
        infl = self.influence
        if self.weighting == "soft":
            hi = None if self.upper is None else self.upper - self.eps
            return soft_weights(infl, request, bounds=(self.lower - self.eps, hi),
                                hold_utility=_holds_utility(self.target))
        if self.weighting == "curvature":
            return curvature_weights(
                infl, request, utility_map=self.utility_map, reg=self.curvature_reg,
                lower=-1.0 - self.eps,
            )
        # a deleted row stays deleted; a row outside the objective (weight 0, e.g.
        # a cross-fitting fold's held-out rows) is not there to delete
        available = (self.eps > -0.5) & (self.model.sample_weight > 0)
        # rows are ranked along the request with each target relative to its own
        # F_0 (one objective: a common factor, the same ranking)
        scaled = SimpleNamespace(f=infl.f * self._unit, u=infl.u)
        request = request * self._unit
        if not np.any(available & (scaled.f @ request < 0)):
            raise UnreachableTarget("no row is left whose deletion moves the target")
        with warnings.catch_warnings():
            # asking for more than deletion can give is how the step control probes
            warnings.filterwarnings("ignore", "Deleting all", RuntimeWarning)
            return hard_weights(scaled, request, available=available, keep=self.keep)

    def _try(self, request):
        """Candidate ``(theta, eps, F, solver)`` for a request, or a reason it failed."""
        # one unit of weight on every row moves the target by at most sum_i |f_i|
        if compute(np.abs(self.influence.f).sum()) <= 1e-9 * max(self.scale, 1e-300):
            return None, (
                "reweighting the training rows does not move the target (every "
                "influence is zero: the predictions are saturated or the model "
                "interpolates its training rows)"
            )
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            try:
                delta = self._weights(request)
            except UnreachableTarget as exc:
                return None, str(exc)
        finite, moving = compute(np.all(np.isfinite(delta)), np.any(delta))
        if not finite or not moving:
            return None, "the weights cannot move the target (all influences are zero)"
        self._pending_warnings = records
        eps = persist(self.eps + delta)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            theta, info = self.model.polish(self.theta, 1.0 + eps, solver=self._solver)
        F = np.asarray(self.target.value(theta), dtype=float)
        if not (info["converged"] and np.all(np.isfinite(theta)) and np.all(np.isfinite(F))):
            return None, "the reweighted objective has no optimum Newton's method converges to"
        return (theta, eps, F, info["solver"]), None

    def _compact_points(self):
        """Earlier points' weights in single precision (see ``PathPoint.eps``); points
        that share a vector (the path did not move) keep sharing it."""
        compact = {}
        for point in self.points:
            eps = point.eps
            if eps is self.eps or is_dask(eps) or eps.dtype == np.float32:
                continue
            point.eps = compact.setdefault(id(eps), eps.astype(np.float32))

    def advance(self, strength):
        """Move along the path until the target is ``(1 - strength) F_0`` (or what the
        ``schedule`` asks at ``strength``); return the point.

        A point that cannot be reached within the tolerance (for example hard
        deletion, which moves the target in steps of whole rows) is recorded with
        ``reached=False`` and the path goes on to the next one; the path stops
        (``stop_reason``) when a request sees no progress at all. After that,
        returns the last point again.
        """
        goal = self.schedule.goal(self.F0, strength)

        def distance(F):  # to the request, each target relative to its own F_0
            return float(np.linalg.norm((goal - F) * self._unit))

        def reached_at(F):
            return bool(self.schedule.distances(self.F0, goal - F).max() <= self.tol)

        substeps, progressed, why, slow = 0, False, None, 0
        self.step = max(self.step, 0.25)  # a new request: try a real stride first
        while self.stop_reason is None and not reached_at(self.F):
            if substeps >= self.max_substeps:
                self.last_failure = (
                    f"{self.max_substeps} reweighting steps did not reach strength "
                    f"{strength:g}"
                )
                break
            substeps += 1
            self.n_substeps += 1
            gap = goal - self.F
            request = self.step * gap
            candidate, failure = self._try(request)
            if candidate is not None and distance(candidate[2]) < distance(self.F):
                theta, eps, F, solver = candidate
                moved, asked = (F - self.F) * self._unit, request * self._unit
                realised = float(moved @ asked) / float(asked @ asked)
                before = distance(self.F)
                self.theta, self.eps, self.F = theta, eps, F
                self.log.add(self._pending_warnings)  # only an accepted step's warnings
                self._set_point(solver)
                accurate = 0.5 <= realised <= 1.5
                self.step = min(1.0, 2.0 * self.step) if accurate else self.step / 2.0
                self.step = max(self.step, _MIN_STEP)
                progressed, why = True, None
                # steps that each remove under a tenth of the distance: stalled
                slow = slow + 1 if distance(F) > 0.9 * before else 0
                if slow >= 3:
                    self.last_failure = (
                        "progress toward it stalled (the target rows cannot all move as "
                        "requested with these features)"
                    )
                    break
                continue
            why = failure or why
            self.step /= 4.0
            if self.step < _MIN_STEP:
                if self.weighting == "hard" and failure is None:
                    why = ("no further deletion brings the target closer (deletion moves "
                           "it in steps of whole rows)")
                self.last_failure = why or (
                    "no reweighting step moves the target closer: the first-order "
                    "prediction fails even for small steps"
                )
                if not progressed:
                    self.stop_reason = self.last_failure
                break
        reached = reached_at(self.F)
        if reached:
            self.last_failure = None
        point = PathPoint(float(strength), self.theta, self.eps, self.F, reached,
                          moved=progressed or reached)
        self.points.append(point)
        self._compact_points()
        return point


def correct(
    model,
    theta,
    solver,
    target,
    utility,
    *,
    strength=1.0,
    weighting="curvature",
    update="path",
    n_steps=5,
    bounds=None,
    refit=None,
    metric=None,
    tol=0.01,
    strengths=None,
    schedule=None,
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
    strength : float
        Fraction of the target to remove.
    weighting : {"soft", "curvature", "hard"}
    update : {"newton", "refit", "path"}
    n_steps : int
        Points of the ``path`` update, at strengths ``strength * j / n_steps``.
    bounds : tuple or None
        Box on the total ``eps`` (soft weighting only).
    refit : callable or None
        ``refit(theta, eps) -> theta`` for ``update="refit"`` (bound by the caller
        to the estimator and its data).
    metric : ndarray of shape (n_samples,) or None
        Per-row cost of a weight change (the sample weights); see
        :class:`skunlearn.influence.Influence`.
    tol : float
        Relative tolerance of a path point (see :class:`Continuation`).
    strengths : sequence of float or None
        Explicit path points (overrides ``strength`` and ``n_steps``).
    schedule : Schedule or None
        Per-objective requests of several stacked objectives (see :class:`Schedule`);
        ``None`` asks ``(1 - strength) F_0`` of every row.
    **options
        ``curvature_reg``, ``keep`` (path) and ``hard_fraction`` (newton/refit).

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
    >>> result = correct(model, theta, info["solver"], target, utility)
    >>> [round(p.strength, 2) for p in result.points]
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    >>> bool(abs(result.points[-1].target[0]) <= 0.01 * abs(result.points[0].target[0]))
    True
    """
    schedule = Schedule() if schedule is None else schedule
    if update != "path":
        F0 = np.asarray(target.value(theta), dtype=float)
        goal = schedule.goal(F0, strength)
        influence = Influence(model, theta, solver, target, utility, metric)
        log = _WarningLog()
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            eps = _one_shot_weights(
                influence, goal - F0, weighting, bounds, utility, options,
                hold_utility=_holds_utility(target),
            )
            new_theta = newton_update(model, theta, eps) if update == "newton" else refit(
                theta, eps)
        log.add(records)
        F = np.asarray(target.value(new_theta), dtype=float)
        reached = bool(schedule.distances(F0, F - goal).max() <= tol)
        points = [PathPoint(0.0, np.asarray(theta, float), model.design.zeros(), F0),
                  PathPoint(float(strength), new_theta, eps, F, reached)]
        return Correction(points, influence, None, log.kept)

    path = Continuation(
        model, theta, solver, target, utility, weighting=weighting, bounds=bounds,
        metric=metric, tol=tol, curvature_reg=options.get("curvature_reg", 1.0),
        keep=options.get("keep"), schedule=schedule,
    )
    if strengths is None:
        strengths = [strength * j / n_steps for j in range(1, n_steps + 1)]
    for t in strengths:
        path.advance(t)
        if path.stop_reason is not None:
            break
    return Correction(path.points, path.first_influence, path.reason, path.log.kept)


def _holds_utility(target):
    """Whether the soft weights hold utility for this target (not when it is the utility)."""
    return getattr(target, "hold_utility", True)


def _one_shot_weights(influence, goal, weighting, bounds, utility, options, hold_utility=True):
    """Weights of a single linearisation at the original parameters (newton/refit)."""
    if weighting == "soft":
        try:
            return soft_weights(influence, goal, bounds=bounds, hold_utility=hold_utility)
        except UnreachableTarget as exc:  # one step: these settings are what can change
            raise UnreachableTarget(
                f"{str(exc).capitalize()}: lower `strength`, widen `bounds`, or use "
                "update='path'.") from None
    if weighting == "curvature":
        factor = utility_factor(utility, influence.model, influence.theta)
        try:
            return curvature_weights(influence, goal, utility_factor=factor,
                                     reg=options.get("curvature_reg", 1.0))
        except UnreachableTarget:
            return influence.model.design.zeros()
    return hard_weights(influence, goal, fraction=options.get("hard_fraction"))


# Rank of the utility Hessian's approximation when the model is Hessian-free.
HESSIAN_FREE_RANK = 10


def utility_factor(utility, model, theta):
    """``L`` with ``L L^T = H_U``: exact, or of rank ``HESSIAN_FREE_RANK`` for a Hessian-free model."""
    return utility.hessian_factor(theta, HESSIAN_FREE_RANK if model.hessian_free else None)


def path_strengths(n_steps, stop=1.0, start=0.0):
    """Strengths ``start + j / n_steps`` up to ``stop`` (inclusive, rounded to 1e-9).

    Examples
    --------
    >>> from skunlearn.correction import path_strengths
    >>> path_strengths(4)
    [0.25, 0.5, 0.75, 1.0]
    >>> path_strengths(4, stop=1.5, start=1.0)
    [1.25, 1.5]
    """
    first = math.floor(start * n_steps + 1e-9) + 1
    last = math.floor(stop * n_steps + 1e-9)
    return [round(j / n_steps, 9) for j in range(first, last + 1)]
