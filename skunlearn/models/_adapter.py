"""The protocol between an estimator family and skunlearn, and the registry of adapters.

An adapter reads a fitted scikit-learn estimator into a :class:`LinearModel`
(its exact training objective and parameters), writes corrected parameters back
into a copy of the estimator, and refits a warm-started clone with new sample
weights. Supporting a new estimator family is one new module with one
:class:`ModelAdapter` subclass decorated by :func:`register_adapter`.
"""

import copy

import numpy as np
from sklearn.base import clone

from .._dask import as_vector

_ADAPTERS = []


def register_adapter(cls):
    """Class decorator adding an adapter to the registry consulted by :func:`adapter_for`.

    Examples
    --------
    >>> from skunlearn.models import ModelAdapter, register_adapter
    >>> @register_adapter
    ... class NothingAdapter(ModelAdapter):
    ...     # supports no estimator: a template for a new family
    ...     @classmethod
    ...     def estimator_types(cls):
    ...         return ()
    >>> NothingAdapter.estimator_names
    ()
    """
    _ADAPTERS.append(cls)
    return cls


def supported_estimators():
    """Names of the estimator classes skunlearn can unlearn, for error messages.

    Examples
    --------
    >>> from skunlearn.models import supported_estimators
    >>> supported_estimators()  # doctest: +NORMALIZE_WHITESPACE
    ['LogisticRegression',
     'Ridge',
     'LinearRegression',
     'LogisticRegressionCV',
     'RidgeCV',
     'PoissonRegressor',
     'GammaRegressor',
     'TweedieRegressor',
     'SGDClassifier',
     'SGDRegressor',
     'RidgeClassifier',
     'MLPClassifier',
     'MLPRegressor',
     'dask_ml LogisticRegression',
     'dask_ml LinearRegression',
     'dask_ml PoissonRegression']
    """
    return [name for adapter in _ADAPTERS for name in adapter.estimator_names]


def _unwrap(estimator):
    """The wrapped model of a FrozenEstimator, or the estimator itself."""
    inner = getattr(estimator, "estimator", None)
    if type(estimator).__name__ == "FrozenEstimator" and inner is not None:
        return inner
    return estimator


def adapter_for(estimator):
    """Return the adapter for ``estimator`` or raise a ``TypeError`` naming the supported ones.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from skunlearn.models import adapter_for
    >>> adapter_for(Ridge()).__name__
    'LeastSquaresAdapter'
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> adapter_for(DecisionTreeClassifier())
    Traceback (most recent call last):
    ...
    TypeError: DecisionTreeClassifier is not supported by skunlearn; supported estimators are LogisticRegression, Ridge, LinearRegression, LogisticRegressionCV, RidgeCV, PoissonRegressor, GammaRegressor, TweedieRegressor, SGDClassifier, SGDRegressor, RidgeClassifier, MLPClassifier, MLPRegressor, dask_ml LogisticRegression, dask_ml LinearRegression, dask_ml PoissonRegression (also inside a FrozenEstimator).
    """
    base = _unwrap(estimator)
    mro = type(base).__mro__
    # The most specific adapter wins (LogisticRegressionCV subclasses
    # LogisticRegression), whatever the order of registration.
    matches = [
        (min(mro.index(t) for t in adapter.estimator_types() if t in mro), k, adapter)
        for k, adapter in enumerate(_ADAPTERS)
        if isinstance(base, adapter.estimator_types())
    ]
    if matches:
        return min(matches)[2]
    raise TypeError(
        f"{type(base).__name__} is not supported by skunlearn; supported estimators "
        f"are {', '.join(supported_estimators())} (also inside a FrozenEstimator)."
    )


class ModelAdapter:
    """Reads and writes one family of fitted linear estimators.

    Subclasses define :attr:`estimator_names`, :meth:`estimator_types`,
    :meth:`check_params` and :meth:`build` (and :meth:`parameters`, :meth:`set_parameters`
    for other than ``coef_``/``intercept_`` of one output);
    a family whose linear part acts on transformed inputs (the output layer of a
    neural network) also overrides :meth:`features`.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skunlearn.models import ModelAdapter, adapter_for
    >>> adapter = adapter_for(LogisticRegression())
    >>> issubclass(adapter, ModelAdapter), adapter.is_classifier
    (True, True)
    """

    estimator_names = ()
    is_classifier = False
    # whether the family supports more than two classes (multinomial) or a 2-D y
    multiclass = False
    multi_target = False
    # whether the estimator's fit takes sample_weight (the refit update needs it)
    fit_takes_sample_weight = True
    # whether an unfitted estimator fits on dask rows itself (dask-ml), without
    # loading them into memory
    fits_dask_rows = False

    @classmethod
    def estimator_types(cls):
        """Tuple of supported classes (imported lazily)."""
        raise NotImplementedError

    @classmethod
    def check_params(cls, estimator):
        """Raise ``ValueError`` when the estimator's settings are not supported."""

    @classmethod
    def build(cls, estimator, X, y, sample_weight):
        """Return the :class:`LinearModel` of ``estimator``'s training objective on (X, y)."""
        raise NotImplementedError

    @classmethod
    def check_target(cls, estimator, y):
        """Raise ``ValueError`` for targets the estimator cannot fit, before it is fitted."""
        return y

    @classmethod
    def classes(cls, estimator):
        """The class labels of a fitted classifier (its ``classes_``)."""
        return estimator.classes_

    @classmethod
    def labels(cls, estimator, predicted):
        """The estimator's ``predict`` output as labels of :meth:`classes` (unchanged here)."""
        return predicted

    @classmethod
    def features(cls, estimator, X):
        """The inputs of the linear part of ``estimator``: ``X`` itself for a linear model.

        :meth:`build` applies it to the training rows; evaluation rows go through
        it before their scores ``features(X) theta`` are formed.
        """
        return X

    @classmethod
    def parameters(cls, estimator):
        """The fitted ``theta = [coef, intercept]`` as a flat float array."""
        return linear_parameters(estimator)

    @classmethod
    def set_parameters(cls, estimator, theta):
        """Write ``theta`` into the fitted attributes of ``estimator`` (in place)."""
        set_linear_parameters(estimator, theta)

    @classmethod
    def with_parameters(cls, estimator, theta):
        """A deep copy of the fitted ``estimator`` carrying ``theta``; the input is untouched."""
        new = copy.deepcopy(_unwrap(estimator))
        cls.set_parameters(new, theta)
        return new

    @classmethod
    def refit(cls, estimator, X, y, sample_weight, theta0):
        """Fit a clone of ``estimator`` with ``sample_weight``, warm-started at ``theta0``.

        Returns the fitted clone. Subclasses whose solvers cannot warm start simply
        refit; the caller polishes the result on the exact objective.
        """
        new = clone(_unwrap(estimator))
        return new.fit(X, y, sample_weight=sample_weight)


def row_weights(sample_weight, y):
    """The sample weights as floats, ones like ``y`` when ``None`` (dask stays dask)."""
    if sample_weight is None:
        return np.ones_like(y, dtype=float)
    return as_vector(sample_weight)


def coef_penalty(n_features, strength, fit_intercept):
    """Diagonal ``P`` with ``strength`` on the coefficients and 0 on the intercept.

    Examples
    --------
    >>> from skunlearn.models._adapter import coef_penalty
    >>> coef_penalty(2, 0.5, True)
    array([0.5, 0.5, 0. ])
    """
    penalty = np.full(n_features + int(fit_intercept), float(strength))
    if fit_intercept:
        penalty[-1] = 0.0
    return penalty


def regression_target(y):
    """``y`` as a float vector (dask stays dask); a ``ValueError`` for several targets."""
    y = as_vector(y)
    if y.ndim != 1:
        raise ValueError(f"skunlearn supports one regression target; y has shape {y.shape}.")
    return y


def check_binary(estimator):
    """Raise unless a fitted classifier has two classes (an unfitted one passes)."""
    classes = getattr(estimator, "classes_", None)
    if classes is not None and len(classes) != 2:
        raise ValueError(
            f"skunlearn supports binary {type(estimator).__name__} only; the model was "
            f"fitted on {len(classes)} classes."
        )


def linear_parameters(estimator):
    """``[coef_, intercept_]`` of a one-output linear estimator, flat (intercept if fitted).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from skunlearn.models._adapter import linear_parameters
    >>> linear_parameters(Ridge().fit(np.eye(2), [1.0, 0.0]))
    array([ 0.25, -0.25,  0.5 ])
    """
    est = _unwrap(estimator)
    if _several_outputs(est):  # one block [w_k, b_k] per class or target
        blocks = [np.asarray(est.coef_, dtype=float)]
        if est.fit_intercept:
            blocks.append(np.reshape(np.asarray(est.intercept_, dtype=float), (-1, 1)))
        return np.hstack(blocks).ravel()
    theta = np.asarray(est.coef_, dtype=float).ravel()
    if est.fit_intercept:
        theta = np.append(theta, float(np.ravel(est.intercept_)[0]))
    return theta


def set_linear_parameters(estimator, theta):
    """Write ``theta`` into ``coef_`` and ``intercept_``, keeping the shapes the estimator uses.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skunlearn.models._adapter import set_linear_parameters
    >>> est = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    >>> set_linear_parameters(est, [2.0, -1.0])
    >>> est.coef_, est.intercept_
    (array([[2.]]), array([-1.]))
    """
    if _several_outputs(estimator):
        n_outputs, n_features = np.shape(estimator.coef_)
        blocks = np.asarray(theta, dtype=float).reshape(n_outputs, -1)
        estimator.coef_ = blocks[:, :n_features].copy()
        if estimator.fit_intercept:  # otherwise the estimator's zeros stay
            estimator.intercept_ = blocks[:, n_features].copy()
        return
    coef, intercept = split_theta(theta, np.size(estimator.coef_), estimator.fit_intercept)
    estimator.coef_ = coef.reshape(np.shape(estimator.coef_))
    shape = np.shape(estimator.intercept_)
    estimator.intercept_ = np.full(shape, intercept) if shape else intercept


def _several_outputs(est):
    """Whether a fitted linear estimator has several rows of ``coef_`` (classes or targets)."""
    shape = np.shape(est.coef_)
    return len(shape) == 2 and shape[0] > 1


def split_theta(theta, n_features, fit_intercept):
    """Split a flat ``theta`` into ``(coef, intercept)``; intercept 0.0 when not fitted.

    Examples
    --------
    >>> from skunlearn.models._adapter import split_theta
    >>> split_theta([1.0, 2.0, 3.0], 2, True)
    (array([1., 2.]), 3.0)
    """
    theta = np.asarray(theta, dtype=float)
    coef = theta[:n_features].copy()
    intercept = float(theta[n_features]) if fit_intercept else 0.0
    return coef, intercept
