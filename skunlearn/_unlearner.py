"""The scikit-learn meta-estimator: glue from data to :func:`skunlearn.correction.correct`."""

import numbers
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._groups import encode_groups
from ._warnings import warn
from ._wrapper import (
    WrappedModelMixin,
    check_binary_target,
    frozen_model,
    is_frozen,
    warn_polish,
)
from ._dask import as_vector, compute, is_dask, validate_rows
from ._linalg import small_problem_threads
from .correction import (
    UPDATES,
    WEIGHTINGS,
    Continuation,
    Schedule,
    correct,
    path_strengths,
    protected_cells,
)
from .frontier import (
    Evaluation,
    cross_fitted_frontier,
    fold_cells,
    follow,
    make_folds,
    metric_columns,
    select_point,
)
from .models._adapter import _unwrap
from .models.pipeline import Composite, final_adapter, final_step, fit_params, is_pipeline
from .objectives import EvaluationLoss, get_objective
from .objectives.multioutput import bind_objective
from .updates import refit_update


# Beyond this many parameters the p x p Hessian (and its O(p^3) factor) costs more
# than conjugate gradients on products with X: solver="auto" goes Hessian-free.
_DIRECT_MAX_PARAMS = 2000
# Families whose adapters keep dask rows distributed (tested on a LocalCluster).
_DASK_ADAPTERS = ("LogisticRegressionAdapter", "LeastSquaresAdapter", "DaskMLLogisticAdapter",
                  "DaskMLRegressionAdapter")


def _is_2d(X):
    """Whether X has two axes: only then are its features counted and named.

    Any other X is left to a pipeline's first step, whose error says how to reshape it.
    """
    shape = getattr(X, "shape", None)
    if shape is None:  # a list, or an object with __array__ only
        try:
            shape = np.asarray(X).shape
        except ValueError:  # ragged rows: let the feature count report them
            return True
    return len(shape) == 2


# How far past the surrogate's zero a difference_bound path may go: strength 1.5
# asks for half the original target with the opposite sign.
_MAX_STRENGTH = 1.5


def _fmt(values):
    """A target vector for a message: one number, or a short list."""
    values = np.atleast_1d(values)
    if values.size == 1:
        return f"{values[0]:.4g}"
    return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"


def _per_objective(value, names, what, default):
    """A setting for each objective, from one value for all, a list or a dict by name."""
    if isinstance(value, dict):
        unknown = [key for key in value if key not in names]
        if unknown:
            raise ValueError(
                f"{what} names {unknown}, which are not among the objectives {names}."
            )
        return [value.get(name, default) for name in names]
    if isinstance(value, list | tuple):
        if len(value) != len(names):
            raise ValueError(
                f"{what} has {len(value)} values for {len(names)} objective(s) {names}: "
                "give one value for all, a list in the objectives' order, or a dict by "
                "name."
            )
        return list(value)
    return [value] * len(names)


class _Plan:
    """Each objective's strength and difference_bound, and the path they ask for.

    Without bounds the path runs up to the largest strength ``top``, each
    objective's request growing in proportion (``t_j / top`` per unit), so all
    arrive at ``(1 - t_j) F_{0,j}`` together. With bounds, every bounded
    objective follows the path (up to 1.5 when needed) at the rate ``t_j`` over
    the largest strength of a bounded objective (all 1 by default; a single
    objective's strength is not used), and every other one is asked for
    ``(1 - t_j) F_{0,j}`` from the first point on.
    """

    def __init__(self, names, strengths, bounds):
        self.names, self.strengths, self.bounds = names, strengths, bounds
        self.bounded = any(b is not None for b in bounds)
        self.top = max(strengths)

    @classmethod
    def resolve(cls, strength, difference_bound, members):
        names = [m.name for m in members]
        several = len(names) > 1
        strengths = _per_objective(strength, names, "strength", 1.0)
        bounds = _per_objective(difference_bound, names, "difference_bound", None)
        for name, t, b in zip(names, strengths, bounds):
            which = f" for {name!r}" if several else ""
            if not isinstance(t, numbers.Real) or isinstance(t, bool) or not 0 < t <= 1:
                got = t if several else strength
                raise ValueError(f"strength{which} must be a number in (0, 1], got {got!r}.")
            if b is not None and (
                    not isinstance(b, numbers.Real) or isinstance(b, bool) or not b >= 0):
                got = b if several else difference_bound
                raise ValueError(
                    f"difference_bound{which} must be a non-negative number or None, "
                    f"got {got!r}."
                )
        return cls(names, [float(t) for t in strengths],
                   [None if b is None else float(b) for b in bounds])

    def schedule(self, target):
        """The :class:`~skunlearn.correction.Schedule` of the bound target's rows."""
        blocks = [rows for _, rows in getattr(target, "blocks", [(None, slice(None))])]
        if self.bounded:
            held = [b is None for b in self.bounds]
            # bounded targets move at speeds relative to their strengths (one: rate 1)
            fastest = max(t for t, h in zip(self.strengths, held) if not h)
            rates = [t if h else t / fastest for t, h in zip(self.strengths, held)]
        else:
            held = [False] * len(self.names)
            rates = [t / self.top for t in self.strengths]
        return Schedule(blocks, rates, held)

    def bound_vector(self, names):
        """The bound of each objective in ``names`` (``inf`` where it has none)."""
        lookup = dict(zip(self.names, self.bounds))
        return np.array([np.inf if lookup[n] is None else lookup[n] for n in names])


def _with_index(values, index):
    """A Series/DataFrame on X's index when X was a DataFrame; the array otherwise."""
    if index is None:
        return values
    if isinstance(values, pd.DataFrame):
        return values.set_axis(index, axis=0)
    return pd.Series(values, index=index, name="weight")


class SoftUnlearner(WrappedModelMixin, BaseEstimator):
    """Correct a fitted linear model by soft-weighted machine unlearning.

    The wrapped model's exact training objective gives, by influence functions,
    how up- or down-weighting each training row would move a fairness target
    ``F`` and the model's utility. A small convex problem picks a continuous
    weight change ``eps_i`` per row that removes ``strength`` times the target
    while holding utility to first order, and the parameters are moved as if the
    model had been retrained with weights ``1 + eps``. Predictions need no
    sensitive features.

    Parameters
    ----------
    estimator : estimator object
        A ``LogisticRegression`` (binary or multinomial) or a binary
        ``LogisticRegressionCV`` (l2 penalty or none), ``Ridge`` or
        ``LinearRegression`` (one target or several), ``RidgeCV``,
        ``PoissonRegressor``, ``GammaRegressor``, ``TweedieRegressor`` (log
        link), ``SGDClassifier`` (log-loss) or ``SGDRegressor`` (squared error),
        a binary ``RidgeClassifier``, or the output layer of a binary
        ``MLPClassifier`` or single-output ``MLPRegressor`` (last-layer
        influences), or dask-ml's ``LogisticRegression`` (0/1 labels),
        ``LinearRegression`` or ``PoissonRegression`` (l2 penalty or none, no
        ``sample_weight``; fitted on dask rows where they are);
        see :func:`skunlearn.supported_estimators` and
        :mod:`skunlearn.models`. Or a :class:`~sklearn.pipeline.Pipeline` whose
        last step is one of these: the other steps are a fixed transform,
        applied once to the training (and ``eval_set``) rows, and the last step
        is corrected on its output (:mod:`skunlearn.models.pipeline`). An
        unfitted estimator is cloned and fitted in :meth:`fit`; wrap a fitted
        one in :class:`sklearn.frozen.FrozenEstimator` to correct it without
        refitting.
    objective : str, Objective or list of them, default="demographic_parity"
        Target to drive to zero: ``"demographic_parity"``,
        ``"equal_opportunity"`` (true positive rate parity),
        ``"false_positive_rate_parity"``, ``"equalized_odds"``,
        ``"error_rate_parity"``, ``"robustness"``, the paper's
        ``"loss_equal_opportunity"`` and ``"paper_robustness"``, ``"utility"``
        (data cleaning: the loss on ``eval_set``, driven down by the fraction
        ``strength``), or an :class:`skunlearn.objectives.Objective`; the user
        guide gives each formula. For a regressor ``"demographic_parity"`` is
        parity of the mean prediction. A list of distinct objectives (e.g.
        ``["demographic_parity", "robustness"]``) is solved in one weight
        problem: their target rows are stacked
        (:class:`skunlearn.objectives.Objectives`), each moved by its own
        ``strength`` or held to its own ``difference_bound``. For a multinomial
        model each objective is read one-vs-rest per class, for several targets
        per target (user guide, section 11).
    difference_bound : float, list, dict or None, default=None
        Aim at fairlearn's hard-prediction metric of the objective instead of a
        strength: ``demographic_parity_difference``, ``equalized_odds_difference``,
        ``true_positive_rate_difference`` (equal_opportunity),
        ``false_positive_rate_difference``, ``zero_one_loss_difference``
        (error_rate_parity); for a regressor the difference of mean predictions
        or of mean squared errors. The path is followed from strength 0 to 1 and,
        while no point meets the bound, past the surrogate's zero up to 1.5;
        the most accurate point that meets the bound without being degenerate
        is kept. The metric is measured on ``eval_set`` if given, otherwise on
        cross-fitted predictions of the training rows (see ``cv``), so the bound
        is judged on rows the model did not train on. When no point meets it, a
        warning names the closest point, which is kept. With several
        objectives: one float for all, or a list (in the objectives' order) or a
        dict by name with ``None`` for the objectives steered by ``strength``
        instead; a point is admissible when every bound is met and every
        objective without one is at its strength's request.
    strength : float in (0, 1], list or dict, default=1.0
        Fraction of the surrogate target to remove when ``difference_bound`` is
        None: the path ends where the target is ``(1 - strength) F_0``. With
        several objectives: one float for all, or a list or dict by name (a
        missing name gets 1.0). Without bounds each target's request moves
        from ``F_0,j`` to ``(1 - strength_j) F_0,j`` along the path, all arriving
        together. With bounds an objective without one is asked for
        ``(1 - strength_j) F_0,j`` at every point, and the bounded ones follow
        the path at speeds in the ratio of their strengths (equal by default:
        all move by the same fraction of their ``F_0,j``); a single objective's
        strength is not used with a bound.
    weighting : {"curvature", "soft", "hard"}, default="curvature"
        ``"soft"``: the minimum-norm weights of Qiao et al. (2025), meeting the
        target with utility held to first order. ``"curvature"``: soft weights
        that also pay the second-order utility cost of the parameter move;
        much better when the gap is large relative to what the features
        explain. ``"hard"``: delete the most harmful rows (the baseline); on a
        path it never empties a group (each group and label keeps at least 10%
        of its rows).
    update : {"path", "newton", "refit"}, default="path"
        ``"path"``: a continuation through ``n_steps`` points, each the exact
        optimum of the training objective reweighted by ``1 + eps`` (every
        retraining weight non-negative), with weights re-linearised at every
        step and adaptive step length; see :mod:`skunlearn.correction`.
        ``"newton"``: one Newton step from the original parameters (the
        paper's update; exact for Ridge and LinearRegression). ``"refit"``: a
        warm-started exact refit with the one-step weights.
    n_steps : int, default=10
        Path points per unit of strength: with ``difference_bound``, strengths
        0.1, 0.2, ... (the frontier's resolution); otherwise ``strength * j /
        n_steps``.
    tol : float in (0, 1), default=0.01
        A path point counts as reached when its target is within ``tol`` times
        ``||F_0||`` of the requested value (with several objectives, each
        within ``tol`` times its own ``||F_0,j||``); a point that is not reached is
        flagged in ``frontier_`` and, at the end of a strength path, warned about
        with the numbers and the reason.
    cv : int, cross-validation generator or None, default=5
        Folds of the cross-fitting that measures ``difference_bound`` when no
        ``eval_set`` is given; an int is a ``StratifiedKFold`` on group x label.
        Each fold's model is the exact optimum without the fold, with a path of
        its own. ``None`` measures on the training rows themselves (in-sample).
    bounds : tuple (lower, upper) or None, default=None
        Box on each row's ``eps`` for ``weighting="soft"``; ``None`` on a side
        leaves it open. On the path the lower bound is at least -1.
    curvature_reg : float, default=1.0
        For ``weighting="curvature"``: weight of ``||eps||^2`` relative to the
        mean second-order utility cost of one row. Large values tend to the
        soft weights.
    hard_fraction : float in (0, 1) or None, default=None
        For ``weighting="hard"`` with ``update="newton"`` or ``"refit"``:
        fraction of rows to delete. ``None`` deletes the fewest rows that reach
        the target to first order.
    solver : {"auto", "direct", "cg"}, default="auto"
        How Hessian systems are solved. ``"direct"``: the ``p x p`` Hessian is
        formed over row chunks and factored (exact; memory ``O(p^2)``, time
        ``O(n p^2 + p^3)``). ``"cg"``: Hessian-free, by preconditioned conjugate
        gradients on Hessian-vector products (relative residual 1e-9; memory
        ``O(n + p)`` per right-hand side, X sparse stays sparse), Newton-CG for
        the exact reweighted optima, and, for ``weighting="curvature"``, a rank-10
        randomized approximation of the utility Hessian. ``"auto"``: ``"cg"``
        when there are more than 2000 parameters, else ``"direct"``; always
        ``"direct"`` for a multinomial or multi-target model (``"cg"`` is
        refused there).

    Attributes
    ----------
    estimator_ : estimator
        Fitted estimator of the wrapped class carrying the corrected coefficients;
        for a pipeline, a copy of it whose last step carries them.
    original_estimator_ : estimator
        The fitted model (or pipeline) before unlearning (for a FrozenEstimator,
        its inner model, never modified).
    coef_ : ndarray
        Corrected coefficients (``estimator_.coef_``; of the last step for a
        pipeline).
    intercept_ : ndarray or float
        Corrected intercept (``estimator_.intercept_``; of the last step for a
        pipeline).
    classes_ : ndarray of shape (n_classes,)
        Class labels (classifiers only).
    weights_ : ndarray or pandas.Series of shape (n_samples,)
        Weight change ``eps_i`` of each training row at the selected point
        (retraining weight ``1 + eps_i``); a Series on X's index when X was a
        DataFrame, a dask array when X was dask.
    influence_ : pandas.DataFrame
        Influence of up-weighting each training row on each target row and on
        utility (evaluation loss), at the original parameters (on X's index
        when X was a DataFrame). A dask array with the same columns when X was
        dask (see the user guide, section 9).
    objective_before_, objective_after_ : pandas.Series
        Surrogate target on the evaluation data before and at the selected point.
    utility_before_, utility_after_ : float
        Mean evaluation loss before and at the selected point.
    frontier_ : pandas.DataFrame
        One row per path point (index ``step``; 0 is the original model):
        ``strength``, ``reached``, the surrogate target rows, ``utility``,
        ``metric`` (fairlearn's metric, named in ``frontier_.attrs["metric"]``),
        ``score`` (accuracy, or R^2 for a regressor), ``degenerate`` (a single
        predicted class or a score below the constant predictor's,
        ``frontier_.attrs["baseline_score"]``), ``weight_norm`` (root mean
        square of ``eps``), ``deleted`` (rows of weight 0), the target's own
        diagnostics on the evaluation data (robustness targets of a classifier:
        ``worst_case_accuracy[r=...]``, and ``fixed_point_accuracy`` for
        ``"paper_robustness"``) and, with ``difference_bound``,
        ``meets_bound``. ``metric`` and ``score`` are measured on
        ``frontier_.attrs["evaluation"]``: the eval_set, the training rows, or
        their cross-fitted predictions. With several objectives ``metric`` is
        replaced by ``metric[name]``, one per objective that has a fairlearn
        metric (``attrs["metric"]`` maps each column to the metric's name,
        ``attrs["bounds"]`` to its bound), and ``strength[name]`` gives the
        fraction of each objective's ``F_0`` requested at the point
        (``strength`` is the path's parameter).
    selected_step_ : int
        Row of ``frontier_`` whose model ``estimator_`` carries; change it with
        :meth:`select`.
    polish_ : dict
        Newton polishing of the original fit: ``n_iter``, ``grad_norm_before``,
        ``grad_norm_after``, ``converged`` (a ConvergenceWarning when False).
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit` (when X has string column names).

    See Also
    --------
    fairlearn.reductions.ExponentiatedGradient : Fairness by constrained retraining.
    fairlearn.postprocessing.ThresholdOptimizer : Group-specific thresholds.

    References
    ----------
    Qiao, X., Ding, Y., Cheng, Z., Zhang, W. (2025). Soft weighted machine
    unlearning. arXiv:2505.18783 (AAAI 2026).

    Koh, P. W. and Liang, P. (2017). Understanding black-box predictions via
    influence functions. ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from fairlearn.metrics import demographic_parity_difference
    >>> from skunlearn import SoftUnlearner
    >>> rng = np.random.default_rng(0)
    >>> A = rng.integers(0, 2, 2000)
    >>> X = np.column_stack([rng.normal(size=2000) + A, rng.normal(size=2000)])
    >>> y = (X[:, 0] + X[:, 1] + rng.normal(size=2000) > 0.5).astype(int)
    >>> su = SoftUnlearner(LogisticRegression(), objective="demographic_parity")
    >>> su = su.fit(X, y, sensitive_features=A)
    >>> bool(abs(su.objective_after_.iloc[0]) < abs(su.objective_before_.iloc[0]) / 5)
    True
    >>> before = demographic_parity_difference(
    ...     y, su.original_estimator_.predict(X), sensitive_features=A)
    >>> after = demographic_parity_difference(y, su.predict(X), sensitive_features=A)
    >>> bool(after < before / 2)
    True

    Ask for fairlearn's metric instead, judged on cross-fitted predictions:

    >>> bounded = SoftUnlearner(LogisticRegression(), difference_bound=0.05)
    >>> bounded = bounded.fit(X, y, sensitive_features=A)
    >>> row = bounded.frontier_.loc[bounded.selected_step_]
    >>> bool(row["metric"] <= 0.05), bool(row["score"] > row["metric"])
    (True, True)

    Several targets at once, each with its own strength; or a bound on one and
    a strength for the other (None: no bound):

    >>> both = SoftUnlearner(LogisticRegression(), ["demographic_parity", "robustness"],
    ...                      strength={"demographic_parity": 1.0, "robustness": 0.2})
    >>> both = both.fit(X, y, sensitive_features=A)
    >>> change = both.objective_after_ / both.objective_before_   # 1 - strength_j
    >>> bool(abs(change.iloc[0]) < 0.01), bool(abs(change.iloc[1] - 0.8) < 0.01)
    (True, True)
    >>> both = both.set_params(difference_bound=[0.05, None]).fit(
    ...     X, y, sensitive_features=A)
    >>> row = both.frontier_.loc[both.selected_step_]
    >>> bool(row["metric[demographic_parity]"] <= 0.05), float(row["strength[robustness]"])
    (True, 0.2)

    A pipeline: its last step is corrected, its scaler applied once and kept.

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> pipe = make_pipeline(StandardScaler(), LogisticRegression())
    >>> piped = SoftUnlearner(pipe).fit(X, y, sensitive_features=A)
    >>> piped.estimator_                                  # a corrected copy of pipe
    Pipeline(steps=[('standardscaler', StandardScaler()),
                    ('logisticregression', LogisticRegression())])
    >>> scaled = StandardScaler().fit_transform(X)
    >>> direct = SoftUnlearner(LogisticRegression()).fit(scaled, y, sensitive_features=A)
    >>> bool(np.allclose(piped.coef_, direct.coef_, rtol=0, atol=1e-10))
    True
    """

    _multi_output = True  # multinomial and multi-target models (tags)

    def __init__(
        self,
        estimator,
        objective="demographic_parity",
        *,
        difference_bound=None,
        strength=1.0,
        weighting="curvature",
        update="path",
        n_steps=10,
        tol=0.01,
        cv=5,
        bounds=None,
        curvature_reg=1.0,
        hard_fraction=None,
        solver="auto",
    ):
        self.estimator = estimator
        self.objective = objective
        self.difference_bound = difference_bound
        self.strength = strength
        self.weighting = weighting
        self.update = update
        self.n_steps = n_steps
        self.tol = tol
        self.cv = cv
        self.bounds = bounds
        self.curvature_reg = curvature_reg
        self.hard_fraction = hard_fraction
        self.solver = solver

    # ------------------------------------------------------------------ checks
    def _hessian_free(self, n_params):
        """Whether to solve Hessian systems by conjugate gradients (see ``solver``)."""
        return self.solver == "cg" or (self.solver == "auto" and n_params > _DIRECT_MAX_PARAMS)

    def _check_params(self):
        if self.solver not in ("auto", "direct", "cg"):
            raise ValueError(f"solver must be 'auto', 'direct' or 'cg', got {self.solver!r}.")
        adapter = final_adapter(self.estimator)
        adapter.check_params(final_step(self.estimator))
        objective = get_objective(self.objective)
        members = list(getattr(objective, "parts", [objective]))
        for member in members:
            if member.classifier_only and not adapter.is_classifier:
                raise ValueError(
                    f"objective={member.name!r} reads class labels (or a decision "
                    f"boundary) and needs a classifier; "
                    f"{type(final_step(self.estimator)).__name__} is a regressor (use "
                    "'demographic_parity', 'error_rate_parity', 'robustness' or 'utility')."
                )
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {self.weighting!r}.")
        if self.update not in UPDATES:
            raise ValueError(f"update must be one of {UPDATES}, got {self.update!r}.")
        if self.update == "refit" and not adapter.fit_takes_sample_weight:
            raise ValueError(
                f"update='refit' refits {type(final_step(self.estimator)).__name__} with "
                "sample weights, which its fit does not take; use update='path' (the "
                "default: exact reweighted optima of its training objective) or "
                "update='newton'.")
        plan = _Plan.resolve(self.strength, self.difference_bound, members)
        if not isinstance(self.n_steps, numbers.Integral) or self.n_steps < 1:
            raise ValueError(f"n_steps must be a positive integer, got {self.n_steps!r}.")
        if not isinstance(self.tol, numbers.Real) or not 0 < self.tol < 1:
            raise ValueError(f"tol must be a number in (0, 1), got {self.tol!r}.")
        if plan.bounded:
            for member, bound in zip(members, plan.bounds):
                if bound is not None and member.metric_name(adapter.is_classifier) is None:
                    several = (
                        "" if len(members) == 1 else
                        " Give difference_bound per objective (a list, or a dict by "
                        f"name) with None for {member.name!r}: it then follows its strength."
                    )
                    raise ValueError(
                        f"difference_bound bounds a fairlearn group metric; objective="
                        f"{member.name!r} has none. Use strength instead.{several}"
                    )
            if self.update != "path":
                raise ValueError(
                    "difference_bound chooses a point on the unlearning path: use "
                    f"update='path' (got update={self.update!r})."
                )
        if self.cv is not None and isinstance(self.cv, numbers.Integral) and self.cv < 2:
            raise ValueError(f"cv must be at least 2 folds, a splitter or None, got {self.cv!r}.")
        if self.bounds is not None:
            if self.weighting != "soft":
                raise ValueError("bounds apply to weighting='soft' only.")
            if not (isinstance(self.bounds, tuple | list) and len(self.bounds) == 2):
                raise ValueError(
                    f"bounds must be a pair (lower, upper), got {self.bounds!r}."
                )
        if not isinstance(self.curvature_reg, numbers.Real) or self.curvature_reg <= 0:
            raise ValueError(f"curvature_reg must be positive, got {self.curvature_reg!r}.")
        if self.hard_fraction is not None:
            if not 0 < self.hard_fraction < 1:
                raise ValueError(
                    f"hard_fraction must be in (0, 1) or None, got {self.hard_fraction!r}."
                )
            if self.weighting != "hard" or self.update == "path":
                raise ValueError(
                    "hard_fraction deletes a fixed fraction of rows in one step: it applies "
                    "to weighting='hard' with update='newton' or 'refit'; the path "
                    "deletes as many rows as the target needs."
                )
        return adapter, objective, plan

    def _check_dask(self, adapter, n_features, eval_set, bounded):
        """Refuse, before any pass over the rows, what dask input does not support."""
        unsupported = []
        if is_pipeline(self.estimator):
            unsupported.append(
                "a Pipeline (its transformers run in memory: transform the dask rows "
                "first and wrap the fitted final step in a FrozenEstimator)")
        elif adapter.__name__ not in _DASK_ADAPTERS:
            unsupported.append(
                f"{type(_unwrap(self.estimator)).__name__} (dask input is supported for "
                "LogisticRegression, Ridge, LinearRegression and dask-ml's linear models)")
        elif np.ndim(getattr(_unwrap(self.estimator), "coef_", 0)) == 2 and len(
                _unwrap(self.estimator).coef_) > 1:
            unsupported.append(
                f"a {'multinomial' if adapter.is_classifier else 'multi-target'} "
                f"{type(_unwrap(self.estimator)).__name__} (dask input is supported for "
                "binary and single-target models)")
        if self.update == "refit":
            unsupported.append(
                "update='refit' (scikit-learn estimators fit in memory; update='path' "
                "also lands on exact reweighted optima)")
        if self.weighting == "hard":
            unsupported.append("weighting='hard' (it ranks all rows on the driver)")
        if bounded and eval_set is None and self.cv is not None:
            unsupported.append(
                "difference_bound measured by cross-fitting (its folds are row "
                "subsets; pass an eval_set, or cv=None to measure on the training rows)")
        if self._hessian_free(n_features + 1):
            unsupported.append(
                "solver='cg', which solver='auto' chooses beyond "
                f"{_DIRECT_MAX_PARAMS} parameters (its solver and low-rank utility "
                "factor hold length-n vectors in memory; solver='direct' works up to a "
                "few thousand features)")
        if unsupported:
            raise ValueError(
                "With dask input SoftUnlearner does not support " + "; ".join(unsupported)
                + ". Pass in-memory data for these options.")

    def _for_estimator(self):
        """`` for <estimator>`` (the wrapped model's class) for messages."""
        return f" for {type(final_step(self.estimator)).__name__}"

    def _validate_training(self, X, y, sensitive_features, sample_weight, adapter, objective, reset):
        if sample_weight is not None and not adapter.fit_takes_sample_weight:
            raise ValueError(
                f"{type(final_step(self.estimator)).__name__}'s fit takes no sample_weight, "
                "so its training objective weighs every row alike: fit without "
                "sample_weight.")
        if is_dask(X):
            return validate_rows(
                self, X, y, sensitive_features, sample_weight,
                is_classifier=adapter.is_classifier, needs_groups=objective.needs_groups,
                reset=reset,
            )
        if is_pipeline(self.estimator):
            # the pipeline's own steps take X as it is (DataFrames with string
            # columns, ...); only its shape and column names are recorded here
            X, y = validate_data(self, X, y, reset=reset, skip_check_array=True,
                                 ensure_2d=_is_2d(X))
            y = check_array(
                y, ensure_2d=False, dtype=None if adapter.is_classifier else np.float64,
                input_name="y")
            if not (adapter.multi_target and y.ndim == 2):
                y = column_or_1d(y, warn=True)
            check_consistent_length(X, y)
        else:
            X, y = validate_data(
                self, X, y, reset=reset, accept_sparse="csr", dtype=np.float64,
                y_numeric=not adapter.is_classifier, multi_output=adapter.multi_target,
            )
        n_samples = _num_samples(X)
        if n_samples < 2:
            raise ValueError(
                f"SoftUnlearner needs at least 2 samples to unlearn, got n_samples={n_samples}."
            )
        sample_weight = (
            None if sample_weight is None
            else _check_sample_weight(sample_weight, X, dtype=np.float64)
        )
        if adapter.is_classifier:
            check_binary_target(y, sample_weight, "SoftUnlearner", multiclass=adapter.multiclass,
                                for_estimator=self._for_estimator())
        groups = None
        if objective.needs_groups:
            groups = encode_groups(sensitive_features, n_samples)
        return X, y, groups, sample_weight

    def _validate_eval(self, eval_set, adapter, objective):
        if not isinstance(eval_set, tuple | list) or len(eval_set) not in (2, 3):
            raise ValueError(
                "eval_set must be a tuple (X_eval, y_eval) or "
                "(X_eval, y_eval, sensitive_features_eval)."
            )
        if is_dask(eval_set[0]):
            X_eval, y_eval, groups, _ = validate_rows(
                self, eval_set[0], eval_set[1], None if len(eval_set) < 3 else eval_set[2],
                is_classifier=adapter.is_classifier, reset=False, check_target=False,
                needs_groups=objective.needs_groups and len(eval_set) == 3,
            )
            if objective.needs_groups and groups is None:
                raise ValueError(
                    f"objective={objective.name!r} needs the evaluation rows' groups: "
                    "pass eval_set=(X_eval, y_eval, sensitive_features_eval)."
                )
            return X_eval, y_eval, groups
        X_eval = self._validate_input(eval_set[0])
        n_eval = _num_samples(X_eval)
        y_eval = check_array(eval_set[1], ensure_2d=False, dtype=None, input_name="y_eval")
        if len(y_eval) != n_eval:
            raise ValueError(f"eval_set has {n_eval} rows of X but {len(y_eval)} labels.")
        groups = None
        if objective.needs_groups:
            if len(eval_set) < 3:
                raise ValueError(
                    f"objective={objective.name!r} needs the evaluation rows' groups: "
                    "pass eval_set=(X_eval, y_eval, sensitive_features_eval)."
                )
            groups = encode_groups(eval_set[2], n_eval)
        return X_eval, y_eval, groups

    def _validate_input(self, X):
        """X checked against the fitted feature count/names; a pipeline's X left as it is."""
        if is_pipeline(self.estimator):
            return validate_data(self, X, reset=False, skip_check_array=True,
                                 ensure_2d=_is_2d(X))
        return validate_data(self, X, reset=False, accept_sparse="csr", dtype=np.float64)

    # ---------------------------------------------------------------- fitting
    def fit(self, X, y, sensitive_features=None, sample_weight=None, eval_set=None):
        """Fit a clone of the estimator (unless frozen), then unlearn.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array or DataFrame} of shape (n_samples, n_features)
            Training data. Dask data stays on its cluster and needs a
            FrozenEstimator, or a dask-ml estimator, which an unfitted one
            fits on the dask rows (user guide, section 9).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets: class labels for a classifier (two, or more for a
            multinomial ``LogisticRegression``), several columns for ``Ridge``
            or ``LinearRegression`` with several targets.
        sensitive_features : array-like or DataFrame, default=None
            Group of each row, one or several columns (their intersections are
            the groups). Required by group objectives; not needed to predict.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the wrapped estimator's ``fit`` and part of its objective.
        eval_set : tuple, default=None
            ``(X_eval, y_eval, sensitive_features_eval)`` on which the target and
            utility are measured; the training data when ``None``.

        Returns
        -------
        self : SoftUnlearner
            Fitted estimator.
        """
        adapter, objective, plan = self._check_params()
        if is_dask(X):
            self._check_dask(adapter, X.shape[1], eval_set, plan.bounded)
        Xv, yv, groups, sw = self._validate_training(
            X, y, sensitive_features, sample_weight, adapter, objective, reset=True
        )
        self._index = X.index if isinstance(X, pd.DataFrame) else None
        if is_frozen(self.estimator):
            original = frozen_model(self)
        elif is_dask(Xv) and not adapter.fits_dask_rows:
            raise TypeError(
                f"{type(_unwrap(self.estimator)).__name__} cannot be fitted on dask data "
                "without loading it into memory. Fit it on the data in memory (or on a "
                "sample) and pass FrozenEstimator(fitted_model): SoftUnlearner then "
                "polishes it to the exact optimum on all the dask rows."
            )
        else:
            adapter.check_target(final_step(self.estimator), yv)  # before a long fit
            # dask rows reach only an estimator that fits them where they are (dask-ml)
            original = clone(self.estimator).fit(Xv, yv, **fit_params(self.estimator, sw))
        self.original_estimator_ = original
        return self._unlearn(Xv, yv, groups, sw, eval_set, adapter, objective, plan)

    def unlearn(self, X, y, sensitive_features=None, sample_weight=None, eval_set=None):
        """Correct the fitted model again with the current parameters; never refits it.

        Starts from ``original_estimator_`` each time, so ``strength`` is always
        relative to the original model's target. Parameters are those of
        :meth:`fit`; ``X`` and ``y`` should be the rows the model was trained on.

        Returns
        -------
        self : SoftUnlearner
        """
        check_is_fitted(self, "original_estimator_")
        adapter, objective, plan = self._check_params()
        if is_dask(X):
            self._check_dask(adapter, X.shape[1], eval_set, plan.bounded)
        Xv, yv, groups, sw = self._validate_training(
            X, y, sensitive_features, sample_weight, adapter, objective, reset=False
        )
        self._index = X.index if isinstance(X, pd.DataFrame) else None
        return self._unlearn(Xv, yv, groups, sw, eval_set, adapter, objective, plan)

    def _unlearn(self, X, y, groups, sample_weight, eval_set, adapter, objective, plan):
        for member in getattr(objective, "parts", [objective]):
            if eval_set is None and member.needs_eval_set:
                raise ValueError(
                    f"objective={member.name!r} is measured on held-out rows: pass "
                    "eval_set=(X_eval, y_eval) (on its own training rows the fitted model "
                    "already minimises it)."
                )
        # a pipeline's fixed transform is applied here, once: from now on X is the
        # final step's input and ``original`` the final step (see models.pipeline)
        parts = Composite.of(self.original_estimator_)
        original, X = parts.final, parts.features(X)
        model = adapter.build(original, X, y, sample_weight)
        with small_problem_threads(model.design):
            return self._correct_model(model, parts, original, X, y, groups, sample_weight,
                                       eval_set, adapter, objective, plan)

    def _correct_model(self, model, parts, original, X, y, groups, sample_weight, eval_set,
                       adapter, objective, plan):
        """Polish, correct and evaluate the built ``model`` (the rest of :meth:`_unlearn`)."""
        if model.n_outputs > 1 and self.solver == "cg":
            raise ValueError(
                f"solver='cg' is not available for a model with several outputs (a "
                f"multinomial or multi-target {type(original).__name__}); use "
                "solver='direct' (solver='auto' does).")
        if model.penalty.ndim == 2 and self.solver == "cg":
            raise ValueError(
                f"solver='cg' needs a diagonal penalty; {type(original).__name__} penalises "
                "a linear transform of its parameters (dask-glm's normalised coordinates), "
                "a full p x p penalty: use solver='direct' (solver='auto' does).")
        # several outputs or a full penalty: always the direct solver (Hessian-free
        # products are single-output, its preconditioner takes a diagonal penalty)
        model.hessian_free = (model.n_outputs == 1 and model.penalty.ndim == 1
                              and self._hessian_free(model.n_params))
        # step 0 of the frontier is the user's model exactly; the path starts from
        # its polished parameters (the optimum influence functions need)
        theta_original = adapter.parameters(original)
        theta, info = model.polish(theta_original)
        self.polish_ = {
            k: info[k] for k in ("n_iter", "grad_norm_before", "grad_norm_after", "converged")
        }
        warn_polish(info, original)

        eval_weights = None
        if eval_set is None:
            eval_design, y_eval, eval_groups = model.design, model.y, groups
            eval_weights = sample_weight
        else:
            X_eval, y_raw, eval_groups = self._validate_eval(eval_set, adapter, objective)
            eval_design = model.design_for(adapter.features(original, parts.features(X_eval)))
            y_eval = (
                adapter.encode_target(original, y_raw)
                if adapter.is_classifier else as_vector(y_raw)
            )
        target = bind_objective(objective, eval_design, y_eval, eval_groups, model.loss,
                                eval_weights)
        if hasattr(target, "anchor"):  # a target fixed from the user's model (paper_robustness)
            target.anchor(theta_original)
        utility = bind_objective(EvaluationLoss(), eval_design, y_eval, None, model.loss,
                                 eval_weights)
        F0 = target.value(theta)
        several = hasattr(target, "blocks")
        for name, rows in target.blocks if several else [(objective.name, slice(None))]:
            if np.max(np.abs(F0[rows])) < 1e-10:
                drop = " Leave it out of the list." if several else ""
                raise ValueError(
                    f"The target {name!r} is already met on the evaluation data "
                    f"(|F| = {np.max(np.abs(F0[rows])):.2g}); there is nothing to unlearn."
                    f"{drop}"
                )
        schedule = plan.schedule(target)
        keep = None
        if self.weighting == "hard" and groups is not None:
            keep = protected_cells(groups[0], model.y if adapter.is_classifier else None)
        path_options = dict(
            weighting=self.weighting, metric=sample_weight, tol=self.tol,
            bounds=None if self.bounds is None else tuple(self.bounds),
            curvature_reg=self.curvature_reg, keep=keep, schedule=schedule,
        )
        evaluation = Evaluation(objective, eval_design, y_eval, eval_groups, eval_weights,
                                adapter.is_classifier, model.loss)
        if not plan.bounded:
            refit = None
            if self.update == "refit":
                def refit(theta_, eps_):
                    return refit_update(
                        adapter, original, X, y, sample_weight, model, theta_, eps_)

            result = correct(
                model, theta, info["solver"], target, utility,
                strength=plan.top, update=self.update, n_steps=self.n_steps,
                refit=refit, hard_fraction=self.hard_fraction, **path_options,
            )
            points, stop_reason, emitted = result.points, result.stop_reason, result.warnings
            points[0] = replace(points[0], theta=theta_original)
            first_influence = result.influence
            records = [evaluation.measure(evaluation.predict(p.theta)) for p in points]
            where = "the evaluation data" if eval_set is not None else "the training rows"
            usable = [True] * len(points)
        else:
            path = Continuation(model, theta, info["solver"], target, utility, **path_options)
            strengths = path_strengths(self.n_steps) + path_strengths(
                self.n_steps, stop=_MAX_STRENGTH, start=1.0)
            # one bound, or one per metric of several objectives (inf: not bounded)
            bound = (plan.bound_vector(evaluation.metric_members) if evaluation.vector
                     else plan.bounds[0])

            def within(metric):  # every bounded metric at most its bound
                return np.all((np.asarray(metric) <= bound) | np.isinf(bound), axis=-1)

            def is_met(record):
                return not record["degenerate"] and bool(within(record["metric"]))

            if eval_set is None and self.cv is not None:
                records, where = self._cross_fit(
                    model, theta, objective, groups, y_eval, sample_weight, adapter,
                    strengths, path_options, is_met,
                )
                for t in [r["strength"] for r in records[1:]]:
                    path.advance(t)
                records = records[: len(path.points)]
                # where the full path stood still, its model is not the one the folds
                # measured at that strength
                usable = [p.moved for p in path.points]
            else:
                def step(t):
                    point = path.advance(t)
                    record = evaluation.measure(evaluation.predict(point.theta))
                    return record, path.stop_reason is not None

                records = follow(
                    strengths, step, [evaluation.measure(evaluation.predict(theta_original))],
                    is_met,
                )
                where = "the evaluation data" if eval_set is not None else "the training rows"
                usable = [True] * len(path.points)
            if any(schedule.held):
                # a candidate must also meet the requests of the targets steered by
                # strength (the original model does not)
                usable = [u and i > 0 and self._held_met(p, schedule, path.F0)
                          for i, (u, p) in enumerate(zip(usable, path.points))]
            stop_reason = path.reason
            points, emitted = list(path.points), path.log.kept
            points[0] = replace(points[0], theta=theta_original)
            first_influence = path.first_influence
        for record in emitted:  # each distinct warning once
            warn(record.message, record.category)

        self._points = points
        self._target_names = list(target.row_names)  # not the bound target: it holds X
        self.influence_ = (  # dask rows stay on the workers (columns as in to_frame)
            first_influence.matrix if is_dask(first_influence.matrix)
            else _with_index(first_influence.to_frame(), self._index))
        self.frontier_ = self._frontier(points, records, target, utility, sample_weight,
                                        evaluation, where, plan, schedule)
        self.objective_before_ = pd.Series(F0, index=target.row_names, name="before")
        self.utility_before_ = float(utility.value(theta)[0])
        if not plan.bounded:
            step = len(points) - 1
            self.select(step)
            self._warn_strength(points, stop_reason, records[step], evaluation, plan,
                                schedule)
        else:
            frame = self.frontier_
            metrics = frame[metric_columns(frame)].to_numpy(dtype=float)  # (points, m)
            degenerate = frame["degenerate"].to_numpy() | ~np.asarray(usable)
            step, met = select_point(metrics if evaluation.vector else metrics[:, 0],
                                     frame["score"], degenerate, bound)
            self.frontier_["meets_bound"] = within(metrics) & ~degenerate
            self.select(step)
            self._warn_bound(step, met, stop_reason, evaluation, plan)
            self._warn_held(points[step], schedule, plan)
        return self

    def _cross_fit(self, model, theta, objective, groups, y, sample_weight, adapter,
                   strengths, path_options, is_met):
        """Out-of-fold frontier records on the training rows (see :mod:`skunlearn.frontier`)."""
        cells = fold_cells(groups, y, adapter.is_classifier)
        folds = make_folds(self.cv, model.n_samples, cells)
        training = Evaluation(objective, model.design, y, groups, sample_weight,
                              adapter.is_classifier, model.loss)

        def bind_target(weights):
            return bind_objective(objective, model.design, y, groups, model.loss, weights)

        def bind_utility(weights):
            return bind_objective(EvaluationLoss(), model.design, y, None, model.loss, weights)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            records = cross_fitted_frontier(
                model, theta, objective, bind_target, bind_utility, training, folds,
                strengths, path_options=path_options, is_met=is_met,
            )
        return records, f"held-out rows ({len(folds)}-fold cross-fitting)"

    def _frontier(self, points, records, target, utility, sample_weight, evaluation, where,
                  plan, schedule):
        """The ``frontier_`` DataFrame: one row per path point."""
        # the last point's weights are full precision (earlier ones may be float32:
        # see correction.PathPoint), and so are the sums over rows taken with them
        m = np.ones_like(points[-1].eps) if sample_weight is None else sample_weight
        # weight norm and deletions of every point: sums over rows, computed together
        utilities = [utility.value(p.theta, evaluate=False)[0] for p in points]
        sums = compute(m.sum(), *utilities, *[s for p in points for s in (
            m @ p.eps**2, np.sum(p.eps <= -1.0 + 1e-9))])
        total, utilities, sums = sums[0], sums[1:len(points) + 1], sums[len(points) + 1:]
        several = evaluation.vector
        metric_columns = [f"metric[{name}]" for name in evaluation.metric_members]
        rows = []
        for i, (point, record) in enumerate(zip(points, records)):
            row = {"strength": point.strength}
            if several:  # the share of each objective's F_0 requested at this point
                row.update(zip((f"strength[{n}]" for n in plan.names),
                               schedule.fractions(point.strength)))
            row["reached"] = point.reached
            row.update(zip(target.row_names, point.target))
            row["utility"] = float(utilities[i])
            if several:
                row.update(zip(metric_columns, map(float, record["metric"])))
            else:
                row["metric"] = record["metric"]
            row["score"] = record["score"]
            row["degenerate"] = record["degenerate"]
            row["weight_norm"] = float(np.sqrt(sums[2 * i] / total))
            row["deleted"] = int(sums[2 * i + 1])
            if hasattr(target, "diagnostics"):  # e.g. worst-case accuracy
                row.update(target.diagnostics(point.theta, evaluation.is_classifier))
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame.index.name = "step"
        metric = (dict(zip(metric_columns, evaluation.metric_names)) if several
                  else evaluation.metric_name)
        frame.attrs.update(
            metric=metric, score=evaluation.score_name, evaluation=where,
            baseline_score=evaluation.baseline,
        )
        if several and plan.bounded:
            frame.attrs["bounds"] = {
                column: float(bound) for column, bound in zip(
                    metric_columns, plan.bound_vector(evaluation.metric_members))
                if np.isfinite(bound)}
        return frame

    def select(self, step):
        """Use the model of path point ``step`` (a row of ``frontier_``); no recomputation.

        Parameters
        ----------
        step : int
            Index into ``frontier_`` (0 is the original model).

        Returns
        -------
        self : SoftUnlearner

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skunlearn import SoftUnlearner
        >>> rng = np.random.default_rng(0)
        >>> A = rng.integers(0, 2, 500)
        >>> X = rng.normal(size=(500, 2)) + A[:, None]
        >>> y = (X.sum(axis=1) + rng.normal(size=500) > 1).astype(int)
        >>> su = SoftUnlearner(LogisticRegression()).fit(X, y, sensitive_features=A)
        >>> half = su.frontier_.index[su.frontier_["strength"] == 0.5][0]
        >>> su.select(half).selected_step_
        5
        """
        check_is_fitted(self, "frontier_")
        if not isinstance(step, numbers.Integral) or not 0 <= step < len(self._points):
            raise ValueError(
                f"step must be an integer in [0, {len(self._points) - 1}] (a row of "
                f"frontier_), got {step!r}."
            )
        point = self._points[int(step)]
        self.selected_step_ = int(step)
        parts = Composite.of(self.original_estimator_)
        self.estimator_ = parts.assemble(
            final_adapter(self.estimator).with_parameters(parts.final, point.theta))
        self.weights_ = _with_index(as_vector(point.eps), self._index)
        self.objective_after_ = pd.Series(
            point.target, index=self._target_names, name="after")
        self.utility_after_ = float(self.frontier_["utility"].iloc[int(step)])
        return self

    # ---------------------------------------------------------------- warnings
    def _warn_strength(self, points, stop_reason, record, evaluation, plan, schedule):
        last = points[-1]
        if stop_reason is not None or not last.reached:
            F0 = points[0].target
            goal = schedule.goal(F0, plan.top)
            advice = ""
            if stop_reason is None and self.update != "path":
                stop_reason = ("one step from the original parameters is accurate to "
                               "first order only")
                advice = " update='path' (the default) lands on exact reweighted optima."
            elif stop_reason and "does not move the target" in stop_reason:
                advice = ""  # no weighting or strength changes that
            elif self.weighting == "hard":
                advice = " Continuous weights (weighting='curvature') can land between rows."
            elif self.weighting == "soft":
                advice = " weighting='curvature' accounts for the utility cost at second order."
            elif plan.top > 0.5:
                advice = " A lower strength may be reachable."
            asked = (f"strength {plan.top:g}" if len(plan.names) == 1 else "strengths "
                     + ", ".join(f"{n}={t:g}" for n, t in zip(plan.names, plan.strengths)))
            warn(
                f"The unlearning path stopped short of {asked}: the "
                f"target is {_fmt(last.target)} where {_fmt(goal)} was requested "
                f"(from {_fmt(F0)}, tolerance {self.tol:g} of its norm); {stop_reason}. "
                f"The closest point reached is returned.{advice}",
                RuntimeWarning,
            )
        if record["degenerate"] and len(points) > 1:
            self._warn_degenerate(record, evaluation)

    def _warn_degenerate(self, record, evaluation):
        if evaluation.is_classifier:
            what = (f"accuracy {record['score']:.4f} against {evaluation.baseline:.4f} for "
                    "always predicting the majority class")
        else:
            what = f"R^2 {record['score']:.4f}, below the constant predictor's 0"
        warn(
            f"The corrected model is degenerate on {self.frontier_.attrs['evaluation']}: "
            f"{what}. Choose another point of frontier_ with select(step), or set "
            "difference_bound to have the most accurate non-degenerate point chosen.",
            UserWarning,
        )

    def _warn_bound(self, step, met, stop_reason, evaluation, plan):
        frame = self.frontier_
        where = frame.attrs["evaluation"]
        row = frame.iloc[step]
        if evaluation.vector:
            asked = "every difference_bound"
            bounds = frame.attrs["bounds"]
            measured = ", ".join(
                f"{column} {row[column]:.4f}" + (f" (bound {bounds[column]:g})"
                                                 if column in bounds else "")
                for column in metric_columns(frame))
        else:
            asked = f"difference_bound={plan.bounds[0]:g}"
            measured = f"{frame.attrs['metric']} {row['metric']:.4f}"
        if met and step == 0:
            warn(
                f"The original model already meets {asked} on {where} ({measured}); it "
                "is returned unchanged.",
                UserWarning,
            )
        elif not met:
            why = f" The path stopped: {stop_reason}." if stop_reason else ""
            warn(
                f"No point of the unlearning path meets {asked} on {where} without "
                f"degenerating: the closest has {measured} with {frame.attrs['score']} "
                f"{row['score']:.4f} (strength {row['strength']:g}) and is returned.{why}",
                UserWarning,
            )

    def _held_met(self, point, schedule, F0):
        """Whether every target steered by strength (with bounds) is at its request."""
        gap = schedule.distances(F0, point.target - schedule.goal(F0, point.strength))
        return bool(np.all(gap[schedule.held] <= self.tol))

    def _warn_held(self, point, schedule, plan):
        """With bounds: the objectives steered by strength, if the selected point misses them."""
        F0 = self._points[0].target
        gap = schedule.distances(F0, point.target - schedule.goal(F0, point.strength))
        for name, t, held, rows, far in zip(plan.names, plan.strengths, schedule.held,
                                            schedule.blocks, gap):
            if held and point.strength > 0 and far > self.tol:
                warn(
                    f"At the selected point the target {name!r} is {_fmt(point.target[rows])} "
                    f"where strength {t:g} asked for {_fmt((1 - t) * F0[rows])} (from "
                    f"{_fmt(F0[rows])}, tolerance {self.tol:g} of its norm): the targets "
                    "could not all move as requested.",
                    RuntimeWarning,
                )
