"""Targets of models with several outputs: per class (one-vs-rest) or per target.

A multinomial model predicts ``K`` class probabilities per row, a multi-target
regressor ``m`` numbers; the parameters are one block per output
(:class:`~skunlearn.models.MultiOutputModel`). Each objective is read output
by output:

=============================  =====================================================  ===========================================
objective                      multinomial (K classes)                                several targets
=============================  =====================================================  ===========================================
demographic_parity             per class k and group g: mean predicted probability    per target: mean prediction per group
                               of k in g minus overall (``K - 1`` classes: the
                               probabilities sum to one, so the most frequent
                               class's rows are implied)
equal_opportunity              per class, rows with ``y = k``: mean probability of    (classifiers only)
                               k per group minus overall (one-vs-rest TPR)
false_positive_rate_parity     per class, rows with ``y != k`` (one-vs-rest FPR)      (classifiers only)
equalized_odds                 both, per class                                        (classifiers only)
error_rate_parity              per-row cross-entropy per group                        per target: squared error per group
robustness                     pairwise worst-case bound (below)                      per target: its worst case
=============================  =====================================================  ===========================================

The hard-prediction metric is fairlearn's, one-vs-rest per class (predicted
``== k`` against ``y == k``) or per target, and the worst output is reported
(``demographic_parity_difference`` of the worst class, ...); for
``error_rate_parity`` on classes, the zero-one loss difference itself.

For several targets every objective is simply the one-output objective of each
target on its own block (``m`` independent least-squares problems share the
rows): rows are stacked, the utility is the sum of the targets' losses.

**Robustness of a softmax model.** The worst-case loss over an l2 ball of
inputs has no closed form for ``K > 2``; the target bounds it by attacking
every class's margin separately,

.. math::

    \\max_{\\|\\delta\\| \\le r} \\ell(x + \\delta) \\le
    \\log \\sum_k \\exp\\big(z_k - z_y + r \\|w_k - w_y\\|\\big),

which is the exact worst case of the binary model for ``K = 2``; ``F`` is its
mean minus the clean cross-entropy. Like the binary target it is recomputed at
every ``theta``.
"""

import copy

import numpy as np
from scipy.special import logsumexp, softmax

from .._linalg import psd_factor
from ..losses import SquaredLoss, is_multi_output
from ._base import BoundObjective


class OutputStatisticObjective(BoundObjective):
    """``F_j(theta) = sum_i C_ij phi_j(z_i)``: a fixed linear map of one output's statistic per row.

    ``phi_j`` is the predicted value of output ``outputs[j]`` (``"prediction"``:
    a class probability) or the row's loss (``"loss"``, with ``outputs=None``).

    Parameters
    ----------
    design : skunlearn._linalg.OutputBlocks
    y : ndarray of shape (n_samples,)
        Class codes.
    coefficients : ndarray of shape (n_samples, k)
    statistic : {"prediction", "loss"}
    loss : SoftmaxLoss
    row_names : list of str
    outputs : ndarray of shape (k,) or None
        The output each row of ``F`` reads (``None`` for the loss).

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design, OutputBlocks
    >>> from skunlearn.losses import SoftmaxLoss
    >>> from skunlearn.objectives.multioutput import OutputStatisticObjective
    >>> design = OutputBlocks(Design(np.array([[0.0], [1.0]]), False), 3)
    >>> mean_p2 = OutputStatisticObjective(design, np.zeros(2), np.full((2, 1), 0.5),
    ...                                    "prediction", SoftmaxLoss(3), ["p2"], [2])
    >>> mean_p2.value(np.zeros(3))                  # equal scores: probability 1/3
    array([0.33333333])
    """

    def __init__(self, design, y, coefficients, statistic, loss, row_names, outputs=None):
        self.design, self.y, self.loss = design, np.asarray(y, dtype=float), loss
        self.coefficients = np.asarray(coefficients, dtype=float)
        self.statistic = statistic
        self.row_names = list(row_names)
        self.outputs = None if outputs is None else np.asarray(outputs, dtype=np.intp)

    def _parts(self, theta, derivatives=True):
        """Per-row statistics ``(n, k)`` and their derivatives in the scores ``(n, K, k)``."""
        Z = self.design.matvec(theta)
        k = self.coefficients.shape[1]
        if self.statistic == "prediction":
            values = self.loss.predict(Z)[:, self.outputs]
            D = (self.loss.predict_jacobian(Z)[:, self.outputs, :].transpose(0, 2, 1)
                 if derivatives else None)
        else:
            values = np.repeat(self.loss.value(Z, self.y)[:, None], k, axis=1)
            D = (np.repeat(self.loss.derivative(Z, self.y)[:, :, None], k, axis=2)
                 if derivatives else None)
        return values, D

    def value(self, theta, evaluate=True):
        values, _ = self._parts(theta, derivatives=False)
        return np.einsum("nk,nk->k", self.coefficients, values)

    def jacobian(self, theta):
        return self.value_and_jacobian(theta)[1]

    def value_and_jacobian(self, theta, evaluate=True):
        values, D = self._parts(theta)
        jac = self.design.rmatvec(self.coefficients[:, None, :] * D).T
        return np.einsum("nk,nk->k", self.coefficients, values), jac


class _BoundOutputLoss(OutputStatisticObjective):
    """The mean loss of a softmax model (its Hessian for the curvature weights)."""

    def hessian(self, theta):
        Z = self.design.matvec(theta)
        curvature = self.coefficients[:, 0, None, None] * self.loss.second_derivative(Z, self.y)
        return self.design.gram(curvature)

    def hessian_factor(self, theta, rank=None):
        """``L`` with ``L L^T`` the Hessian (no low-rank form: multi-output models solve directly)."""
        return psd_factor(self.hessian(theta))


class PerOutputObjective(BoundObjective):
    """One-output objectives, one per parameter block, stacked (or summed): ``m`` targets.

    Parameters
    ----------
    design : skunlearn._linalg.OutputBlocks
    parts : list of BoundObjective
        ``parts[j]`` is bound on ``design.rows`` and reads block ``j``.
    names : list of str
        The output names (row names become ``name[target=j|...]``).
    total : bool, default=False
        Sum the parts' rows (the utility: the loss summed over targets) instead
        of stacking them.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design, OutputBlocks
    >>> from skunlearn.losses import SquaredLoss
    >>> from skunlearn.objectives import EvaluationLoss
    >>> from skunlearn.objectives.multioutput import PerOutputObjective
    >>> rows = Design(np.array([[1.0], [2.0]]), False)
    >>> parts = [EvaluationLoss().bind(rows, y, None, SquaredLoss()) for y in ([1.0, 2.0], [0.0, 0.0])]
    >>> both = PerOutputObjective(OutputBlocks(rows, 2), parts, ["t0", "t1"], total=True)
    >>> both.value(np.array([1.0, 1.0]))                 # 0 + (1 + 4) / 2
    array([2.5])
    """

    def __init__(self, design, parts, names, total=False):
        self.design, self.parts, self.total = design, parts, total
        if total:
            self.row_names = list(parts[0].row_names)
        else:
            self.row_names = [_named(row, name) for part, name in zip(parts, names)
                              for row in part.row_names]

    def _block(self, theta, j):
        p = self.design.block_size
        return np.asarray(theta, dtype=float)[j * p:(j + 1) * p]

    def value(self, theta, evaluate=True):
        values = [np.atleast_1d(part.value(self._block(theta, j)))
                  for j, part in enumerate(self.parts)]
        return np.sum(values, axis=0) if self.total else np.concatenate(values)

    def jacobian(self, theta):
        p = self.design.block_size
        rows = []
        for j, part in enumerate(self.parts):
            jac = np.asarray(part.jacobian(self._block(theta, j)))
            full = np.zeros((jac.shape[0], self.design.n_params))
            full[:, j * p:(j + 1) * p] = jac
            rows.append(full)
        return np.sum(rows, axis=0) if self.total else np.vstack(rows)

    def hessian(self, theta):
        """Block-diagonal: the targets' parameters do not interact."""
        p = self.design.block_size
        H = np.zeros((self.design.n_params,) * 2)
        for j, part in enumerate(self.parts):
            H[j * p:(j + 1) * p, j * p:(j + 1) * p] = part.hessian(self._block(theta, j))
        return H

    def hessian_factor(self, theta, rank=None):
        return psd_factor(self.hessian(theta))


class _BoundPairwiseRobustness(BoundObjective):
    """Softmax robustness bound (module docstring): every class margin attacked on its own."""

    def __init__(self, design, y, loss, radius, mean_weights):
        self.design, self.loss, self.radius = design, loss, radius
        self.codes = np.asarray(y).astype(np.intp)
        self.mean_weights = np.asarray(mean_weights, dtype=float)
        self.row_names = [f"robustness[r={radius:g}]"]

    def _parts(self, theta):
        K, p, d = self.design.n_outputs, self.design.block_size, self.design.n_features
        Z = self.design.matvec(theta)
        W = np.asarray(theta, dtype=float).reshape(K, p)[:, :d]
        diff = W[:, None, :] - W[None, :, :]  # [k, c] = w_k - w_c
        norms = np.linalg.norm(diff, axis=2)
        rows = np.arange(len(Z))
        A = Z - Z[rows, self.codes][:, None] + self.radius * norms[:, self.codes].T
        return Z, diff, norms, A

    def value(self, theta):
        Z, _, _, A = self._parts(theta)
        return np.array([self.mean_weights @ (logsumexp(A, axis=1) - self.loss.value(Z, self.codes))])

    def jacobian(self, theta):
        K, p, d = self.design.n_outputs, self.design.block_size, self.design.n_features
        Z, diff, norms, A = self._parts(theta)
        m = self.mean_weights
        # d/dz of logsumexp(A) is softmax(A) - e_y, of the clean loss softmax(Z) - e_y
        grad = self.design.rmatvec(m[:, None] * (softmax(A, axis=1) - self.loss.predict(Z)))
        # through the norms: M[k, c] = sum over rows of class c of m_i softmax(A)_ik
        Q = softmax(A, axis=1)
        M = np.stack([np.bincount(self.codes, weights=m * Q[:, k], minlength=K)
                      for k in range(K)])
        S = np.where(norms > 0, M / np.where(norms > 0, norms, 1.0), 0.0)
        np.fill_diagonal(S, 0.0)
        blocks = grad.reshape(K, p)
        blocks[:, :d] += self.radius * np.einsum("kc,kcj->kj", S + S.T, diff)
        return blocks.reshape(1, -1)


def _named(row, output):
    """``name[rest]`` -> ``name[output|rest]``."""
    head, bracket, rest = row.partition("[")
    return f"{head}[{output}|{rest}" if bracket else f"{row}[{output}]"


def bind_multi_output(objective, design, y, groups, loss, sample_weight=None):
    """Bind ``objective`` for a model with several outputs (see the module docstring).

    Parameters
    ----------
    objective : Objective
    design : skunlearn._linalg.OutputBlocks
    y : ndarray of shape (n_samples,) or (n_samples, m)
        Class codes (softmax) or the targets.
    groups : tuple (codes, labels) or None
    loss : SoftmaxLoss or MultiSquaredLoss
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    BoundObjective

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design, OutputBlocks
    >>> from skunlearn.losses import SoftmaxLoss
    >>> from skunlearn.objectives import get_objective
    >>> from skunlearn.objectives.multioutput import bind_multi_output
    >>> design = OutputBlocks(Design(np.eye(6), False), 3)
    >>> y = np.array([0, 1, 2, 0, 1, 2.0]); A = np.array([0, 0, 0, 1, 1, 1])
    >>> bound = bind_multi_output(get_objective("demographic_parity"), design, y,
    ...                           (A, ["a", "b"]), SoftmaxLoss(3))
    >>> bound.row_names       # the largest class's rows are implied (here the last of 3 ties)
    ['demographic_parity[class=0|a]', 'demographic_parity[class=1|a]']
    """
    from .parity import EvaluationLoss, GroupParity
    from .robustness import Robustness

    y = np.asarray(y, dtype=float)
    if not getattr(loss, "simplex", False):  # several targets: one objective per target
        parts = [objective.bind(design.rows, y[:, j], groups, SquaredLoss(), sample_weight)
                 for j in range(loss.n_outputs)]
        return PerOutputObjective(design, parts, loss.output_names,
                                  total=isinstance(objective, EvaluationLoss))
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if isinstance(objective, EvaluationLoss):
        return _BoundOutputLoss(design, y, (w / w.sum())[:, None], "loss", loss, ["utility"])
    if isinstance(objective, Robustness):
        if not objective.radius > 0:
            raise ValueError(f"radius must be positive, got {objective.radius!r}.")
        return _BoundPairwiseRobustness(design, y, loss, float(objective.radius), w / w.sum())
    if isinstance(objective, GroupParity):
        return _bind_class_parity(objective, design, y, groups, loss, sample_weight, w)
    raise ValueError(
        f"objective {objective.name!r} is not available for a multinomial model; use "
        "'demographic_parity', 'equal_opportunity', 'false_positive_rate_parity', "
        "'equalized_odds', 'error_rate_parity' or 'robustness'."
    )


def _bind_class_parity(objective, design, y, groups, loss, sample_weight, w):
    """Group parity per class, one-vs-rest: the binary target of ``y == k`` for each class."""
    from .parity import GroupParity

    K = loss.n_outputs
    present = np.bincount(y.astype(np.intp), weights=w, minlength=K)
    implied = int(np.flatnonzero(present == present.max())[-1])
    columns, names, outputs = [], [], []
    for subset in objective.subsets:
        single = copy.copy(objective)
        single.subsets = (subset,)
        whole_row_loss = objective.statistic == "loss"
        if whole_row_loss and subset == "all":  # one row per group: the classes play no part
            classes = [None]
        elif subset == "all":  # the probabilities sum to one: one class is implied
            classes = [k for k in range(K) if k != implied]
        else:
            classes = range(K)
        for k in classes:
            y_k = y if k is None else (y == k).astype(float)
            try:
                bound = GroupParity.bind(single, design.rows, y_k, groups, None, sample_weight)
            except ValueError as exc:
                where = "" if k is None else f" (one-vs-rest for {loss.output_names[k]})"
                raise ValueError(f"{exc}{where}") from None
            columns.append(bound.coefficients)
            names += (bound.row_names if k is None
                      else [_named(row, loss.output_names[k]) for row in bound.row_names])
            outputs += [k] * len(bound.row_names)
    if objective.statistic == "loss":
        return OutputStatisticObjective(design, y, np.hstack(columns), "loss", loss, names)
    return OutputStatisticObjective(design, y, np.hstack(columns), "prediction", loss, names,
                                    outputs)


# ----------------------------------------------------------------- hard metrics
def output_metric_name(objective, is_classifier, loss):
    """fairlearn's metric the target stands for, with the output it is taken on.

    Examples
    --------
    >>> from skunlearn.losses import SoftmaxLoss
    >>> from skunlearn.objectives import get_objective
    >>> from skunlearn.objectives.multioutput import output_metric_name
    >>> output_metric_name(get_objective("equalized_odds"), True, SoftmaxLoss(3))
    'equalized_odds_difference (worst class, one-vs-rest)'
    """
    name = objective.metric_name(is_classifier)
    if name is None:
        return None
    if getattr(objective, "statistic", None) == "loss" and is_classifier:
        return name  # the zero-one loss of the multiclass prediction itself
    return f"{name} ({'worst class, one-vs-rest' if is_classifier else 'worst target'})"


def _per_output(objective, y, y_pred, is_classifier, n_outputs):
    """``(y, y_pred)`` of each output: indicators of each class, or each target's column."""
    if getattr(objective, "statistic", None) == "loss" and is_classifier:
        return [(y, y_pred)]
    if is_classifier:
        return [((y == k).astype(float), (y_pred == k).astype(float)) for k in range(n_outputs)]
    return [(y[:, j], y_pred[:, j]) for j in range(n_outputs)]


def output_metric(objective, y, y_pred, codes, n_groups, sample_weight, is_classifier,
                  n_outputs):
    """The worst output's hard-prediction metric (see :func:`output_metric_name`).

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.objectives import get_objective
    >>> from skunlearn.objectives.multioutput import output_metric
    >>> y = np.array([0, 1, 2, 0, 1, 2.0]); pred = np.array([0, 1, 2, 0, 0, 0.0])
    >>> A = np.array([0, 0, 0, 1, 1, 1])     # class 0: selection 1/3 against 1
    >>> round(output_metric(get_objective("demographic_parity"), y, pred, A, 2, None, True, 3), 4)
    0.6667
    """
    return max(objective.hard_metric(y_k, p_k, codes, n_groups, sample_weight, is_classifier)
               for y_k, p_k in _per_output(objective, y, y_pred, is_classifier, n_outputs))


def bind_objective(objective, design, y, groups, loss, sample_weight=None):
    """``objective.bind(...)``, through :func:`bind_multi_output` for a loss of several outputs.

    Objectives that do not know of several outputs themselves (any
    :class:`Objective`) are bound target by target for a multi-target
    regressor, and refused by name for a multinomial model.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design
    >>> from skunlearn.losses import SquaredLoss
    >>> from skunlearn.objectives import EvaluationLoss
    >>> from skunlearn.objectives.multioutput import bind_objective
    >>> bind_objective(EvaluationLoss(), Design(np.eye(2), False), np.ones(2), None,
    ...                SquaredLoss()).row_names
    ['utility']
    """
    if is_multi_output(loss):
        return bind_multi_output(objective, design, y, groups, loss, sample_weight)
    return objective.bind(design, y, groups, loss, sample_weight)
