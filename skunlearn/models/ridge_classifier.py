"""Adapter for binary :class:`~sklearn.linear_model.RidgeClassifier`.

RidgeClassifier is Ridge regression on targets ``t_i = +1`` for ``classes_[1]``
and ``-1`` for ``classes_[0]``:

.. math::

    L(w, b) = \\sum_i s_i (t_i - x_i^T w - b)^2 + \\alpha \\|w\\|^2,

with ``s_i = sample_weight_i * class_weight[y_i]`` ("balanced" counts rows, as
``compute_sample_weight`` does) and the intercept unpenalised. In the
:class:`LinearModel` form: :class:`~skunlearn.losses.SignedSquaredLoss` on 0/1
labels, scale 1, ``P = 2 alpha``. The objective is quadratic, so the newton
update is the exact weighted refit. Predictions go through the estimator
(class ``classes_[1]`` where the score is positive); the smooth prediction the
parity objectives compare is the linear probability ``(1 + z) / 2``.
"""

import numpy as np
from sklearn.utils.class_weight import compute_sample_weight

from ..losses import SignedSquaredLoss
from ._adapter import _unwrap, check_binary, coef_penalty, register_adapter, row_weights
from ._base import LinearModel
from .least_squares import LeastSquaresAdapter, refuse_positive
from .logistic import LogisticRegressionAdapter


@register_adapter
class RidgeClassifierAdapter(LogisticRegressionAdapter):
    """Binary RidgeClassifier (scalar ``alpha``, ``positive=False``), with class weights.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import RidgeClassifier
    >>> from skunlearn.models import adapter_for
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 2)); y = np.where(X[:, 0] > 0, "yes", "no")
    >>> est = RidgeClassifier(alpha=1.0).fit(X, y)
    >>> adapter = adapter_for(est)
    >>> model = adapter.build(est, X, y, None)
    >>> bool(np.linalg.norm(model.gradient(adapter.parameters(est))) < 1e-8)
    True
    """

    estimator_names = ("RidgeClassifier",)
    multiclass = False
    is_classifier = True

    @classmethod
    def estimator_types(cls):
        from sklearn.linear_model import RidgeClassifier

        return (RidgeClassifier,)

    @classmethod
    def check_params(cls, estimator):
        est = _unwrap(estimator)
        refuse_positive(est)
        LeastSquaresAdapter._alpha(est)  # a scalar
        check_binary(est)

    @classmethod
    def build(cls, estimator, X, y, sample_weight):
        est = _unwrap(estimator)
        cls.check_params(est)
        y01 = cls.encode_target(est, y)
        sw = row_weights(sample_weight, y01)
        if est.class_weight:
            sw = sw * compute_sample_weight(est.class_weight, np.asarray(y))
        penalty = coef_penalty(X.shape[1], 2.0 * LeastSquaresAdapter._alpha(est),
                               est.fit_intercept)
        return LinearModel(X, y01, sw, SignedSquaredLoss(), 1.0, penalty, est.fit_intercept)

    @classmethod
    def refit(cls, estimator, X, y, sample_weight, theta0):
        # quadratic: the refit is exact without a warm start
        return LeastSquaresAdapter.refit(estimator, X, y, sample_weight, theta0)
