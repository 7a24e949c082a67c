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
    >>> supported_estimators()
    ['LogisticRegression', 'Ridge', 'LinearRegression']
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
    TypeError: DecisionTreeClassifier is not supported by skunlearn; supported estimators are LogisticRegression, Ridge, LinearRegression (also inside a FrozenEstimator).
    """
    base = _unwrap(estimator)
    for adapter in _ADAPTERS:
        if isinstance(base, adapter.estimator_types()):
            return adapter
    raise TypeError(
        f"{type(base).__name__} is not supported by skunlearn; supported estimators "
        f"are {', '.join(supported_estimators())} (also inside a FrozenEstimator)."
    )


class ModelAdapter:
    """Reads and writes one family of fitted linear estimators.

    Subclasses define :attr:`estimator_names`, :meth:`estimator_types`,
    :meth:`check_params`, :meth:`build`, :meth:`parameters` and :meth:`set_parameters`.

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
    def parameters(cls, estimator):
        """The fitted ``theta = [coef, intercept]`` as a flat float array."""
        raise NotImplementedError

    @classmethod
    def set_parameters(cls, estimator, theta):
        """Write ``theta`` into the fitted attributes of ``estimator`` (in place)."""
        raise NotImplementedError

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
