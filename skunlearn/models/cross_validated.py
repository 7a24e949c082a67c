"""Adapters for :class:`~sklearn.linear_model.LogisticRegressionCV` (binary) and
:class:`~sklearn.linear_model.RidgeCV` (scalar ``alpha_``).

Cross-validation only chooses the regularisation; with ``refit=True`` (the
default) the final model is fitted on all the rows at the chosen value, so its
training objective is the plain estimator's at that value:

.. math::

    L(w, b) = C\\_ \\sum_i s_i \\, \\mathrm{logloss}(x_i^T w + b, y_i) + \\tfrac12 \\|w\\|^2
    \\qquad \\text{or} \\qquad
    L(w, b) = \\sum_i s_i (y_i - x_i^T w - b)^2 + \\alpha\\_ \\|w\\|^2 .

The chosen value stays fixed while rows are reweighted: influences describe
the model at ``C_`` (``alpha_``), not the cross-validation's choice. The refit
update therefore fits the *plain* estimator (``LogisticRegression(C=C_)``,
``Ridge(alpha=alpha_)``) with the same settings, warm-started: re-running the
cross-validation on a single value would fit every fold for nothing, and on
several values could pick another one, which is not the reweighted optimum of
this objective. The corrected estimator is still a copy of the CV estimator
(its ``C_``, ``scores_`` or ``cv_results_`` describe the original selection).

``LogisticRegressionCV(refit=False)`` averages the folds' coefficients: that
average minimises no objective, so it is refused.
"""

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge

from ._adapter import _unwrap, register_adapter
from .least_squares import LeastSquaresAdapter
from .logistic import LogisticRegressionAdapter, _effective_penalty


def _selected(value, name, est):
    """A CV estimator's selected scalar (``C_``, ``l1_ratio_``, ``alpha_``)."""
    value = np.asarray(value, dtype=float)
    if value.size != 1 and not np.allclose(value, value.ravel()[0], equal_nan=True):
        raise ValueError(
            f"skunlearn supports {type(est).__name__} with one selected {name} "
            f"(binary, one target), got {name} = {value.tolist()}."
        )
    return float(value.ravel()[0])


@register_adapter
class LogisticRegressionCVAdapter(LogisticRegressionAdapter):
    """Binary LogisticRegressionCV (``refit=True``, l2 penalty) at its selected ``C_``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegressionCV
    >>> from skunlearn.models import adapter_for
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); y = (X[:, 0] + rng.normal(size=200) > 0).astype(int)
    >>> est = LogisticRegressionCV(Cs=[0.01, 1.0], l1_ratios=(0,), scoring="neg_log_loss",
    ...                            use_legacy_attributes=False).fit(X, y)
    >>> adapter = adapter_for(est)
    >>> adapter.__name__, adapter.build(est, X, y, None).loss_scale == est.C_
    ('LogisticRegressionCVAdapter', True)
    """

    estimator_names = ("LogisticRegressionCV",)
    multiclass = False  # multinomial LogisticRegressionCV is not supported (yet)

    @classmethod
    def estimator_types(cls):
        from sklearn.linear_model import LogisticRegressionCV

        return (LogisticRegressionCV,)

    @classmethod
    def _C(cls, est):
        return _selected(est.C_, "C_", est)

    @classmethod
    def _penalty(cls, est):
        l1_ratio = _selected(np.asarray(est.l1_ratio_, dtype=float), "l1_ratio_", est)
        # no l1_ratios grid: scikit-learn records the selected l1_ratio_ as NaN
        return _effective_penalty(est, cls._C(est), None if np.isnan(l1_ratio) else l1_ratio)

    @classmethod
    def _intercept_scaling(cls, est):
        # scikit-learn (up to 1.9 at least) does not pass intercept_scaling to the
        # final refit, which fits with the path's default of 1
        return 1.0

    @classmethod
    def check_params(cls, estimator):
        est = _unwrap(estimator)
        if not est.refit:
            raise ValueError(
                "skunlearn needs LogisticRegressionCV(refit=True): with refit=False the "
                "coefficients are an average over folds, the optimum of no objective."
            )
        if hasattr(est, "C_"):  # fitted: the selected values must be smooth
            super().check_params(est)
        elif est.penalty == "l1" or (
            est.penalty != "l2" and not isinstance(est.l1_ratios, str | type(None))
            and not np.any(np.asarray(est.l1_ratios, dtype=float) == 0)
        ):  # every candidate penalty has an l1 part
            raise ValueError(
                "skunlearn needs a twice-differentiable training objective: "
                "LogisticRegressionCV is supported with the l2 penalty only, got "
                f"penalty={est.penalty!r}, l1_ratios={est.l1_ratios!r}."
            )

    @classmethod
    def plain(cls, est):
        """The unfitted LogisticRegression with the selected ``C_`` and ``est``'s settings."""
        params = {k: getattr(est, k) for k in (
            "fit_intercept", "dual", "tol", "max_iter", "class_weight", "solver",
            "random_state")}
        return LogisticRegression(
            C=cls._C(est), intercept_scaling=cls._intercept_scaling(est), **params)

    @classmethod
    def refit(cls, estimator, X, y, sample_weight, theta0):
        return LogisticRegressionAdapter.refit(
            cls.plain(_unwrap(estimator)), X, y, sample_weight, theta0)


@register_adapter
class RidgeCVAdapter(LeastSquaresAdapter):
    """RidgeCV with one selected ``alpha_`` (one target) at that value.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import RidgeCV
    >>> from skunlearn.models import adapter_for
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 2)); y = X @ [1.0, -1.0] + rng.normal(size=100)
    >>> est = RidgeCV(alphas=[0.1, 10.0]).fit(X, y)
    >>> model = adapter_for(est).build(est, X, y, None)
    >>> theta = adapter_for(est).parameters(est)
    >>> bool(np.linalg.norm(model.gradient(theta)) < 1e-8)
    True
    """

    estimator_names = ("RidgeCV",)
    multi_target = False

    @classmethod
    def estimator_types(cls):
        from sklearn.linear_model import RidgeCV

        return (RidgeCV,)

    @classmethod
    def _alpha(cls, est):
        if not hasattr(est, "alpha_"):  # not fitted yet: nothing selected to check
            return float(np.ravel(est.alphas)[0])
        return _selected(est.alpha_, "alpha_", est)

    @classmethod
    def refit(cls, estimator, X, y, sample_weight, theta0):
        # squared loss: the refit is exact, so no warm start is needed
        est = _unwrap(estimator)
        plain = Ridge(alpha=cls._alpha(est), fit_intercept=est.fit_intercept)
        return plain.fit(X, y, sample_weight=sample_weight)
