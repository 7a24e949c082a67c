"""Adapter for :class:`~sklearn.linear_model.SGDClassifier` (``loss="log_loss"``,
binary) and :class:`~sklearn.linear_model.SGDRegressor` (``loss="squared_error"``),
with the l2 penalty or none.

Stochastic gradient descent minimises (scikit-learn's user guide, "SGD:
mathematical formulation")

.. math::

    L(w, b) = \\frac1n \\sum_i s_i \\, l(y_i, x_i^T w + b) + \\frac{\\alpha}{2} \\|w\\|^2,

with ``s_i = sample_weight_i * class_weight[y_i]``, the intercept unpenalised,
``l`` the log-loss for the classifier and ``(y - z)^2 / 2`` for the regressor
(``SquaredLoss`` in ``sklearn/linear_model/_sgd_fast``). A row of sample weight
0 still counts in ``n`` (its gradient is zero, the penalty's step is taken),
so reweighting keeps ``1 / n``: the reweighted optimum is SGD's own weighted
refit, run to convergence. In the :class:`LinearModel` form: scale ``1 / n``
(``1 / (2 n)`` with :class:`~skunlearn.losses.SquaredLoss`, which has no 1/2)
and ``P = alpha`` on the coefficients (0 for ``penalty=None``).

SGD stops far from that optimum (its tolerance is on the loss's decrease
between epochs). Influence functions need the optimum, so skunlearn starts
from the Newton-polished parameters; ``SoftUnlearner.polish_["grad_norm_before"]``
says how far the fitted model was from it (``grad_norm_after`` is at rounding
level), and ``frontier_`` step 0 is the fitted model itself. The refit update
warm-starts SGD at the current parameters and polishes. ``elasticnet`` with
``l1_ratio=0`` is the l2 penalty; l1 parts and non-smooth or non-log losses
(hinge, modified_huber, huber, epsilon-insensitive) are refused.
"""

import numpy as np
from sklearn.base import clone

from ..losses import LogisticLoss, SquaredLoss
from ._adapter import (
    ModelAdapter,
    _unwrap,
    check_binary,
    coef_penalty,
    register_adapter,
    regression_target,
    row_weights,
    split_theta,
)
from ._base import LinearModel
from .logistic import LogisticRegressionAdapter, _class_weights


def _penalty(est):
    """``alpha`` of the l2 penalty (0 for none); other penalties are refused."""
    penalty = est.penalty
    if penalty == "elasticnet" and est.l1_ratio == 0:
        penalty = "l2"
    if penalty is None:
        return 0.0
    if penalty != "l2":
        raise ValueError(
            "skunlearn needs a twice-differentiable training objective: "
            f"{type(est).__name__} is supported with penalty='l2' or None (or "
            f"elasticnet with l1_ratio=0), got penalty={est.penalty!r}."
        )
    return float(est.alpha)


def _check_loss(est, supported):
    if est.loss != supported:
        raise ValueError(
            f"skunlearn supports {type(est).__name__} with loss={supported!r} only (a "
            f"smooth loss it can differentiate twice), got loss={est.loss!r}."
        )


def _warm_refit(estimator, X, y, sample_weight, theta0):
    """SGD refitted with ``sample_weight``, starting from ``theta0``."""
    est = _unwrap(estimator)
    coef, intercept = split_theta(theta0, X.shape[1], est.fit_intercept)
    new = clone(est)
    return new.fit(X, y, coef_init=coef.reshape(np.shape(est.coef_)),
                   intercept_init=np.array([intercept]), sample_weight=sample_weight)


@register_adapter
class SGDClassifierAdapter(LogisticRegressionAdapter):
    """Binary SGDClassifier with ``loss="log_loss"`` and the l2 penalty or none.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression, SGDClassifier
    >>> from skunlearn.models import adapter_for
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2)); y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    >>> est = SGDClassifier(loss="log_loss", alpha=0.01, random_state=0).fit(X, y)
    >>> model = adapter_for(est).build(est, X, y, None)
    >>> theta, info = model.polish(adapter_for(est).parameters(est))
    >>> info["grad_norm_before"] > 1e3 * info["grad_norm_after"]   # SGD stopped early
    True
    >>> exact = LogisticRegression(C=1 / (300 * 0.01), tol=1e-12).fit(X, y)  # same optimum
    >>> np.allclose(theta[:2], exact.coef_.ravel(), atol=1e-6)
    True
    """

    estimator_names = ("SGDClassifier",)
    multiclass = False

    @classmethod
    def estimator_types(cls):
        from sklearn.linear_model import SGDClassifier

        return (SGDClassifier,)

    @classmethod
    def check_params(cls, estimator):
        est = _unwrap(estimator)
        _check_loss(est, "log_loss")
        _penalty(est)
        check_binary(est)

    @classmethod
    def build(cls, estimator, X, y, sample_weight):
        est = _unwrap(estimator)
        cls.check_params(est)
        y01 = cls.encode_target(est, y)
        sw = row_weights(sample_weight, y01)
        # SGD's "balanced" counts rows, not sample weights
        sw = sw * _class_weights(est, y01, None)
        penalty = coef_penalty(X.shape[1], _penalty(est), est.fit_intercept)
        return LinearModel(X, y01, sw, LogisticLoss(), 1.0 / len(y01), penalty,
                           est.fit_intercept)

    @classmethod
    def refit(cls, estimator, X, y, sample_weight, theta0):
        return _warm_refit(estimator, X, y, sample_weight, theta0)


@register_adapter
class SGDRegressorAdapter(ModelAdapter):
    """SGDRegressor with ``loss="squared_error"`` and the l2 penalty or none.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge, SGDRegressor
    >>> from skunlearn.models import adapter_for
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2)); y = X @ [1.0, -1.0] + rng.normal(size=300)
    >>> est = SGDRegressor(alpha=0.01, random_state=0).fit(X, y)
    >>> model = adapter_for(est).build(est, X, y, None)
    >>> theta, _ = model.polish(adapter_for(est).parameters(est))
    >>> exact = Ridge(alpha=300 * 0.01).fit(X, y)  # (1/n) sum (y - z)^2 / 2 + alpha/2 ||w||^2
    >>> np.allclose(theta[:2], exact.coef_, atol=1e-8)
    True
    """

    estimator_names = ("SGDRegressor",)
    is_classifier = False

    @classmethod
    def estimator_types(cls):
        from sklearn.linear_model import SGDRegressor

        return (SGDRegressor,)

    @classmethod
    def check_params(cls, estimator):
        est = _unwrap(estimator)
        _check_loss(est, "squared_error")
        _penalty(est)

    @classmethod
    def build(cls, estimator, X, y, sample_weight):
        est = _unwrap(estimator)
        cls.check_params(est)
        y = regression_target(y)
        sw = row_weights(sample_weight, y)
        penalty = coef_penalty(X.shape[1], _penalty(est), est.fit_intercept)
        # SquaredLoss is (y - z)^2, SGD's is half that
        return LinearModel(X, y, sw, SquaredLoss(), 0.5 / len(y), penalty, est.fit_intercept)

    @classmethod
    def refit(cls, estimator, X, y, sample_weight, theta0):
        return _warm_refit(estimator, X, y, sample_weight, theta0)
