"""Group parity targets, named after fairlearn's constraints.

Each target is a smooth, signed surrogate of a fairlearn metric: within a subset
``S`` of the evaluation rows (all rows, ``y = 1`` or ``y = 0``) it compares the
mean of a per-row statistic in each group with its mean over ``S``,

.. math::

    F_g(\\theta) = \\frac{1}{|S_g|} \\sum_{i \\in S_g} \\phi_i(\\theta)
                 - \\frac{1}{|S|} \\sum_{i \\in S} \\phi_i(\\theta),

like fairlearn's ``DemographicParity`` moment ``E[h | A = g] - E[h]``. The row of
the last group is the weighted sum of the others, so it is dropped: ``k = G - 1``
independent rows per subset, and with two groups one signed row.

=============================  ==========  ==============  ===========================
name                           subset S    phi             fairlearn metric
=============================  ==========  ==============  ===========================
demographic_parity             all rows    prediction      demographic_parity_difference
equal_opportunity              y = 1       probability     true positive rate difference
false_positive_rate_parity     y = 0       probability     false positive rate difference
equalized_odds                 both        probability     equalized_odds_difference
error_rate_parity              all rows    per-row loss    error rate difference
=============================  ==========  ==============  ===========================

For a regressor the prediction is the score, so ``demographic_parity`` is parity
of the mean prediction and ``error_rate_parity`` parity of the squared error.
"""

import numpy as np

from ._base import LinearStatisticObjective, Objective

_SUBSETS = {
    "all": ("", None),
    "positive": ("tpr", 1.0),
    "negative": ("fpr", 0.0),
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

    Examples
    --------
    >>> from skunlearn.objectives import get_objective
    >>> get_objective("equalized_odds")
    GroupParity(name='equalized_odds')
    """

    def __init__(self, name, statistic, subsets, classifier_only=False):
        self.name = name
        self.statistic = statistic
        self.subsets = tuple(subsets)
        self.classifier_only = classifier_only

    def bind(self, design, y, groups, loss, sample_weight=None):
        codes, labels = groups
        w = np.ones(len(codes)) if sample_weight is None else np.asarray(sample_weight, float)
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
            if not in_subset.any():
                raise ValueError(
                    f"{self.name} needs evaluation rows with y = {label:g}; there are none."
                )
            counts = np.bincount(codes[in_subset], minlength=n_groups)
            empty = [labels[g] for g in range(n_groups) if counts[g] == 0]
            if empty:
                where = "" if label is None else f" with y = {label:g}"
                raise ValueError(
                    f"{self.name} needs every group to have evaluation rows{where}; "
                    f"group(s) {empty} have none."
                )
            overall = in_subset * w / np.sum(in_subset * w)
            for g in range(n_groups - 1):
                member = (in_subset & (codes == g)) * w
                columns.append(member / member.sum() - overall)
                tag = f"{prefix}:" if prefix else ""
                names.append(f"{self.name}[{tag}{labels[g]}]")
        return LinearStatisticObjective(
            design, y, np.column_stack(columns), self.statistic, loss, names
        )


class EvaluationLoss(Objective):
    """Utility: the mean loss of the model on the evaluation rows (no penalty).

    Its Hessian is available for the curvature-aware weights.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design
    >>> from skunlearn.losses import SquaredLoss
    >>> from skunlearn.objectives import EvaluationLoss
    >>> bound = EvaluationLoss().bind(Design(np.eye(2), False), np.ones(2), None, SquaredLoss())
    >>> bound.value(np.zeros(2))
    array([1.])
    """

    name = "utility"
    needs_groups = False

    def bind(self, design, y, groups, loss, sample_weight=None):
        n = design.n_samples
        w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
        return _BoundEvaluationLoss(
            design, y, (w / w.sum())[:, None], "loss", loss, ["utility"]
        )


class _BoundEvaluationLoss(LinearStatisticObjective):
    def hessian(self, theta):
        """``X~^T diag(w l''(z)) X~`` with the mean's weights ``w`` (1/n unweighted)."""
        z = self.design.matvec(theta)
        return self.design.gram(self.coefficients[:, 0] * self.loss.second_derivative(z, self.y))
