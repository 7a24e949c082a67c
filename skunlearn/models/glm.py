"""Adapter for :class:`~sklearn.linear_model.PoissonRegressor`,
:class:`~sklearn.linear_model.GammaRegressor` and
:class:`~sklearn.linear_model.TweedieRegressor` (log link, ``1 <= power <= 2``).

scikit-learn's ``_GeneralizedLinearRegressor`` minimises (any solver)

.. math::

    L(w, b) = \\frac{1}{\\sum_i s_i} \\sum_i s_i \\, \\tfrac12 d_p(y_i, e^{x_i^T w + b})
              + \\tfrac{\\alpha}{2} \\|w\\|^2,

with ``d_p`` the unit Tweedie deviance of power ``p`` (1 Poisson, 2 Gamma) and
the intercept unpenalised. In the :class:`LinearModel` form: the half deviance
(:class:`~skunlearn.losses.HalfTweedieLoss`), scale ``c = 1 / sum(s)`` and
``P = alpha`` on the coefficients.

Reweighting keeps ``c`` fixed at the original ``1 / sum(s)``: the reweighted
optimum is scikit-learn's weighted fit with ``sample_weight * (1 + eps)`` and
``alpha * sum(s) / sum(s (1 + eps))``, i.e. the penalty keeps its weight
relative to the summed loss (scikit-learn, dividing by the new total, would
strengthen it by the fraction of weight removed). With ``alpha = 0`` the two
coincide. Influences, the newton, path and refit updates all use this one
objective; the refit update warm-starts the estimator's own solver at that
rescaled ``alpha`` and polishes.

The prediction is ``exp(z)`` (the mean), not the score ``z``: objectives on
predictions (mean-prediction parity) use ``exp(z)`` through the loss.
``power`` outside ``[1, 2]`` makes the half deviance non-convex in the score
(negative per-row curvature), and the identity link is not supported: both are
refused.
"""

import numpy as np
from sklearn.base import clone

from ..losses import HalfTweedieLoss
from ._adapter import _unwrap, coef_penalty, register_adapter, regression_target, row_weights
from ._base import LinearModel
from .least_squares import LeastSquaresAdapter


def _power(est):
    """Tweedie power of a fitted or unfitted GLM (Poisson 1, Gamma 2)."""
    from sklearn.linear_model import GammaRegressor, PoissonRegressor

    if isinstance(est, PoissonRegressor):
        return 1.0
    if isinstance(est, GammaRegressor):
        return 2.0
    return float(est.power)


@register_adapter
class GLMAdapter(LeastSquaresAdapter):
    """PoissonRegressor, GammaRegressor, TweedieRegressor (log link, ``1 <= power <= 2``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import PoissonRegressor
    >>> from skunlearn.models import adapter_for
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); y = rng.poisson(np.exp(0.5 * X[:, 0]))
    >>> est = PoissonRegressor(alpha=0.1, tol=1e-10).fit(X, y)
    >>> adapter = adapter_for(est)
    >>> model = adapter.build(est, X, y, None)
    >>> bool(np.linalg.norm(model.gradient(adapter.parameters(est))) < 1e-8)
    True
    >>> np.allclose(model.loss.predict(model.scores(adapter.parameters(est))), est.predict(X))
    True
    """

    estimator_names = ("PoissonRegressor", "GammaRegressor", "TweedieRegressor")
    multi_target = False
    is_classifier = False

    @classmethod
    def estimator_types(cls):
        from sklearn.linear_model import GammaRegressor, PoissonRegressor, TweedieRegressor

        return (PoissonRegressor, GammaRegressor, TweedieRegressor)

    @classmethod
    def check_params(cls, estimator):
        est = _unwrap(estimator)
        power = _power(est)
        link = getattr(est, "link", "log")
        if link == "identity" or (link == "auto" and power <= 0):
            raise ValueError(
                f"skunlearn supports {type(est).__name__} with the log link only, "
                f"got link={link!r} (power={power:g})."
            )
        if not 1.0 <= power <= 2.0:
            raise ValueError(
                f"skunlearn supports TweedieRegressor with 1 <= power <= 2, got "
                f"power={power:g}: outside that range the half deviance is not convex "
                "in the linear score (rows of negative curvature), so the Hessian "
                "influence functions need may be indefinite."
            )
        super().check_params(est)

    @classmethod
    def _alpha(cls, est):
        return float(est.alpha)

    @classmethod
    def build(cls, estimator, X, y, sample_weight):
        est = _unwrap(estimator)
        cls.check_params(est)
        y = regression_target(y)
        power = _power(est)
        if np.any(y < 0) or (power == 2.0 and np.any(y <= 0)):
            need = "positive" if power == 2.0 else "non-negative"
            raise ValueError(
                f"{type(est).__name__} (power={power:g}) needs {need} targets; y has "
                f"minimum {y.min():g}."
            )
        sw = row_weights(sample_weight, y)
        penalty = coef_penalty(X.shape[1], cls._alpha(est), est.fit_intercept)
        return LinearModel(
            X, y, sw, HalfTweedieLoss(power), 1.0 / sw.sum(), penalty, est.fit_intercept)

    @classmethod
    def refit(cls, estimator, X, y, sample_weight, theta0):
        """Warm-started weighted fit with ``alpha * n / sum(sample_weight)``.

        That keeps the normalisation ``1 / n`` of an unweighted original fit
        exactly; after a weighted one it is a warm start, and the Newton
        polishing that follows every refit lands on the exact optimum.
        """
        est = _unwrap(estimator)
        new = clone(est)
        scale = len(y) / float(np.sum(sample_weight))
        new.set_params(warm_start=True, alpha=est.alpha * scale)
        new.coef_ = np.asarray(theta0[: X.shape[1]], dtype=float).copy()
        new.intercept_ = float(theta0[-1]) if est.fit_intercept else 0.0
        new.fit(X, y, sample_weight=sample_weight)
        new.set_params(warm_start=est.warm_start, alpha=est.alpha)
        return new
