"""What skunlearn's meta-estimators share: the wrapped model and predictions through ``estimator_``.

:class:`~skunlearn.SoftUnlearner` and :class:`~skunlearn.Forgetter` both wrap a
scikit-learn estimator (fitted in a FrozenEstimator, or fitted by them), polish
its parameters to the exact optimum of its training objective, and expose a
fitted copy carrying new parameters as ``estimator_``. :class:`WrappedModelMixin`
delegates predictions to it; :func:`frozen_model` and :func:`warn_polish` are
the shared checks of the wrapped model.
"""

from copy import deepcopy

import numpy as np
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils import ClassifierTags, RegressorTags, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from ._warnings import warn
from .models._adapter import _unwrap
from .models.pipeline import final_adapter, final_step


def is_frozen(estimator):
    """Whether ``estimator`` is a :class:`sklearn.frozen.FrozenEstimator`."""
    return type(estimator).__name__ == "FrozenEstimator"


def frozen_model(meta):
    """The fitted model inside ``meta.estimator`` (a FrozenEstimator), checked against ``X``.

    ``meta.n_features_in_`` (set by ``validate_data``; absent when X is not 2-D)
    must match the model's. Raises ``NotFittedError`` for an unfitted model.
    """
    name = type(meta).__name__
    try:
        check_is_fitted(meta.estimator)
    except NotFittedError as exc:
        raise NotFittedError(
            "The FrozenEstimator wraps an unfitted model; fit it first, or "
            f"pass the unfitted estimator itself to have {name} fit it."
        ) from exc
    original = meta.estimator.estimator
    n_seen = getattr(meta, "n_features_in_", None)  # None: X not 2-D (pipelines)
    n_expected = getattr(original, "n_features_in_", n_seen)
    if n_seen is not None and n_expected != n_seen:
        raise ValueError(
            f"X has {n_seen} features but the frozen model was fitted on {n_expected}."
        )
    return original


def check_binary_target(y, sample_weight, name, multiclass=False, for_estimator=""):
    """Raise unless ``y`` is binary (or, with ``multiclass``, multiclass) with at
    least two classes among the rows of positive weight.

    ``for_estimator`` (`` for <class>``) names the model in the message; a
    multiclass target refused there is pointed to the multinomial model.
    """
    kind = type_of_target(y, input_name="y", raise_unknown=True)
    if kind != "binary" and not (kind == "multiclass" and multiclass):
        hint = "."
        if for_estimator and kind == "multiclass":
            hint = "; multiclass targets are supported by LogisticRegression (multinomial)."
        raise ValueError(
            f"Only binary classification is supported{for_estimator}. The type of the "
            f"target is {kind} ({len(np.unique(y))} distinct labels){hint}"
        )
    present = y if sample_weight is None else y[sample_weight > 0]
    if len(np.unique(present)) < 2:
        raise ValueError(
            f"{name} needs samples of at least 2 classes (with positive "
            f"sample weight); the data has one class: {np.unique(present).tolist()}."
        )


def warn_polish(info, original):
    """Warn when Newton polishing met a singular Hessian or did not converge."""
    if info["solver"] is not None and info["solver"].singular:
        warn(
            "The Hessian of the training objective is singular (collinear "
            "features without regularisation); influences use its pseudo-inverse.",
            RuntimeWarning,
        )
    if info["converged"]:
        return
    warn(
        f"Newton polishing did not reach a stationary point of "
        f"{type(original).__name__}'s training objective: gradient norm "
        f"{info['grad_norm_after']:.3g} after {info['n_iter']} iterations (it was "
        f"{info['grad_norm_before']:.3g} at the fitted parameters). Influences "
        "assume an optimum and are approximate here; check X for non-finite or "
        "extreme values.",
        ConvergenceWarning,
    )


def _estimator_has(attr):
    """For ``available_if``: whether the wrapped estimator has ``attr``."""

    def check(self):
        getattr(self.estimator, attr)
        return True

    return check


class WrappedModelMixin:
    """Predictions, coefficients and tags of a meta-estimator delegated to ``estimator_``.

    The class using it defines ``estimator`` (the wrapped estimator) and
    ``_validate_input(X)`` (X checked against the fitted feature count/names).
    """

    # whether several classes or targets are taken where the family has them
    # (then the tags let scikit-learn's checks try them)
    _multi_output = False

    @property
    def coef_(self):
        """Coefficients of the fitted model (of a pipeline's last step)."""
        check_is_fitted(self, "estimator_")
        return final_step(self.estimator_).coef_

    @property
    def intercept_(self):
        """Intercept of the fitted model (of a pipeline's last step)."""
        check_is_fitted(self, "estimator_")
        return final_step(self.estimator_).intercept_

    @property
    def classes_(self):
        """Class labels of a classifier (an AttributeError for a regressor)."""
        check_is_fitted(self, "estimator_")
        if not final_adapter(self.estimator).is_classifier:
            return self.estimator_.classes_  # a regressor's AttributeError
        return final_adapter(self.estimator).classes(self.estimator_)

    def _inner_input(self, X):
        """Validate X against the fitted feature count/names, then hand it on."""
        check_is_fitted(self, "estimator_")
        Xv = self._validate_input(X)
        # A frozen model fitted on a DataFrame expects its feature names back.
        if hasattr(self.estimator_, "feature_names_in_") and hasattr(X, "columns"):
            return X
        return Xv

    def predict(self, X):
        """Predict with ``estimator_`` (no sensitive features needed).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        X = self._inner_input(X)
        # as labels of classes_ (dask-ml's LogisticRegression predicts booleans)
        return final_adapter(self.estimator).labels(self.estimator_, self.estimator_.predict(X))

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of ``estimator_``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._inner_input(X)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of ``estimator_``."""
        X = self._inner_input(X)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function (linear score) of ``estimator_``."""
        X = self._inner_input(X)
        return self.estimator_.decision_function(X)

    def score(self, X, y, sample_weight=None):
        """Accuracy (classifier) or R^2 (regressor) of ``estimator_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        X = self._inner_input(X)
        if sample_weight is None:  # dask-ml's score takes no sample_weight
            return self.estimator_.score(X, y)
        return self.estimator_.score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # the fitted model decides what is predicted; a pipeline's first steps
        # decide which inputs are accepted
        inner = get_tags(final_step(self.estimator))
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = deepcopy(inner.classifier_tags)
        tags.regressor_tags = deepcopy(inner.regressor_tags)
        adapter = None
        # several classes or targets where the family has them; or no estimator type
        # (dask-ml's models are plain BaseEstimators): the adapter tells
        if self._multi_output or tags.estimator_type is None:
            try:
                adapter = final_adapter(self.estimator)
            except TypeError:  # unsupported: fit says so
                pass
        if tags.estimator_type is None and adapter is not None:
            tags.estimator_type = "classifier" if adapter.is_classifier else "regressor"
            if adapter.is_classifier:
                tags.classifier_tags = ClassifierTags()
            else:
                tags.regressor_tags = RegressorTags()
        if tags.classifier_tags is not None:
            tags.classifier_tags.multi_class = getattr(adapter, "multiclass", False)
            tags.classifier_tags.multi_label = False  # RidgeClassifier, MLPClassifier say True
        tags.target_tags.required = True
        tags.target_tags.multi_output = getattr(adapter, "multi_target", False)
        tags.target_tags.positive_only = inner.target_tags.positive_only  # GLMs
        tags.input_tags.sparse = get_tags(_unwrap(self.estimator)).input_tags.sparse
        return tags
