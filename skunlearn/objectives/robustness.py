"""Robustness target: how much the evaluation loss grows under worst-case input perturbations.

For a linear score the worst perturbation ``delta`` of an input with
``||delta||_2 <= r`` is closed form: the score can move by at most ``r ||w||_2``
either way and every supported loss is convex in the score, so the worst case
is at one end. The target is the *robustness gap*

.. math::

    F(\\theta) = \\frac1n \\sum_i \\big[ \\max_{\\pm} l(z_i \\pm r \\|w\\|, y_i)
                 - l(z_i, y_i) \\big]:

against the label for the log-loss (``l(z_i - r s_i ||w||)``, ``s_i = 2 y_i - 1``),
``(|y_i - z_i| + r ||w||)^2`` for squared error, and the end further from
``log y_i`` (in deviance) for a GLM's half deviance. For a network only the
output layer's inputs (the last hidden activations) are perturbed. Being closed form, the
worst case is recomputed at every ``theta`` (an adaptive attack, unlike a fixed
set of adversarial examples). It needs no sensitive features.

:class:`FixedPointRobustness` (``"paper_robustness"``) is the paper's target
instead (Qiao et al. 2025): the log-loss on adversarial points fixed once from
the original model, each evaluation point moved ``1.3`` times its distance to
the original decision boundary, past it,

.. math::

    x'_i = x_i - 1.3 \\, \\frac{w_0^\\top x_i + b_0}{\\|w_0\\|^2} \\, w_0, \\qquad
    F(\\theta) = \\frac1n \\sum_i l(w^\\top x'_i + b, y_i).

Its accuracy on those fixed points rewards *any* move away from the original
model (at the original model every point sits on the wrong side of the
boundary), so ``frontier_`` reports beside it the accuracy under the true
worst-case perturbation of radius ``radius``, recomputed at every point (as
:class:`Robustness` does; both report it).
"""

import numbers

import numpy as np

from .._dask import as_vector, compute, persist
from ..losses import is_multi_output
from ._base import BoundObjective, Objective
from .multioutput import bind_multi_output


def _mean_weights(design, sample_weight):
    w = design.zeros() + 1.0 if sample_weight is None else as_vector(sample_weight)
    return w / w.sum()


def _accuracy(z, y, mean_weights):
    """Weighted accuracy of the labels ``z > 0`` (how the classifiers predict)."""
    return float(compute(mean_weights @ ((z > 0) == (y > 0.5))))


def worst_case_accuracy(design, y, theta, radius, mean_weights):
    """Accuracy when each input may move by ``radius`` (l2) against its label.

    A linear score moves by at most ``radius * ||w||`` (Cauchy-Schwarz, reached
    along ``w``), so row ``i`` stays correct only if it does at the end of that
    interval further from its label: ``z_i - a`` for ``y_i = 1``, ``z_i + a`` for
    ``y_i = 0``, ``a = radius ||w||``.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design
    >>> from skunlearn.objectives.robustness import worst_case_accuracy
    >>> X = np.array([[-2.0], [-0.5], [0.5], [2.0]]); y = np.array([0, 0, 1, 1])
    >>> worst_case_accuracy(Design(X, False), y, np.array([1.0]), 1.0, np.full(4, 0.25))
    0.5
    """
    y = as_vector(y)
    a = radius * float(np.linalg.norm(theta[: design.n_features]))
    z = design.matvec(theta)
    return _accuracy(z - a * (2.0 * y - 1.0), y, mean_weights)


class Robustness(Objective):
    """Gap between the worst-case (radius ``radius``, l2) and the clean evaluation loss.

    Parameters
    ----------
    radius : float, default=0.1
        Radius of the l2 ball of input perturbations, in the units of ``X``
        (standardise features first).

    Notes
    -----
    The gap vanishes as ``w`` shrinks to 0, so a strength near 1 ends in a
    (nearly) constant model. For a classifier, ``frontier_`` reports
    ``worst_case_accuracy[r=...]`` at every point (the accuracy when every
    input is moved by ``radius`` against its label): choose the strength there.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skunlearn import SoftUnlearner
    >>> from skunlearn.objectives import Robustness
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3)); y = (X[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(int)
    >>> su = SoftUnlearner(LogisticRegression(C=100.0), objective=Robustness(radius=0.3),
    ...                    strength=0.3).fit(X, y)
    >>> bool(su.objective_after_.iloc[0] < su.objective_before_.iloc[0])
    True
    """

    name = "robustness"
    needs_groups = False

    def __init__(self, radius=0.1):
        self.radius = radius

    def bind(self, design, y, groups, loss, sample_weight=None):
        if is_multi_output(loss):  # a softmax bound, or per target
            return bind_multi_output(self, design, y, groups, loss, sample_weight)
        if not self.radius > 0:
            raise ValueError(f"radius must be positive, got {self.radius!r}.")
        return _BoundRobustness(design, y, loss, float(self.radius),
                                _mean_weights(design, sample_weight))

    def __repr__(self):
        return f"Robustness(radius={self.radius!r})"


class _BoundRobustness(BoundObjective):
    def __init__(self, design, y, loss, radius, mean_weights):
        self.design, self.y, self.loss, self.radius = design, as_vector(y), loss, radius
        self.mean_weights = mean_weights
        self.row_names = [f"robustness[r={radius:g}]"]
        self.d = design.n_features

    def diagnostics(self, theta, is_classifier):
        """The accuracy under the worst-case perturbation (classifiers)."""
        if not is_classifier:
            return {}
        return {f"worst_case_accuracy[r={self.radius:g}]":
                worst_case_accuracy(self.design, self.y, theta, self.radius, self.mean_weights)}

    def _parts(self, theta):
        """Clean scores, the norm of w, and (loss_adv, dloss_adv/dz, dloss_adv/d||w||)."""
        z = self.design.matvec(theta)
        norm = float(np.linalg.norm(theta[: self.d]))
        a = self.radius * norm
        # the loss is convex in the score, so over [z - a, z + a] it is largest at an end
        up, down = self.loss.value(z + a, self.y), self.loss.value(z - a, self.y)
        side = np.where(up >= down, 1.0, -1.0)
        dz = self.loss.derivative(z + side * a, self.y)
        return z, norm, np.maximum(up, down), dz, self.radius * side * dz

    def value(self, theta):
        z, _, adv, _, _ = self._parts(theta)
        return np.array([compute(self.mean_weights @ (adv - self.loss.value(z, self.y)))])

    def jacobian(self, theta):
        z, norm, _, dz_adv, dnorm = self._parts(theta)
        w = self.mean_weights
        grad = self.design.rmatvec(w * (dz_adv - self.loss.derivative(z, self.y)))
        if norm > 0:
            grad[: self.d] += compute(w @ dnorm) * theta[: self.d] / norm
        return grad[None, :]


class FixedPointRobustness(Objective):
    """The paper's robustness target: the loss on adversarial points fixed from the original model.

    Each evaluation point is moved ``factor`` times its distance to the
    decision boundary of the original parameters ``(w_0, b_0)``, across it
    (Qiao et al. 2025, with ``factor=1.3``), and the target is the mean loss
    of the current model on these fixed points with the original labels:

    .. math::

        x'_i = x_i - \\frac{\\texttt{factor}\\,(w_0^\\top x_i + b_0)}{\\|w_0\\|^2} w_0,
        \\qquad F(\\theta) = \\frac1n \\sum_i l(w^\\top x'_i + b, y_i).

    The points need not be formed: ``w^T x'_i + b = z_i - c_i w_0^T w`` with
    ``c_i = factor (w_0^T x_i + b_0) / ||w_0||^2``, so ``grad F`` is
    ``X~^T (l'(z') / n) - (sum_i c_i l'(z'_i) / n) [w_0, 0]``. The points are
    fixed with ``anchor(theta)`` (:class:`~skunlearn.SoftUnlearner` passes
    the fitted model's own parameters, before polishing), else at the first
    parameters the bound target is evaluated at; for a network the last
    hidden activations are moved. The loss has no zero: ``strength`` ``t`` asks for
    it to fall to ``(1 - t) F_0``, and at ``t = 1`` with ``weighting="soft",
    update="newton"`` the weights are the paper's (its scheme 2.3, which
    requests the first-order change ``-|F_0|``).

    At the original model every fixed point is on the wrong side of the
    boundary (its score is ``-(factor - 1) z_i``), so the accuracy on them is
    one minus the clean accuracy, and moving the boundary anywhere raises it.
    ``frontier_`` shows it (``fixed_point_accuracy``) beside the accuracy under
    the true worst-case l2 perturbation of radius ``radius``
    (``worst_case_accuracy[r=...]``, recomputed at every point as
    :class:`Robustness` does). Prefer :class:`Robustness` to make a model
    robust; this target is here to reproduce the paper by name.

    Parameters
    ----------
    factor : float, default=1.3
        How far each point is moved, in units of its distance to the original
        boundary (above 1: past it).
    radius : float, default=0.1
        Radius of the l2 perturbations of the reported worst-case accuracy.

    References
    ----------
    Qiao, X., Ding, Y., Cheng, Z., Zhang, W. (2025). Soft weighted machine
    unlearning. arXiv:2505.18783 (AAAI 2026).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skunlearn import SoftUnlearner
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3)); y = (X[:, 0] + rng.normal(size=400) > 0).astype(int)
    >>> su = SoftUnlearner(LogisticRegression(), objective="paper_robustness",
    ...                    strength=0.2).fit(X, y)
    >>> su.frontier_.iloc[[0, -1]][["score", "fixed_point_accuracy",
    ...                             "worst_case_accuracy[r=0.1]"]]
           score  fixed_point_accuracy  worst_case_accuracy[r=0.1]
    step
    0     0.7525                0.2475                      0.7000
    10    0.6500                0.4625                      0.6075

    Robust accuracy on the fixed points went up; under the true worst case it
    went down.
    """

    name = "paper_robustness"
    needs_groups = False
    classifier_only = True

    def __init__(self, factor=1.3, radius=0.1):
        self.factor = factor
        self.radius = radius

    def bind(self, design, y, groups, loss, sample_weight=None):
        for name in ("factor", "radius"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}.")
        return _BoundFixedPoints(design, y, loss, float(self.factor), float(self.radius),
                                 _mean_weights(design, sample_weight))

    def __repr__(self):
        return f"FixedPointRobustness(factor={self.factor!r}, radius={self.radius!r})"


class _BoundFixedPoints(BoundObjective):
    def __init__(self, design, y, loss, factor, radius, mean_weights):
        self.design, self.y, self.loss = design, as_vector(y), loss
        self.factor, self.radius, self.mean_weights = factor, radius, mean_weights
        self.row_names = [f"paper_robustness[{factor:g}x]"]
        self.d = design.n_features
        self.shift = self.direction = None

    def anchor(self, theta):
        """Fix the adversarial points from the parameters ``theta`` (the original model)."""
        theta = np.asarray(theta, dtype=float)
        w0 = theta[: self.d]
        norm2 = float(w0 @ w0)
        if not norm2 > 0:
            raise ValueError(
                "paper_robustness moves points past the original decision boundary, "
                "but the original coefficients are all zero (there is no boundary).")
        self.shift = persist(self.factor * self.design.matvec(theta) / norm2)  # c_i
        self.direction = np.zeros_like(theta)
        self.direction[: self.d] = w0
        return self

    def _scores(self, theta):
        """Scores of the fixed points: ``z_i - c_i w_0^T w``."""
        if self.shift is None:
            self.anchor(theta)
        return self.design.matvec(theta) - self.shift * float(self.direction @ theta)

    def value(self, theta):
        z = self._scores(theta)
        return np.array([compute(self.mean_weights @ self.loss.value(z, self.y))])

    def jacobian(self, theta):
        return self.value_and_jacobian(theta)[1]

    def value_and_jacobian(self, theta, evaluate=True):
        z = self._scores(theta)
        v = self.mean_weights * self.loss.derivative(z, self.y)
        parts = ((self.mean_weights @ self.loss.value(z, self.y)).reshape(1),
                 self.design.rmatvec_lazy(v[:, None]).T
                 - (v @ self.shift) * self.direction[None, :])
        return compute(*parts) if evaluate else parts

    def diagnostics(self, theta, is_classifier):
        """Accuracy on the fixed points and under the true worst case of radius ``radius``."""
        return {
            "fixed_point_accuracy": _accuracy(self._scores(theta), self.y, self.mean_weights),
            f"worst_case_accuracy[r={self.radius:g}]": worst_case_accuracy(
                self.design, self.y, theta, self.radius, self.mean_weights),
        }
