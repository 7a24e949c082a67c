"""The unlearning frontier: every path point measured with fairlearn's metric, and the choice of one.

A path (:class:`skunlearn.correction.Continuation`) gives a model at each
strength ``t``. :class:`Evaluation` measures each on evaluation rows with the
objective's hard-prediction metric (fairlearn's, e.g.
``demographic_parity_difference``) and the score (accuracy, or R^2 for a
regressor), and flags degenerate models: a classifier that predicts a single
class, or any model that scores below the constant predictor (the majority
class, or the mean for a regressor).

:func:`cross_fitted_frontier` gives the same measures on rows the model has
not seen, without an ``eval_set``: the training rows are split into ``K``
folds; for each fold the exact optimum without it is computed (Newton from the
full fit with the fold's weights set to 0, which is what refitting on the
other folds gives), its own path is followed over the same strengths, and the
fold's rows are predicted at each strength. The pooled out-of-fold predictions
give one metric and one score per strength, each row predicted by a model that
did not train on it. :func:`select_point` then picks the most accurate
non-degenerate strength meeting the bound, and the model returned is the path
on all rows at that strength.

References
----------
Chernozhukov, V. et al. (2018). Double/debiased machine learning for treatment
and structural parameters. The Econometrics Journal (cross-fitting).
"""

import warnings

import numpy as np
from sklearn.model_selection import StratifiedKFold, check_cv

from ._dask import as_vector, compute
from .correction import Continuation, label_cells
from .losses import is_multi_output
from .objectives.multioutput import output_metric, output_metric_name


class Evaluation:
    """Hard-prediction metric, score and degeneracy of linear models on fixed rows.

    Parameters
    ----------
    objective : Objective
        Gives the metric (:meth:`~skunlearn.objectives.GroupParity.hard_metric`);
        ``None`` measures the score only. For
        :class:`~skunlearn.objectives.Objectives` the metric is a vector: one
        entry per member that has a hard-prediction metric
        (:attr:`metric_members`, :attr:`metric_names`).
    design : skunlearn._linalg.Design
        Evaluation rows.
    y : ndarray of shape (n_samples,)
        Targets (0/1 for a classifier).
    groups : tuple (codes, labels) or None
    sample_weight : ndarray of shape (n_samples,) or None
    is_classifier : bool
    loss : loss object or None, default=None
        The model's loss: a regressor's prediction is ``loss.predict(z)`` (``exp(z)``
        for a GLM); ``None`` predicts the score ``z``.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design
    >>> from skunlearn.frontier import Evaluation
    >>> from skunlearn.objectives import get_objective
    >>> X = np.array([[-1.0], [1.0], [2.0], [-2.0]]); y = np.array([0, 1, 1, 1])
    >>> ev = Evaluation(get_objective("demographic_parity"), Design(X, False), y,
    ...                 (np.array([0, 0, 1, 1]), ["a", "b"]), None, True)
    >>> ev.measure(ev.predict(np.array([1.0])))
    {'metric': 0.0, 'score': 0.75, 'degenerate': False}
    >>> ev.measure(ev.predict(np.array([-1.0])))["degenerate"]   # accuracy 0.25 < 0.75
    True
    """

    def __init__(self, objective, design, y, groups, sample_weight, is_classifier, loss=None):
        self.objective, self.design, self.loss = objective, design, loss
        self.y = as_vector(y)
        self.groups = groups
        # several outputs per row (classes of a multinomial model, or targets)
        self.n_outputs = loss.n_outputs if is_multi_output(loss) else 1
        if sample_weight is not None:
            self.w = as_vector(sample_weight)
        else:
            self.w = np.ones_like(self.y if self.y.ndim == 1 else self.y[:, 0])
        self.is_classifier = bool(is_classifier)
        # several objectives measure a vector: one metric per member that has one
        members = [] if objective is None else list(getattr(objective, "parts", [objective]))
        self.vector = objective is not None and hasattr(objective, "parts")
        self._metered = [o for o in members if o.metric_name(is_classifier) is not None]
        self.metric_members = [o.name for o in self._metered]
        # several outputs: the worst class (target) of the metric taken one-vs-rest
        self.metric_names = [
            output_metric_name(o, is_classifier, loss) if is_multi_output(loss)
            else o.metric_name(is_classifier) for o in self._metered]
        self.metric_name = (None if self.vector or not self.metric_names
                            else self.metric_names[0])
        self.score_name = "accuracy" if is_classifier else "r2"
        # sums over the rows that every score needs (one pass for dask rows)
        self._total, self._weighted_y, self._present = compute(
            self.w.sum(), self.w @ self.y, np.sum(self.w > 0))
        if self.is_classifier and self.n_outputs > 1:
            counts = np.bincount(self.y.astype(np.intp), weights=self.w, minlength=self.n_outputs)
            self.baseline = float(counts.max() / self._total)  # the majority class
        elif self.is_classifier:
            rate = float(self._weighted_y / self._total)
            self.baseline = max(rate, 1.0 - rate)  # the majority class
        else:
            self.baseline = 0.0  # R^2 of the constant mean

    def predict(self, theta, rows=None):
        """Hard predictions (0/1, or scores for a regressor) of ``theta`` on the rows."""
        z = self.design.matvec(theta)
        if rows is not None:
            z = z[rows]
        if self.is_classifier and self.n_outputs > 1:
            return self.loss.hard_predict(z)  # class codes
        if self.is_classifier:
            return (z > 0).astype(float)
        return z if self.loss is None else self.loss.predict(z)

    def _score_sums(self, y_pred):
        """Two sums over rows giving the score (see :meth:`_score_from_sums`)."""
        w, y = self.w, self.y
        if self.is_classifier and self.n_outputs > 1:  # correct, and the classes predicted
            return [w @ (y_pred == y), np.count_nonzero(np.bincount(
                y_pred[w > 0].astype(np.intp), minlength=self.n_outputs))]
        if self.is_classifier:  # correct, and rows of positive weight predicted positive
            return [w @ (y_pred == y), np.sum((w > 0) & (y_pred > 0.5))]
        mean = self._weighted_y / self._total
        return [w @ (y - mean) ** 2, w @ (y - y_pred) ** 2]

    def _score_from_sums(self, sums):
        """The score, and the count of positive predictions (classifier; else None)."""
        if self.is_classifier:
            return float(sums[0] / self._total), int(sums[1])
        denominator, residual = sums
        if np.ndim(denominator):  # several targets: their mean R^2 (scikit-learn's r2_score)
            return float(np.mean(np.where(denominator > 0, 1.0 - residual / np.where(
                denominator > 0, denominator, 1.0), 0.0))), None
        return (float(1.0 - residual / denominator) if denominator > 0 else 0.0), None

    def score(self, y_pred):
        """Weighted accuracy (classifier) or R^2 (regressor)."""
        return self._score_from_sums(compute(*self._score_sums(y_pred)))[0]

    def measure(self, y_pred):
        """``metric``, ``score`` and ``degenerate`` of predictions of every evaluation row.

        ``metric`` is a float (``nan`` without a metric), or for several
        objectives an array with one entry per :attr:`metric_members`.
        """
        sums = self._score_sums(y_pred)
        spans = []  # per metered objective: how many of the sums are its own
        for objective in self._metered:
            if hasattr(objective, "metric_sums") and not is_multi_output(self.loss):
                # its sums go in the score's pass
                codes, labels = self.groups
                own = objective.metric_sums(
                    self.y, y_pred, codes, len(labels), self.w, self.is_classifier)
                spans.append(len(own))
                sums += own
            else:
                spans.append(None)
        sums = compute(*sums)
        score, positive = self._score_from_sums(sums[:2])
        if self.n_outputs > 1:  # positive counts the classes predicted
            single_class = self.is_classifier and positive <= 1
        else:
            single_class = self.is_classifier and positive in (0, int(self._present))
        metrics, at = [], 2
        for objective, span in zip(self._metered, spans):
            if span is not None:
                metrics.append(objective.metric_from_sums(sums[at:at + span]))
                at += span
                continue
            codes, labels = self.groups
            if is_multi_output(self.loss):
                metrics.append(output_metric(objective, self.y, y_pred, codes, len(labels),
                                             self.w, self.is_classifier, self.n_outputs))
            else:
                metrics.append(objective.hard_metric(
                    self.y, y_pred, codes, len(labels), self.w, self.is_classifier))
        if self.vector:
            metric = np.array(metrics, dtype=float)
        else:
            metric = metrics[0] if metrics else np.nan
        return {
            "metric": metric,
            "score": score,
            "degenerate": bool(single_class or score < self.baseline - 1e-12),
        }


def fold_cells(groups, y, is_classifier):
    """Stratification labels for the folds: group x label (classifier) or group.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.frontier import fold_cells
    >>> fold_cells((np.array([0, 0, 1, 1]), ["a", "b"]), np.array([0, 2, 1, 2]), True)
    array([0, 2, 4, 5])
    """
    codes = np.zeros(len(y), dtype=np.int64) if groups is None else np.asarray(groups[0])
    if is_classifier:
        codes = label_cells(codes, y)
    return codes


def make_folds(cv, n_samples, cells):
    """Train/held-out index pairs; an int ``cv`` is a StratifiedKFold on ``cells``.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.frontier import make_folds
    >>> folds = make_folds(2, 8, np.array([0, 1] * 4))
    >>> [len(held_out) for _, held_out in folds]
    [4, 4]
    """
    X_dummy = np.zeros((n_samples, 1))
    if isinstance(cv, int | np.integer):
        # Two rows per cell suffice: stratified folds then leave at least one in every
        # fold's training part, so each fold's target is defined. Smaller cells than
        # folds are accepted (a group of 8 rows is still a group); the split is as even
        # as the cell allows.
        sizes = np.bincount(cells)
        smallest = sizes[sizes > 0].min()
        if smallest < 2:
            raise ValueError(
                "cross-fitting needs at least 2 training rows in every group (and "
                "class), but one has 1: pass an eval_set, or merge that group into "
                "another."
            )
        splitter = StratifiedKFold(n_splits=int(cv))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The least populated class", UserWarning)
            return list(splitter.split(X_dummy, cells))
    splitter = check_cv(cv)
    return list(splitter.split(X_dummy, cells))


def cross_fitted_frontier(
    model, theta, objective, bind_target, bind_utility, evaluation, folds, strengths, *,
    path_options, is_met=None,
):
    """Out-of-fold metric and score at each strength, from one path per fold.

    Parameters
    ----------
    model : skunlearn.models.LinearModel
        Training objective on all rows.
    theta : ndarray
        Its optimum.
    objective : Objective
        The target (for its name in errors).
    bind_target, bind_utility : callable
        ``bind(sample_weight) -> BoundObjective`` on the training rows.
    evaluation : Evaluation
        On the training rows (all of them): pooled predictions are measured there.
    folds : list of (train_index, held_out_index)
    strengths : iterable of float
        Strengths at which to measure, in increasing order.
    path_options : dict
        Keyword arguments of :class:`~skunlearn.correction.Continuation`.
    is_met : callable or None
        ``is_met(record) -> bool``; strengths beyond 1 are measured only while
        no record meets it (the path goes past the surrogate's zero only as far
        as needed).

    Returns
    -------
    list of dict
        One record per strength measured (``strength``, ``metric``, ``score``,
        ``degenerate``), the original model (strength 0) first.
    """
    paths, held = [], []
    base_weights = model.sample_weight
    for train, held_out in folds:
        mask = np.zeros(model.n_samples)
        mask[train] = 1.0
        fold_model = model.reweighted(mask)
        fold_theta, info = fold_model.polish(theta)
        try:
            target = bind_target(base_weights * mask)
        except ValueError as exc:
            raise ValueError(
                f"Cross-fitting {objective.name!r} failed on a fold: {exc} Pass an "
                "eval_set or use fewer folds (cv)."
            ) from exc
        utility = bind_utility(base_weights * mask)
        paths.append(Continuation(fold_model, fold_theta, info["solver"], target, utility,
                                  **path_options))
        held.append(held_out)

    def pooled(points):
        y_pred = None
        for point, held_out in zip(points, held):
            part = evaluation.predict(point.theta, held_out)
            if y_pred is None:  # (n,), or (n, m) for several targets
                y_pred = np.empty((model.n_samples,) + np.shape(part)[1:])
            y_pred[held_out] = part
        return y_pred

    def step(t):
        points = [path.advance(t) for path in paths]
        record = dict(strength=float(t), **evaluation.measure(pooled(points)))
        return record, all(path.stop_reason is not None for path in paths)

    first = dict(strength=0.0, **evaluation.measure(pooled([p.points[0] for p in paths])))
    return follow(strengths, step, [first], is_met)


def follow(strengths, step, records, is_met=None):
    """Append ``step(t)``'s record for each strength until the path stops.

    ``step(t) -> (record, stopped)``. Strengths beyond 1 (past the surrogate's
    zero) are taken only while no record satisfies ``is_met``.

    Examples
    --------
    >>> from skunlearn.frontier import follow
    >>> follow([0.5, 1.0, 1.5], lambda t: ({"t": t}, False), [{"t": 0.0}],
    ...        is_met=lambda r: r["t"] >= 1.0)
    [{'t': 0.0}, {'t': 0.5}, {'t': 1.0}]
    """
    for t in strengths:
        if is_met is not None and t > 1.0 and any(map(is_met, records)):
            break
        record, stopped = step(t)
        records.append(record)
        if stopped:
            break
    return records


def metric_columns(frame):
    """The hard-metric columns of a ``frontier_``: ``metric``, or ``metric[name]`` per objective.

    Examples
    --------
    >>> import pandas as pd
    >>> from skunlearn.frontier import metric_columns
    >>> metric_columns(pd.DataFrame(columns=["strength", "metric[demographic_parity]",
    ...                                      "metric[equal_opportunity]", "score"]))
    ['metric[demographic_parity]', 'metric[equal_opportunity]']
    """
    if "metric" in frame.columns:
        return ["metric"]
    return [c for c in frame.columns if str(c).startswith("metric[")]


def select_point(metrics, scores, degenerate, bound):
    """Index of the most accurate non-degenerate point with ``metric <= bound``.

    Returns ``(index, met)``; when no point meets the bound, the non-degenerate
    point with the smallest metric (ties: the most accurate) and ``False``.
    With several metrics (``metrics`` of shape ``(n_points, m)``, ``bound`` of
    shape ``(m,)``, ``inf`` for a metric without a bound) a point meets the
    bound when every metric does, and the closest is the one whose largest
    excess over its bound is smallest.

    Examples
    --------
    >>> from skunlearn.frontier import select_point
    >>> select_point([0.2, 0.04, 0.01, 0.0], [0.85, 0.84, 0.83, 0.5],
    ...              [False, False, False, True], bound=0.05)
    (1, True)
    >>> select_point([0.2, 0.1], [0.85, 0.84], [False, False], bound=0.05)
    (1, False)
    >>> select_point([[0.2, 0.1], [0.04, 0.08], [0.03, 0.04]], [0.85, 0.84, 0.83],
    ...              [False, False, False], bound=[0.05, 0.05])
    (2, True)
    """
    metrics = np.asarray(metrics, float)
    scores = np.asarray(scores, float)
    bound = np.asarray(bound, float)
    if metrics.ndim == 2:
        finite = np.all(np.isfinite(metrics) | np.isinf(bound), axis=1)
        with np.errstate(invalid="ignore"):
            closeness = np.max(np.where(np.isinf(bound), -np.inf, metrics - bound), axis=1)
        meets = closeness <= 0
    else:
        finite = np.isfinite(metrics)
        closeness, meets = metrics, metrics <= bound
    usable = ~np.asarray(degenerate, bool) & finite
    if not usable.any():
        usable = finite
    met = usable & meets
    if met.any():
        candidates = np.flatnonzero(met)
        return int(candidates[np.argmax(scores[candidates])]), True
    candidates = np.flatnonzero(usable)
    order = np.lexsort((-scores[candidates], closeness[candidates]))
    return int(candidates[order[0]]), False
