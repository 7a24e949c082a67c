"""Adapter for :class:`~sklearn.linear_model.Ridge` and
:class:`~sklearn.linear_model.LinearRegression`, one target or several.

scikit-learn minimises

.. math::

    L(w, b) = \\sum_i s_i (y_i - x_i^T w - b)^2 + \\alpha \\|w\\|^2,

with ``alpha = 0`` for LinearRegression and the intercept never penalised. In the
:class:`LinearModel` form that is the squared loss with scale 1 and ``P = 2 alpha``
on the coefficients. The objective is quadratic, so one Newton step on the
reweighted objective is the exact weighted refit.

With ``m`` targets (``y`` of shape (n, m)) scikit-learn solves ``m`` such
problems sharing ``X`` and the sample weights (``alpha`` a scalar or one per
target): ``sum_i s_i ||y_i - W x_i - b||^2 + sum_j alpha_j ||w_j||^2``, read
into a :class:`~skunlearn.models.MultiOutputModel` with one block
``[w_j, b_j]`` per target (:class:`~skunlearn.losses.MultiSquaredLoss`; its
Hessian is block-diagonal).
"""

import numpy as np

from .._dask import as_vector
from ..losses import MultiSquaredLoss, SquaredLoss
from ._adapter import (
    ModelAdapter,
    _unwrap,
    coef_penalty,
    register_adapter,
    regression_target,
    row_weights,
)
from ._base import LinearModel
from ._multioutput import MultiOutputModel


def refuse_positive(est):
    """Raise for ``positive=True``: its optimum is not a stationary point."""
    if getattr(est, "positive", False):
        raise ValueError(
            "skunlearn does not support positive=True: the constrained optimum "
            "is not a stationary point, so influence functions do not apply."
        )


@register_adapter
class LeastSquaresAdapter(ModelAdapter):
    """Ridge and LinearRegression, one target or several, ``positive=False``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from skunlearn.models import LeastSquaresAdapter
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
    >>> est = Ridge(alpha=1.0).fit(X, y)
    >>> model = LeastSquaresAdapter.build(est, X, y, None)
    >>> theta = LeastSquaresAdapter.parameters(est)
    >>> bool(np.linalg.norm(model.gradient(theta)) < 1e-8)
    True
    """

    estimator_names = ("Ridge", "LinearRegression")
    is_classifier = False
    multi_target = True

    @classmethod
    def estimator_types(cls):
        from sklearn.linear_model import LinearRegression, Ridge

        return (Ridge, LinearRegression)

    @classmethod
    def _alpha(cls, est):
        alpha = np.asarray(getattr(est, "alpha", 0.0), dtype=float)
        if alpha.size != 1:
            raise ValueError(
                "skunlearn supports Ridge with a scalar alpha (one target) only, got "
                f"alpha of shape {alpha.shape}."
            )
        return float(alpha.ravel()[0])

    @classmethod
    def _alphas(cls, est):
        """The penalty strength of several targets: a float, or one per target."""
        alpha = np.asarray(getattr(est, "alpha", 0.0), dtype=float)
        return alpha if alpha.ndim == 1 and alpha.size > 1 else cls._alpha(est)

    @classmethod
    def check_params(cls, estimator):
        est = _unwrap(estimator)
        refuse_positive(est)
        (cls._alphas if cls.multi_target else cls._alpha)(est)  # raises for another alpha
        coef = getattr(est, "coef_", None)
        if coef is not None and np.ndim(coef) != 1 and not cls.multi_target:
            raise ValueError(
                "skunlearn supports single-target regression only; the model was "
                f"fitted with coef_ of shape {np.shape(coef)}."
            )

    @classmethod
    def build(cls, estimator, X, y, sample_weight):
        est = _unwrap(estimator)
        cls.check_params(est)
        if cls.multi_target and np.ndim(y) == 2:
            return cls._build_targets(est, X, as_vector(y), sample_weight)
        y = regression_target(y)
        sw = row_weights(sample_weight, y)
        penalty = coef_penalty(X.shape[1], 2.0 * cls._alpha(est), est.fit_intercept)
        return LinearModel(X, y, sw, SquaredLoss(), 1.0, penalty, est.fit_intercept)

    @classmethod
    def _build_targets(cls, est, X, Y, sample_weight):
        """Several targets: one block per target, its own ``alpha`` (module docstring)."""
        n_targets = Y.shape[1]
        alphas = np.broadcast_to(cls._alphas(est), (n_targets,))
        penalty = np.concatenate([coef_penalty(X.shape[1], 2.0 * a, est.fit_intercept)
                                  for a in alphas])
        sw = row_weights(sample_weight, Y[:, 0])
        return MultiOutputModel(X, Y, sw, MultiSquaredLoss(n_targets), 1.0, penalty,
                                est.fit_intercept)
