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
"""

import numpy as np

from .._dask import as_vector, compute
from ..losses import is_multi_output
from ._base import BoundObjective, Objective
from .multioutput import bind_multi_output


class Robustness(Objective):
    """Gap between the worst-case (radius ``radius``, l2) and the clean evaluation loss.

    Parameters
    ----------
    radius : float, default=0.1
        Radius of the l2 ball of input perturbations, in the units of ``X``
        (standardise features first).

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
        w = design.zeros() + 1.0 if sample_weight is None else as_vector(sample_weight)
        return _BoundRobustness(design, y, loss, float(self.radius), w / w.sum())

    def __repr__(self):
        return f"Robustness(radius={self.radius!r})"


class _BoundRobustness(BoundObjective):
    def __init__(self, design, y, loss, radius, mean_weights):
        self.design, self.y, self.loss, self.radius = design, as_vector(y), loss, radius
        self.mean_weights = mean_weights
        self.row_names = [f"robustness[r={radius:g}]"]
        self.d = design.n_features

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
