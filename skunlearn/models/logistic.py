"""Adapter for :class:`~sklearn.linear_model.LogisticRegression`, binary or multinomial.

scikit-learn minimises (every solver, up to a positive factor)

.. math::

    L(w, b) = C \\sum_i s_i \\, \\mathrm{logloss}(x_i^T w + b, y_i)
              + \\tfrac12 \\|w\\|^2 \\; [+ \\tfrac12 (b / \\mathrm{intercept\\_scaling})^2
              \\text{ for liblinear}],

with ``s_i = sample_weight_i * class_weight[y_i]``. ``C = inf`` (or no penalty)
drops the penalty, and then the loss scale is 1. liblinear fits the intercept as
the weight of a constant feature equal to ``intercept_scaling`` and penalises
that weight like any other, hence its extra term. The l1 and elastic-net
penalties are not differentiable and are refused.

With ``K > 2`` classes scikit-learn fits the multinomial model (every solver
but liblinear, which refuses):

.. math::

    L(W, b) = C \\sum_i s_i \\Big[\\log \\sum_k e^{x_i^T w_k + b_k}
              - (x_i^T w_{y_i} + b_{y_i})\\Big] + \\tfrac12 \\|W\\|_F^2,

one block ``[w_k, b_k]`` per class, read into a
:class:`~skunlearn.models.MultiOutputModel` (:class:`~skunlearn.losses.SoftmaxLoss`);
a model fitted one-vs-rest (``multi_class="ovr"`` in older scikit-learn) is
refused.
"""

import inspect

import numpy as np
from sklearn.base import clone
from sklearn.utils.class_weight import compute_class_weight

from .._dask import compute, is_dask
from ..losses import LogisticLoss, SoftmaxLoss
from ._adapter import ModelAdapter, _unwrap, check_binary, register_adapter, row_weights
from ._base import LinearModel
from ._multioutput import MultiOutputModel


def _effective_penalty(est, C, l1_ratio):
    """``"l2"`` or ``None``, resolving scikit-learn's penalty/l1_ratio/C spellings.

    ``C`` and ``l1_ratio`` are the values the model was fitted with (a CV
    estimator's selected ``C_`` and ``l1_ratio_``).
    """
    penalty = getattr(est, "penalty", "l2")
    if penalty == "deprecated":  # scikit-learn >= 1.8: l1_ratio and C say it all
        if C == np.inf:
            return None
        penalty = "l2" if l1_ratio in (0, 0.0, None) else "l1/elasticnet"
    elif penalty in (None, "none"):
        return None
    elif penalty == "elasticnet" and l1_ratio in (0, 0.0):
        penalty = "l2"
    if penalty != "l2":
        raise ValueError(
            "skunlearn needs a twice-differentiable training objective: "
            f"{type(est).__name__} is supported with the l2 penalty (l1_ratio=0) or no "
            f"penalty (C=np.inf), got penalty={est.penalty!r}, l1_ratio={l1_ratio!r}."
        )
    return None if C == np.inf else "l2"


def _class_weights(est, y01, sample_weight, n_classes=2):
    """Per-row class weights exactly as LogisticRegression computes them.

    ``y01`` holds the class codes (0/1 for two classes, 0..K-1 for ``n_classes``).
    """
    if est.class_weight is None:
        return np.ones_like(y01)
    classes = np.arange(float(n_classes))
    kwargs = {}
    if "sample_weight" in inspect.signature(compute_class_weight).parameters:
        kwargs["sample_weight"] = sample_weight
    rows = y01
    if is_dask(y01):
        if "sample_weight" not in kwargs:
            raise ValueError("class_weight with dask data needs a scikit-learn whose "
                             "compute_class_weight accepts sample_weight.")
        # the weighted count of each class is all compute_class_weight reads from the
        # rows: two "rows" weighted by those counts give the same class weights
        rows = classes
        kwargs["sample_weight"] = np.asarray(compute(
            np.sum(sample_weight * (1.0 - y01)), np.sum(sample_weight * y01)), dtype=float)
    cw_param = est.class_weight
    if isinstance(cw_param, dict):  # keys are the user's labels; re-key to 0/1
        cw_param = {
            float(k): cw_param.get(label, 1.0)
            for k, label in zip(classes, est.classes_)
        }
    weights = compute_class_weight(cw_param, classes=classes, y=rows, **kwargs)
    if n_classes > 2:  # multinomial models take in-memory rows only
        return weights[np.asarray(y01).astype(np.intp)]
    return np.where(y01 > 0.5, weights[1], weights[0])  # weights[y01], dask too


def _refuse_one_vs_rest(est):
    """Raise for a multiclass model fitted one-vs-rest (K separate binary problems)."""
    classes = getattr(est, "classes_", None)
    if classes is None or len(classes) <= 2:
        return
    if getattr(est, "multi_class", "auto") == "ovr" or est.solver == "liblinear":
        raise ValueError(
            f"skunlearn supports multiclass {type(est).__name__} with the multinomial "
            "(softmax) objective only; this model was fitted one-vs-rest "
            f"(solver={est.solver!r}, multi_class={getattr(est, 'multi_class', None)!r}). "
            "Use solver='lbfgs', 'newton-cg', 'newton-cholesky', 'sag' or 'saga'."
        )


@register_adapter
class LogisticRegressionAdapter(ModelAdapter):
    """LogisticRegression with the l2 penalty or none, any solver; binary or multinomial.

    With ``K > 2`` classes the model is the multinomial (softmax) one, read
    into a :class:`~skunlearn.models.MultiOutputModel` with one parameter block
    ``[w_k, b_k]`` per class: ``C sum_i s_i CE_i + 0.5 ||W||_F^2``, intercepts
    unpenalised (see :mod:`skunlearn.models._multioutput` for its null direction).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skunlearn.models import LogisticRegressionAdapter
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> est = LogisticRegression().fit(X, y)
    >>> model = LogisticRegressionAdapter.build(est, X, y, None)
    >>> theta = LogisticRegressionAdapter.parameters(est)
    >>> bool(np.linalg.norm(model.gradient(theta)) < 1e-3)
    True
    """

    estimator_names = ("LogisticRegression",)
    is_classifier = True
    multiclass = True

    @classmethod
    def estimator_types(cls):
        from sklearn.linear_model import LogisticRegression

        return (LogisticRegression,)

    @classmethod
    def check_params(cls, estimator):
        est = _unwrap(estimator)
        cls._penalty(est)
        if cls.multiclass:
            _refuse_one_vs_rest(est)
        else:
            check_binary(est)

    @classmethod
    def _C(cls, est):
        """The inverse regularisation strength the final model was fitted with."""
        return float(est.C)

    @classmethod
    def _intercept_scaling(cls, est):
        """The constant feature liblinear fitted the intercept as."""
        return float(est.intercept_scaling)

    @classmethod
    def _penalty(cls, est):
        return _effective_penalty(est, cls._C(est), getattr(est, "l1_ratio", None))

    @classmethod
    def encode_target(cls, estimator, y):
        """Map labels to 0/1 (1 for ``classes_[1]``); unknown labels raise."""
        classes = _unwrap(estimator).classes_
        y = y if is_dask(y) else np.asarray(y)
        unknown = ~np.isin(y, classes)
        if compute(unknown.any()):
            raise ValueError(
                f"y has labels {np.unique(compute(y[unknown])).tolist()} that the model was not "
                f"fitted on (classes_={classes.tolist()})."
            )
        if len(classes) > 2:  # multinomial: the class code 0..K-1 (classes_ is sorted)
            return np.searchsorted(classes, y).astype(float)
        return (y == classes[1]).astype(float)

    @classmethod
    def _scale_and_penalty(cls, est, n_features):
        """The loss scale ``c`` and the diagonal ``P`` of one block ``[w, b]``."""
        if cls._penalty(est) is None:
            return 1.0, np.zeros(n_features + int(est.fit_intercept))
        penalty = np.ones(n_features + int(est.fit_intercept))
        if est.fit_intercept:
            penalty[-1] = (
                1.0 / cls._intercept_scaling(est) ** 2 if est.solver == "liblinear" else 0.0
            )
        return cls._C(est), penalty

    @classmethod
    def build(cls, estimator, X, y, sample_weight):
        est = _unwrap(estimator)
        cls.check_params(est)
        y01 = cls.encode_target(est, y)
        n_classes = len(est.classes_)
        sw = row_weights(sample_weight, y01)
        sw = sw * _class_weights(est, y01, sw, n_classes)
        scale, penalty = cls._scale_and_penalty(est, X.shape[1])
        if n_classes > 2:
            loss = SoftmaxLoss(n_classes, names=[str(c) for c in est.classes_])
            return MultiOutputModel(X, y01, sw, loss, scale, np.tile(penalty, n_classes),
                                    est.fit_intercept)
        return LinearModel(X, y01, sw, LogisticLoss(), scale, penalty, est.fit_intercept)

    @classmethod
    def refit(cls, estimator, X, y, sample_weight, theta0):
        est = _unwrap(estimator)
        new = clone(est)
        if est.solver != "liblinear":  # liblinear cannot warm start
            new.set_params(warm_start=True)
            # one row [w_k, b_k] per class (a single row for a binary model)
            blocks = np.asarray(theta0, dtype=float).reshape(-1, X.shape[1] + int(est.fit_intercept))
            new.coef_ = blocks[:, : X.shape[1]].copy()
            new.intercept_ = (blocks[:, -1].copy() if est.fit_intercept
                              else np.zeros(len(blocks)))
        new.fit(X, y, sample_weight=sample_weight)
        new.set_params(warm_start=est.warm_start)
        return new
