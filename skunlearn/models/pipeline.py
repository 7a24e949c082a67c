"""Pipelines: a fixed transform followed by a supported final estimator.

``SoftUnlearner(pipeline)`` corrects the pipeline's last step. The steps before
it are a fitted feature map ``T`` (scaling, one-hot encoding, a
``ColumnTransformer``, ...) that unlearning keeps fixed, exactly as the output-layer
adapter keeps a network's hidden layers fixed. The two maps compose in one
direction::

    X --T (the pipeline's other steps, applied once)--> T(X)
      --adapter.features (the model's own fixed part: identity, or hidden layers)--> design

so the final step's adapter sees ``T(X)`` as if the user had passed the transformed
matrix, and every later stage (objective, influence, weights, update) is the one
used without a pipeline. The transform is applied once to the training rows and
once to the evaluation rows; the refit update refits the final step alone on
``T(X)``. The corrected final step is then put back into a copy of the pipeline,
so predictions go through the whole pipeline and the user's pipeline is never
modified.

This is not an adapter: it wraps whichever adapter the final step has, and adding
an estimator family needs no change here.

Examples
--------
>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from skunlearn.models.pipeline import Composite
>>> X = np.random.default_rng(0).normal(size=(100, 2)) * [1.0, 100.0]
>>> y = (X[:, 0] > 0).astype(int)
>>> pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
>>> parts = Composite.of(pipe)
>>> type(parts.final).__name__, bool(np.allclose(parts.features(X).std(axis=0), 1.0))
('LogisticRegression', True)
>>> copy = parts.assemble(LogisticRegression().fit(parts.features(X), 1 - y))
>>> copy is pipe, bool((copy.predict(X) != pipe.predict(X)).all())
(False, True)
"""

import copy
from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_array

from ._adapter import _unwrap, adapter_for, supported_estimators


def is_pipeline(estimator):
    """Whether ``estimator`` (inside a FrozenEstimator or not) is a scikit-learn Pipeline."""
    from sklearn.pipeline import Pipeline

    return isinstance(_unwrap(estimator), Pipeline)


def final_step(estimator):
    """The estimator whose objective is corrected: a pipeline's last step, or the estimator.

    FrozenEstimator wrappers are removed, around the pipeline and around its last step.

    Examples
    --------
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skunlearn.models.pipeline import final_step
    >>> final_step(FrozenEstimator(make_pipeline(StandardScaler(), Ridge(alpha=2.0))))
    Ridge(alpha=2.0)
    """
    estimator = _unwrap(estimator)
    if is_pipeline(estimator):
        return _unwrap(estimator.steps[-1][1])
    return estimator


def final_adapter(estimator):
    """The adapter of :func:`final_step`; a ``TypeError`` naming the supported last steps.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skunlearn.models.pipeline import final_adapter
    >>> final_adapter(make_pipeline(StandardScaler(), DecisionTreeClassifier()))
    Traceback (most recent call last):
    ...
    TypeError: The last step of the pipeline, DecisionTreeClassifier, is not supported by skunlearn: SoftUnlearner corrects the last step, which must be one of LogisticRegression, Ridge, LinearRegression, LogisticRegressionCV, RidgeCV, PoissonRegressor, GammaRegressor, TweedieRegressor, SGDClassifier, SGDRegressor, RidgeClassifier, MLPClassifier, MLPRegressor, dask_ml LogisticRegression, dask_ml LinearRegression, dask_ml PoissonRegression.
    """
    final = final_step(estimator)
    try:
        return adapter_for(final)
    except TypeError:
        if not is_pipeline(estimator):
            raise
        name = type(final).__name__ if hasattr(final, "fit") else repr(final)
        raise TypeError(
            f"The last step of the pipeline, {name}, is not supported by skunlearn: "
            "SoftUnlearner corrects the last step, which must be one of "
            f"{', '.join(supported_estimators())}."
        ) from None


@dataclass(frozen=True)
class Composite:
    """A fitted estimator as a fixed transform followed by the model skunlearn corrects.

    Attributes
    ----------
    whole : estimator
        The fitted estimator as given (a Pipeline, or the model itself).
    transform : Pipeline or None
        The pipeline's steps but the last (fitted, shared with ``whole``: only its
        ``transform`` is called); ``None`` without a pipeline.
    final : estimator
        The fitted model whose parameters are corrected.
    """

    whole: object
    transform: object
    final: object

    @classmethod
    def of(cls, fitted):
        """Split a fitted estimator (FrozenEstimator wrappers removed)."""
        fitted = _unwrap(fitted)
        if not is_pipeline(fitted):
            return cls(fitted, None, fitted)
        return cls(fitted, fitted[:-1], final_step(fitted))

    def features(self, X):
        """``T(X)``: the fixed transform's output as floats (CSR when sparse); X without one."""
        if self.transform is None:
            return X
        return check_array(
            self.transform.transform(X), accept_sparse="csr", dtype=np.float64,
            input_name="the transformed X",
        )

    def assemble(self, final):
        """The whole estimator with ``final`` as its model: a copy, ``whole`` is untouched.

        The transform steps are deep-copied, so refitting the user's pipeline later
        cannot change the corrected one.
        """
        if self.transform is None:
            return final
        new = copy.copy(self.whole)  # the Pipeline object; its steps are replaced below
        *head, (name, _) = self.whole.steps
        new.steps = [*copy.deepcopy(head), (name, final)]
        return new


def fit_params(estimator, sample_weight):
    """Keyword arguments giving ``sample_weight`` to an unfitted ``estimator``'s ``fit``.

    In a Pipeline, every step whose ``fit`` takes ``sample_weight`` gets it
    (``<step>__sample_weight``), the last step always: a weight then means repeated
    rows for the whole pipeline, as it does for a single model. With scikit-learn's
    metadata routing enabled, ``sample_weight`` goes to the steps that requested it.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> from skunlearn.models.pipeline import fit_params
    >>> pipe = make_pipeline(OneHotEncoder(), StandardScaler(), LogisticRegression())
    >>> list(fit_params(pipe, [1.0, 2.0]))
    ['standardscaler__sample_weight', 'logisticregression__sample_weight']
    """
    if sample_weight is None:
        return {}
    from sklearn import get_config
    from sklearn.utils.validation import has_fit_parameter

    if not is_pipeline(estimator) or get_config().get("enable_metadata_routing", False):
        return {"sample_weight": sample_weight}
    *head, (last, _) = estimator.steps
    names = [name for name, step in head
             if step not in (None, "passthrough") and has_fit_parameter(step, "sample_weight")]
    return {f"{name}__sample_weight": sample_weight for name in [*names, last]}
