"""Group parity targets, named after fairlearn's constraints.

Each target is a smooth, signed surrogate of a fairlearn metric: within a subset
``S`` of the evaluation rows (all rows, ``y = 1`` or ``y = 0``) it compares the
mean of a per-row statistic in each group with its mean over ``S``,

.. math::

    F_g(\\theta) = \\frac{1}{|S_g|} \\sum_{i \\in S_g} \\phi_i(\\theta)
                 - \\frac{1}{|S|} \\sum_{i \\in S} \\phi_i(\\theta),

like fairlearn's ``DemographicParity`` moment ``E[h | A = g] - E[h]``. The row of
the largest group is implied by the others (the deviations sum to zero with the
group weights), so it is dropped: ``k = G - 1``
independent rows per subset, and with two groups one signed row.

=============================  ==========  ==============  ===========================
name                           subset S    phi             fairlearn metric
=============================  ==========  ==============  ===========================
demographic_parity             all rows    prediction      demographic_parity_difference
equal_opportunity              y = 1       probability     true positive rate difference
false_positive_rate_parity     y = 0       probability     false positive rate difference
equalized_odds                 both        probability     equalized_odds_difference
error_rate_parity              all rows    per-row loss    error rate difference
loss_equal_opportunity         y = 1       per-row loss    true positive rate difference
=============================  ==========  ==============  ===========================

``loss_equal_opportunity`` is the paper's "EOP" (Qiao et al. 2025, after Li &
Liu 2022): the gap in mean log-loss among ``y = 1`` rows *between* groups,
``reference="largest"``: each other group's mean minus the largest group's,
``F_g = mean_{S_g} phi - mean_{S_L} phi`` (with two groups the paper's single
number, up to its sign). Among ``y = 1`` rows the hard 0-1 loss of a group is
one minus its true positive rate, so its hard metric is the TPR difference.

The prediction is the loss's ``predict(z)``: the probability for the log-loss,
the linear probability ``(1 + z) / 2`` for RidgeClassifier's signed squared
loss, the score itself for least squares and ``exp(z)`` for a log-link GLM. So
for a regressor ``demographic_parity`` is parity of the mean prediction (of
what ``predict`` returns) and ``error_rate_parity`` parity of the per-row loss
(squared error, or half deviance for a GLM).
"""

import numpy as np

from .._dask import as_vector, compute, persist, stack_columns
from .._linalg import psd_factor
from ..losses import is_multi_output
from ._base import LinearStatisticObjective, Objective
from .multioutput import bind_multi_output

_SUBSETS = {
    "all": ("", None),
    "positive": ("tpr", 1.0),
    "negative": ("fpr", 0.0),
}

# fairlearn's name of the hard-prediction metric each surrogate stands for,
# keyed by (statistic, subsets, is_classifier)
_METRIC_NAMES = {
    ("prediction", ("all",), True): "demographic_parity_difference",
    ("prediction", ("positive",), True): "true_positive_rate_difference",
    ("prediction", ("negative",), True): "false_positive_rate_difference",
    ("prediction", ("positive", "negative"), True): "equalized_odds_difference",
    ("loss", ("all",), True): "zero_one_loss_difference",
    # among y = 1 rows the 0-1 loss is 1 - TPR: its group gap is the TPR gap
    ("loss", ("positive",), True): "true_positive_rate_difference",
    ("prediction", ("all",), False): "mean_prediction_difference",
    ("loss", ("all",), False): "mean_squared_error_difference",
}


class GroupParity(Objective):
    """Parity of a per-row statistic across groups, within one or more subsets.

    Parameters
    ----------
    name : str
        Name of the objective.
    statistic : {"prediction", "loss"}
        Per-row statistic compared across groups.
    subsets : tuple of {"all", "positive", "negative"}
        Rows over which the groups are compared (``"positive"``: ``y = 1``).
    classifier_only : bool
        Whether the objective requires a classifier.
    reference : {"overall", "largest"}, default="overall"
        What each group's mean is compared with: the mean over the whole subset
        (fairlearn's moments) or the largest group's mean (a gap between
        groups, as the paper's targets; with two groups the two differ by the
        factor ``1 - share`` of the smaller group, which leaves the weights
        unchanged).

    Examples
    --------
    >>> from skunlearn.objectives import get_objective
    >>> get_objective("equalized_odds")
    GroupParity(name='equalized_odds')
    """

    def __init__(self, name, statistic, subsets, classifier_only=False, reference="overall"):
        if reference not in ("overall", "largest"):
            raise ValueError(f"reference must be 'overall' or 'largest', got {reference!r}.")
        self.name = name
        self.statistic = statistic
        self.subsets = tuple(subsets)
        self.classifier_only = classifier_only
        self.reference = reference

    def bind(self, design, y, groups, loss, sample_weight=None):
        if is_multi_output(loss):  # per class or per target
            return bind_multi_output(self, design, y, groups, loss, sample_weight)
        codes, labels = groups
        w = design.zeros() + 1.0 if sample_weight is None else as_vector(sample_weight)
        n_groups = len(labels)
        if n_groups < 2:
            raise ValueError(
                f"{self.name} compares groups, but sensitive_features has a single "
                f"group ({labels[0]!r}); pass a column with at least two groups."
            )
        columns, names = [], []
        for subset in self.subsets:
            prefix, label = _SUBSETS[subset]
            in_subset = (w > 0) if label is None else (y == label) & (w > 0)
            # row counts and weights per group (one pass over dask rows)
            counts, sizes = compute(
                np.bincount(codes, weights=in_subset * 1.0, minlength=n_groups),
                np.bincount(codes, weights=in_subset * w, minlength=n_groups),
            )
            if not counts.any():
                raise ValueError(
                    f"{self.name} needs evaluation rows with y = {label:g}; there are none."
                )
            empty = [labels[g] for g in range(n_groups) if counts[g] == 0]
            if empty:
                where = "" if label is None else f" with y = {label:g}"
                raise ValueError(
                    f"{self.name} needs every group to have evaluation rows{where}; "
                    f"group(s) {empty} have none."
                )
            overall = in_subset * w / sizes.sum()
            # The deviations sum to zero with the group weights, so one row is implied
            # by the others. Dropping the largest group's row keeps it small whenever
            # the kept rows are: dropping a small group's row would multiply the kept
            # rows' residuals by (largest / small) in the one left implicit.
            implied = int(np.flatnonzero(sizes == sizes.max())[-1])
            if self.reference == "largest":
                overall = (in_subset & (codes == implied)) * w / sizes[implied]
            if self.statistic == "loss" and label is not None:
                prefix = f"y={label:g}"  # a loss among y = 1 rows is no rate
            tag = f"{prefix}:" if prefix else ""
            versus = f" - {labels[implied]}" if self.reference == "largest" else ""
            for g in (g for g in range(n_groups) if g != implied):
                member = (in_subset & (codes == g)) * w
                columns.append(member / sizes[g] - overall)
                names.append(f"{self.name}[{tag}{labels[g]}{versus}]")
        return LinearStatisticObjective(
            design, y, persist(stack_columns(columns)), self.statistic, loss, names
        )


    def metric_name(self, is_classifier):
        """fairlearn's name of the hard-prediction metric this target stands for.

        Examples
        --------
        >>> from skunlearn.objectives import get_objective
        >>> get_objective("equalized_odds").metric_name(is_classifier=True)
        'equalized_odds_difference'
        """
        return _METRIC_NAMES.get((self.statistic, self.subsets, bool(is_classifier)))

    def hard_metric(self, y, y_pred, codes, n_groups, sample_weight=None, is_classifier=True):
        """fairlearn's between-groups difference of the hard predictions (worst case over subsets).

        The per-row statistic is the predicted label (classifier) or prediction
        (regressor) for ``"prediction"`` targets, the 0-1 loss or squared error for
        ``"loss"`` targets; its weighted mean per group within each subset gives
        ``max - min``, and the largest over the subsets is returned, as
        :func:`fairlearn.metrics.equalized_odds_difference` does for its two rates.
        Groups with no row in a subset are left out of that subset.

        Parameters
        ----------
        y : ndarray of shape (n_samples,)
            True targets (0/1 for classifiers).
        y_pred : ndarray of shape (n_samples,)
            Hard predictions (0/1 for classifiers).
        codes : ndarray of shape (n_samples,)
            Group code of each row.
        n_groups : int
        sample_weight : ndarray of shape (n_samples,) or None
        is_classifier : bool

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from skunlearn.objectives import get_objective
        >>> y = np.array([1, 1, 0, 1, 0, 0]); pred = np.array([1, 0, 0, 1, 1, 1])
        >>> codes = np.array([0, 0, 0, 1, 1, 1])
        >>> get_objective("demographic_parity").hard_metric(y, pred, codes, 2)
        0.666...
        """
        return self.metric_from_sums(compute(*self.metric_sums(
            y, y_pred, codes, n_groups, sample_weight, is_classifier)))

    def metric_sums(self, y, y_pred, codes, n_groups, sample_weight=None, is_classifier=True):
        """The sums over rows :meth:`hard_metric` needs, unevaluated for dask rows.

        Per subset, the weight of each group and the weighted sum of its statistic
        (a flat list, two arrays per subset) for :meth:`metric_from_sums`.
        """
        y, y_pred = as_vector(y), as_vector(y_pred)
        w = np.ones_like(y) if sample_weight is None else as_vector(sample_weight)
        if self.statistic == "prediction":
            stat = y_pred
        elif is_classifier:
            stat = (y_pred != y).astype(float)
        else:
            stat = (y - y_pred) ** 2
        sums_by_subset = []
        for subset in self.subsets:
            label = _SUBSETS[subset][1]
            rows = (w > 0) if label is None else (w > 0) & (y == label)
            sums_by_subset += [np.bincount(codes, weights=rows * w, minlength=n_groups),
                               np.bincount(codes, weights=rows * w * stat, minlength=n_groups)]
        return sums_by_subset

    @staticmethod
    def metric_from_sums(sums_by_subset):
        """:meth:`hard_metric` from the evaluated :meth:`metric_sums`."""
        worst = 0.0
        for totals, sums in zip(sums_by_subset[::2], sums_by_subset[1::2]):
            present = totals > 0
            if present.sum() >= 2:
                means = sums[present] / totals[present]
                worst = max(worst, float(means.max() - means.min()))
        return worst


class EvaluationLoss(Objective):
    """Utility: the mean loss of the model on the evaluation rows (no penalty).

    .. math::

        U(\\theta) = \\frac{1}{\\sum_j m_j} \\sum_j m_j \\, l(\\tilde x_j^\\top \\theta, y_j)

    over the evaluation rows ``j`` (weights ``m``). It is the utility side of
    every weight problem, and its Hessian is available for the curvature-aware
    weights.

    As ``objective="utility"`` it is the *target*: influence-based data
    cleaning. The influence of row ``i`` on the held-out loss is
    ``f_i = -grad U^T H^{-1} g_i`` (Koh & Liang 2017); rows with ``f_i > 0``
    (up-weighting them raises the held-out loss, e.g. mislabelled rows) are
    down-weighted, the continuous counterpart of dropping them (Wang, Huan &
    Li 2020). The loss has no zero to reach, so ``strength`` ``t`` asks
    for the held-out loss to fall by the fraction ``t``, to ``(1 - t) U_0``;
    what can be reached is bounded by the best loss a model of the family gets
    on those rows, so a path asked for more stops where reweighting cannot go
    further (choose the strength on other held-out rows). The soft weights drop
    their utility constraint (the target is the utility: holding it would
    cancel the request) and become the minimum-norm weights ``eps`` proportional
    to ``-f``; the curvature-aware weights pay the target's own second-order
    cost. It needs an ``eval_set``: on the training rows the fitted model
    already minimises (nearly) this loss.

    Parameters
    ----------
    row_name : str, default="utility"
        Name of its row (``"held_out_loss"`` as the target, so that
        ``influence_`` and ``frontier_`` keep it apart from the utility column).

    References
    ----------
    Koh, P. W. and Liang, P. (2017). Understanding black-box predictions via
    influence functions. ICML.

    Wang, Z., Huan, Z. and Li, C. (2020). Less is better: unweighted data
    subsampling via influence function. AAAI.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design
    >>> from skunlearn.losses import SquaredLoss
    >>> from skunlearn.objectives import EvaluationLoss
    >>> bound = EvaluationLoss().bind(Design(np.eye(2), False), np.ones(2), None, SquaredLoss())
    >>> bound.value(np.zeros(2))
    array([1.])

    Clean a model trained on partly flipped labels against trusted held-out rows:

    >>> from sklearn.linear_model import LogisticRegression
    >>> from skunlearn import SoftUnlearner
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(700, 3))
    >>> y = (X @ [2.0, -1.0, 1.0] + rng.logistic(size=700) > 0).astype(int)
    >>> flipped = rng.random(500) < 0.2
    >>> y_noisy = np.where(flipped, 1 - y[:500], y[:500])
    >>> su = SoftUnlearner(LogisticRegression(), objective="utility", strength=0.1)
    >>> su = su.fit(X[:500], y_noisy, eval_set=(X[500:], y[500:]))
    >>> print(f"{su.utility_after_ / su.utility_before_:.3f}")     # held-out loss -10%
    0.904
    >>> bool(su.weights_[flipped].mean() < su.weights_[~flipped].mean())
    True
    """

    name = "utility"
    needs_groups = False
    needs_eval_set = True

    def __init__(self, row_name="utility"):
        self.row_name = row_name

    def bind(self, design, y, groups, loss, sample_weight=None):
        if is_multi_output(loss):
            return bind_multi_output(self, design, y, groups, loss, sample_weight)
        w = design.zeros() + 1.0 if sample_weight is None else as_vector(sample_weight)
        return _BoundEvaluationLoss(
            design, y, persist(w[:, None] / compute(w.sum())), "loss", loss, [self.row_name]
        )


class _BoundEvaluationLoss(LinearStatisticObjective):
    # as a target it is the utility itself: holding utility would cancel the request
    hold_utility = False

    def curvature(self, theta):
        """Per-row ``w_i l''(z_i)``: the Hessian is ``X~^T diag(curvature) X~``."""
        z = self.design.matvec(theta)
        return self.coefficients[:, 0] * self.loss.second_derivative(z, self.y)

    def hessian(self, theta):
        """``X~^T diag(w l''(z)) X~`` with the mean's weights ``w`` (1/n unweighted)."""
        return self.design.gram(self.curvature(theta))

    def hessian_factor(self, theta, rank=None):
        """``L`` with ``L L^T`` the Hessian (``rank=None``) or its best rank-``rank`` approximation."""
        if rank is None:
            return psd_factor(self.hessian(theta))
        return self.design.gram_factor(self.curvature(theta), rank)
