"""Adapters for dask-ml's linear models: ``LogisticRegression``, ``LinearRegression``
and ``PoissonRegression`` of :mod:`dask_ml.linear_model`.

dask-ml's ``fit`` appends a column of ones to ``X`` when ``fit_intercept`` (the
last parameter is the intercept) and hands ``X~ = [X, 1]`` to a dask-glm solver,
which minimises a sum over rows (not a mean) plus an l2 penalty of strength
``lamduh = 1 / C``:

.. math::

    \\sum_i l(\\tilde x_i^T \\beta, y_i) + \\frac{\\lambda}{2} \\|\\beta\\|^2,

with ``l(z, y) = log(1 + e^z) - y z`` (Logistic, ``y`` in {0, 1}),
``(y - z)^2`` (Normal, no 1/2) or ``e^z - y z`` (Poisson, the half deviance up to a
constant). The solvers ``"newton"`` and ``"gradient_descent"`` take no penalty
(dask-ml drops it); ``solver_kwargs`` may set ``regularizer``, ``lamduh`` and
``normalize``.

Every dask-glm solver normalises first (``normalize=True``, the default): with
the column means ``m`` and standard deviations ``s`` (``ddof=0``) of ``X~``, the
constant column ``c`` (at most one: the intercept) gets ``m_c = 0, s_c = 1``, and
without a constant column every mean is set to 0 (scaling only). The problem is
solved for ``beta`` in ``X_n = (X~ - 1 m^T) / s`` and mapped back to the
user's coordinates ``theta``. With ``beta = T theta``,

.. math::

    (T\\theta)_j = s_j \\theta_j \\; (j \\ne c), \\qquad
    (T\\theta)_c = \\theta_c + \\sum_j m_j \\theta_j ,

``X_n T = X~`` when column ``c`` holds ones, so the scores are unchanged and in
``theta`` the objective is the loss of ``X~ theta`` plus
``(lambda / 2) theta^T P theta`` with ``P = T^T T = diag(s^2) + u u^T``
(``s_c = 0`` here, ``u = m + e_c``): not diagonal when there is an intercept.
:class:`~skunlearn.models.LinearModel` takes that ``P`` as a matrix (the
diagonal ``lambda s^2`` without an intercept, ``lambda`` without
normalisation). A constant column other than ones is refused: dask-glm's map
back assumes the constant column is ones (``X_n T = X~ + (x_c - 1) m^T``), so
the returned coefficients would not be the optimum of the model they predict
with.

Reweighting keeps this ``P``, fixed by the original rows: the reweighted optima
are those of the same penalty with rows weighted ``1 + eps`` (dask-ml's fit
takes no sample weights, so there is no refit to compare with; a fit on other
rows would normalise with their statistics). ``update="refit"`` and
``sample_weight`` are refused for that reason, as is :class:`~skunlearn.Forgetter`.

dask-ml is an optional dependency (``pip install skunlearn[dask]``): the
estimators are recognised by their classes in ``dask_ml.linear_model.glm``,
looked up only once that module has been imported (no dask-ml estimator exists
before), so skunlearn never imports dask-ml itself.

References
----------
dask-glm: ``dask_glm/utils.py`` (``normalize``), ``dask_glm/algorithms.py``,
``dask_glm/families.py``, ``dask_glm/regularizers.py``; dask-ml:
``dask_ml/linear_model/glm.py``.
"""

import sys

import numpy as np

from .._dask import as_vector, compute, is_dask
from .._linalg import Design
from ..losses import HalfTweedieLoss, LogisticLoss, SquaredLoss
from ._adapter import (
    ModelAdapter,
    _unwrap,
    register_adapter,
    regression_target,
    set_linear_parameters,
)
from ._base import LinearModel

# The module defining dask-ml's estimators, and dask-glm's family of each.
_MODULE = "dask_ml.linear_model.glm"
_FAMILIES = {"LogisticRegression": "Logistic", "LinearRegression": "Normal",
             "PoissonRegression": "Poisson"}
_SOLVERS = ("admm", "lbfgs", "newton", "gradient_descent", "proximal_grad")


def _name(est):
    return f"dask_ml {type(est).__name__}"


def _dask_ml_types(names):
    """dask-ml's estimator classes ``names``; none until dask-ml has been imported."""
    module = sys.modules.get(_MODULE)
    if module is None:  # no dask-ml estimator can exist before its module is loaded
        return ()
    return tuple(getattr(module, name) for name in names)


def _is_l2(regularizer):
    """Whether a dask-glm ``regularizer`` (a name or an instance) is its L2 penalty."""
    if isinstance(regularizer, str):
        return regularizer == "l2"
    kind = type(regularizer)
    return kind.__name__ == "L2" and kind.__module__ == "dask_glm.regularizers"


def objective_settings(estimator):
    """``(lamduh, normalize)`` of the problem dask-ml's ``fit`` gives its solver.

    Follows ``_GLM._get_solver_kwargs``: the solvers ``"newton"`` and
    ``"gradient_descent"`` fit without a penalty; the others take the
    ``regularizer`` and ``lamduh`` of ``solver_kwargs``, else ``penalty`` and
    ``1 / C``. Raises ``ValueError`` for what is not a smooth l2 (or no)
    penalty, and for settings dask-ml ignores that would change the meaning of
    the objective (``class_weight``, a multinomial ``multi_class``, another
    ``family``).

    Examples
    --------
    >>> import pytest
    >>> linear_model = pytest.importorskip("dask_ml.linear_model")
    >>> from skunlearn.models.daskml import objective_settings
    >>> objective_settings(linear_model.LogisticRegression(C=0.5))
    (2.0, True)
    >>> objective_settings(linear_model.LogisticRegression(solver="newton"))
    (0.0, True)
    """
    est = _unwrap(estimator)
    kwargs = dict(est.solver_kwargs or {})
    if est.solver not in _SOLVERS:
        raise ValueError(f"{_name(est)} has solver={est.solver!r}; dask-ml's solvers are "
                         f"{', '.join(_SOLVERS)}.")
    family = kwargs.get("family")
    expected = _FAMILIES[type(est).__name__]
    if family is not None and getattr(family, "__name__", None) != expected:
        raise ValueError(
            f"{_name(est)} fits the {expected} family; solver_kwargs sets family="
            f"{getattr(family, '__name__', family)!r}, which skunlearn does not read into "
            "this estimator's objective. Use the dask-ml estimator of that family.")
    if getattr(est, "class_weight", None) is not None:
        raise ValueError(
            f"dask-ml ignores class_weight (its fit weighs every row alike), so "
            f"{_name(est)} was not fitted with class_weight={est.class_weight!r}: set "
            "class_weight=None.")
    if getattr(est, "multi_class", "ovr") not in ("ovr", "auto"):
        raise ValueError(
            f"{_name(est)} fits binary logistic regression only (dask-ml ignores "
            f"multi_class); got multi_class={est.multi_class!r}. Use 'ovr' (the default) "
            "on 0/1 labels.")
    if est.solver in ("newton", "gradient_descent"):
        return 0.0, bool(kwargs.get("normalize", True))
    regularizer = kwargs.get("regularizer", est.penalty)
    if regularizer is not None and not _is_l2(regularizer):
        raise ValueError(
            "skunlearn needs a twice-differentiable training objective: "
            f"{_name(est)} is supported with penalty='l2' (or no penalty: "
            "solver='newton' or 'gradient_descent'), got "
            f"penalty={getattr(regularizer, 'name', regularizer)!r}.")
    if "lamduh" in kwargs:
        lam = kwargs["lamduh"]
    else:
        if not est.C > 0:
            raise ValueError(f"{_name(est)} needs C > 0, got C={est.C!r}.")
        lam = 1.0 / est.C
    lam = float(lam)
    if not (np.isfinite(lam) and lam >= 0):
        raise ValueError(f"{_name(est)} needs a finite penalty 1/C >= 0, got lamduh={lam!r}.")
    return (0.0 if regularizer is None else lam), bool(kwargs.get("normalize", True))


def _column_statistics(X):
    """Column means, standard deviations (``ddof=0``), minima and maxima of ``X``.

    Dask's own reductions for a dask array (those dask-glm takes); two passes
    over row chunks otherwise (the deviations from the mean, as numpy's ``std``).
    """
    if is_dask(X):
        return [np.asarray(v, dtype=float) for v in compute(
            X.mean(axis=0), X.std(axis=0), X.min(axis=0), X.max(axis=0))]
    design = Design(X, False)
    total, low, high = 0.0, np.inf, -np.inf
    for rows in design.chunks():
        block = design.block(rows)
        total = total + block.sum(axis=0)
        low, high = np.minimum(low, block.min(axis=0)), np.maximum(high, block.max(axis=0))
    mean = total / design.n_samples
    squares = sum(((design.block(rows) - mean) ** 2).sum(axis=0) for rows in design.chunks())
    return mean, np.sqrt(squares / design.n_samples), low, high


def normalization(X, fit_intercept):
    """dask-glm's map ``beta = T theta`` to its normalised coefficients (module docstring).

    Returns ``T`` of shape (p, p), ``p`` the number of parameters. Raises
    ``ValueError`` for a constant column other than the intercept's ones
    (dask-glm's ``normalize`` handles one constant column, of ones).

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.models.daskml import normalization
    >>> X = np.array([[0.0], [2.0]])                 # mean 1, std 1
    >>> normalization(X, fit_intercept=True)
    array([[1., 0.],
           [1., 1.]])
    >>> normalization(X, fit_intercept=False)       # no constant column: scaling only
    array([[1.]])
    """
    mean, std, low, high = _column_statistics(X)
    if fit_intercept:  # the column of ones dask-ml appends
        mean, std = np.append(mean, 1.0), np.append(std, 0.0)
        low, high = np.append(low, 1.0), np.append(high, 1.0)
    constant = np.flatnonzero(low == high)
    if len(constant) > 1 or np.any(low[constant] != 1.0):
        columns = [int(j) for j in constant if j < len(mean) - int(fit_intercept)]
        raise ValueError(
            f"X has constant column(s) {columns}: dask-glm's normalisation (normalize=True) "
            "takes one constant column, of ones, as the intercept (it refuses several and "
            "maps other values back inconsistently). Drop the constant columns, or fit "
            "with solver_kwargs={'normalize': False}.")
    T = np.diag(std)
    if len(constant):  # the intercept: centred coefficients map back into it
        c = constant[0]
        mean[c], T[c, c] = 0.0, 1.0
        T[c] += mean
    return T


def dask_ml_penalty(X, fit_intercept, lam, normalize):
    """``P`` of the objective in the user's coordinates: ``lam T^T T`` (module docstring).

    The diagonal (a vector) when ``T`` is diagonal (no normalisation, or no
    constant column), the full matrix otherwise.
    """
    n_params = X.shape[1] + int(fit_intercept)
    if not normalize:
        return np.full(n_params, lam)
    T = normalization(X, fit_intercept)  # also refuses what dask-glm cannot normalise
    if lam == 0.0:
        return np.zeros(n_params)
    if np.count_nonzero(T - np.diag(np.diag(T))) == 0:
        return lam * np.diag(T) ** 2
    return lam * (T.T @ T)


class _DaskGLMAdapter(ModelAdapter):
    """What dask-ml's three linear models share (subclasses name the family)."""

    # dask-ml's fit takes no sample_weight: no weighted refit, no forgetting
    fit_takes_sample_weight = False
    # an unfitted estimator is fitted by dask-ml on dask rows where they are
    fits_dask_rows = True

    @classmethod
    def estimator_types(cls):
        return _dask_ml_types(cls._classes)

    @classmethod
    def check_params(cls, estimator):
        objective_settings(estimator)

    @classmethod
    def build(cls, estimator, X, y, sample_weight):
        est = _unwrap(estimator)
        lam, normalize = objective_settings(est)
        if sample_weight is not None:
            raise ValueError(_no_sample_weight(est))
        coef = getattr(est, "coef_", None)
        if coef is not None and np.size(coef) != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features but {_name(est)} was fitted on {np.size(coef)}.")
        y = cls.encode_target(est, y)
        penalty = dask_ml_penalty(X, est.fit_intercept, lam, normalize)
        return LinearModel(X, y, np.ones_like(y, dtype=float), cls._loss(est), 1.0, penalty,
                           est.fit_intercept)

    @classmethod
    def encode_target(cls, estimator, y):
        """``y`` as floats, checked by :meth:`check_target` (dask stays dask)."""
        return as_vector(cls.check_target(estimator, y))

    @classmethod
    def set_parameters(cls, estimator, theta):
        set_linear_parameters(estimator, theta)
        # decision_function and predict read the private _coef ([coef, intercept])
        estimator._coef = np.asarray(theta, dtype=float).copy()

    @classmethod
    def refit(cls, estimator, X, y, sample_weight, theta0):
        raise ValueError(_no_sample_weight(_unwrap(estimator)))


def _no_sample_weight(est):
    return (f"{_name(est)}'s fit takes no sample_weight, so its model cannot be refitted "
            "with row weights: use update='path' (exact reweighted optima of its "
            "objective) or update='newton', and no sample_weight.")


def _numeric(y, est):
    """``y`` as a numpy or dask array, refusing labels that are not numbers."""
    y = y if is_dask(y) else np.asarray(y)
    if not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise ValueError(f"{_name(est)} takes numeric targets; y has dtype {y.dtype}.")
    return y


@register_adapter
class DaskMLLogisticAdapter(_DaskGLMAdapter):
    """dask-ml's ``LogisticRegression``: labels 0/1, penalty l2 or none.

    dask-ml's model has no ``classes_`` and predicts booleans;
    :class:`~skunlearn.SoftUnlearner` reports ``classes_ = [0, 1]`` and
    predicts 0/1 (:meth:`classes`, :meth:`labels`), as fairlearn's metrics expect.

    Examples
    --------
    >>> import numpy as np
    >>> import pytest
    >>> linear_model = pytest.importorskip("dask_ml.linear_model")
    >>> from skunlearn.models import adapter_for
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)) + [1.0, -2.0]
    >>> y = (X[:, 0] + rng.normal(size=200) > 1).astype(int)
    >>> est = linear_model.LogisticRegression(solver="newton").fit(X, y)
    >>> adapter = adapter_for(est)
    >>> model = adapter.build(est, X, y, None)
    >>> bool(np.linalg.norm(model.gradient(adapter.parameters(est))) < 1e-8)
    True
    """

    estimator_names = ("dask_ml LogisticRegression",)
    is_classifier = True
    _classes = ("LogisticRegression",)

    @classmethod
    def _loss(cls, est):
        return LogisticLoss()

    @classmethod
    def check_target(cls, estimator, y):
        """Raise unless every label is 0 or 1 (dask-ml reads ``y`` as the probability of 1)."""
        est = _unwrap(estimator)
        y = _numeric(y, est)
        other = (y != 0) & (y != 1)
        if compute(other.any()):
            raise ValueError(
                f"{_name(est)} fits labels 0 and 1 (its loss reads y as the probability "
                f"of class 1, and it has no classes_); y has labels "
                f"{np.unique(compute(y[other])).tolist()[:5]}. Encode the classes as 0/1.")
        return y

    @classmethod
    def classes(cls, estimator):
        return np.array([0, 1])

    @classmethod
    def labels(cls, estimator, predicted):
        return predicted.astype(int)  # dask-ml predicts booleans (numpy or dask)


@register_adapter
class DaskMLRegressionAdapter(_DaskGLMAdapter):
    """dask-ml's ``LinearRegression`` (squared loss) and ``PoissonRegression`` (log link).

    Examples
    --------
    >>> import numpy as np
    >>> import pytest
    >>> linear_model = pytest.importorskip("dask_ml.linear_model")
    >>> from skunlearn.models import adapter_for
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> y = X @ [1.0, -1.0] + 0.5
    >>> est = linear_model.LinearRegression(solver="newton").fit(X, y)
    >>> adapter = adapter_for(est)
    >>> theta = adapter.parameters(est)
    >>> np.round(theta, 6)
    array([ 1. , -1. ,  0.5])
    >>> bool(np.linalg.norm(adapter.build(est, X, y, None).gradient(theta)) < 1e-8)
    True
    """

    estimator_names = ("dask_ml LinearRegression", "dask_ml PoissonRegression")
    _classes = ("LinearRegression", "PoissonRegression")

    @classmethod
    def _loss(cls, est):
        # dask-glm's Poisson loss e^z - y z is the half deviance up to a constant in y
        return SquaredLoss() if type(est).__name__ == "LinearRegression" else HalfTweedieLoss(1.0)

    @classmethod
    def check_target(cls, estimator, y):
        """Raise for targets other than numbers, and negative counts for Poisson."""
        est = _unwrap(estimator)
        y = regression_target(_numeric(y, est))
        if type(est).__name__ == "PoissonRegression" and compute((y < 0).any()):
            raise ValueError(f"{_name(est)} needs non-negative targets; y has minimum "
                             f"{float(compute(y.min())):g}.")
        return y
