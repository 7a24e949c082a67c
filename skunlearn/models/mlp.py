"""Adapter for the output layer of a binary :class:`~sklearn.neural_network.MLPClassifier`
and a single-output :class:`~sklearn.neural_network.MLPRegressor`.

The setting of Qiao et al. (2025): the hidden layers are kept and the output
layer, a linear model on the last hidden activations ``a(x)``, is corrected.
scikit-learn's multi-layer perceptron minimises

.. math::

    \\frac{1}{\\sum_i s_i} \\Big[ \\sum_i s_i \\, l(a(x_i)^T w + b, y_i)
    + \\tfrac{\\alpha}{2} \\sum_{\\text{layers}} \\|W\\|_F^2 \\Big]

(``_backprop``: the penalty over all layers' weights, not the intercepts,
divided by the same total weight as the loss), with ``l`` the log-loss of the
logistic output unit (binary classifier) or half the squared error (regressor).
With the hidden layers fixed, the output layer's objective is, up to the
positive factor ``sum(s)`` and a constant,
``sum_i s_i l(a_i^T w + b, y_i) + alpha/2 ||w||^2``: a logistic regression with
``C = 1 / alpha``, or a ridge regression with ``alpha`` on the activations. In
the :class:`LinearModel` form: scale 1 (0.5 with
:class:`~skunlearn.losses.SquaredLoss`, which has no 1/2) and ``P = alpha`` on
the output weights. Reweighting then matches scikit-learn's weighted fit.

**Influences are last-layer influences**: how reweighting a row moves the
optimum of the output layer with the representation ``a(x)`` held fixed, not
how retraining the whole network would move. :meth:`_OutputLayerAdapter.features` is
the network's forward pass up to the last hidden layer: the objective's design
matrix is ``a(X)`` (built from the raw ``X`` passed to :meth:`build`), targets
evaluate on ``a(X_eval)``, and predictions go through the whole network. The
refit update refits the output layer (a ``LogisticRegression(C=1/alpha)`` or
``Ridge(alpha)`` on the activations, the same objective), never the hidden
layers. The adam/sgd solvers stop far from the output layer's optimum:
skunlearn starts from the Newton-polished layer and
``SoftUnlearner.polish_["grad_norm_before"]`` says how far the fitted one was.

References
----------
Qiao, X., Ding, Y., Cheng, Z., Zhang, W. (2025). Soft weighted machine
unlearning. arXiv:2505.18783.
"""

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression, Ridge

from ..losses import LogisticLoss, SquaredLoss
from ._adapter import (
    ModelAdapter,
    _unwrap,
    coef_penalty,
    register_adapter,
    regression_target,
    row_weights,
    split_theta,
)
from ._base import LinearModel
from .logistic import LogisticRegressionAdapter

# scikit-learn's hidden-layer activations (sklearn.neural_network._base.ACTIVATIONS)
_ACTIVATIONS = {
    "identity": lambda a: a,
    "logistic": expit,
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0.0),
}


class _OutputLayerAdapter(ModelAdapter):
    """The output layer of a multi-layer perceptron (shared by both adapters below).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.neural_network import MLPClassifier
    >>> from skunlearn.models import adapter_for
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = (X[:, 0] * X[:, 1] > 0).astype(int)
    >>> net = MLPClassifier(hidden_layer_sizes=(8,), alpha=0.01, max_iter=2000,
    ...                     random_state=0).fit(X, y)
    >>> adapter = adapter_for(net)
    >>> adapter.__name__
    'MLPClassifierAdapter'
    >>> model = adapter.build(net, X, y, None)      # the design is the hidden activations
    >>> model.design.n_features
    8
    >>> theta, _ = model.polish(adapter.parameters(net))
    >>> layer = LogisticRegression(C=1 / 0.01, tol=1e-12).fit(adapter.features(net, X), y)
    >>> np.allclose(theta[:-1], layer.coef_.ravel(), atol=1e-5)
    True
    """

    @classmethod
    def check_params(cls, estimator):
        est = _unwrap(estimator)
        if est.activation not in _ACTIVATIONS:
            raise ValueError(f"Unknown MLP activation {est.activation!r}.")
        outputs = getattr(est, "n_outputs_", 1)
        if outputs != 1:
            kind = ("binary classification (one logistic output unit)"
                    if cls.is_classifier else "one regression target")
            raise ValueError(
                f"skunlearn supports {type(est).__name__} with {kind} only; the network "
                f"was fitted with {outputs} outputs."
            )
        if cls.is_classifier and getattr(est, "out_activation_", "logistic") != "logistic":
            raise ValueError(
                "skunlearn supports binary MLPClassifier only (a logistic output "
                f"unit); the network's output is {est.out_activation_!r}."
            )

    @classmethod
    def features(cls, estimator, X):
        """Last hidden layer's activations ``a(X)``: the forward pass without the output layer.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.neural_network import MLPRegressor
        >>> from skunlearn.models import MLPRegressorAdapter
        >>> X = np.random.default_rng(0).normal(size=(50, 2))
        >>> net = MLPRegressor(hidden_layer_sizes=(4, 3), max_iter=50).fit(X, X[:, 0])
        >>> A = MLPRegressorAdapter.features(net, X)
        >>> A.shape, np.allclose(A @ net.coefs_[-1] + net.intercepts_[-1], net.predict(X)[:, None])
        ((50, 3), True)
        """
        est = _unwrap(estimator)
        activation = _ACTIVATIONS[est.activation]
        a = X
        for W, b in zip(est.coefs_[:-1], est.intercepts_[:-1]):
            a = activation(np.asarray(a @ W) + b)
        return np.asarray(a, dtype=float)

    @classmethod
    def build(cls, estimator, X, y, sample_weight):
        est = _unwrap(estimator)
        cls.check_params(est)
        A = cls.features(est, X)
        if cls.is_classifier:
            y = cls.encode_target(est, y)
            loss, scale = LogisticLoss(), 1.0
        else:
            y = regression_target(y)
            loss, scale = SquaredLoss(), 0.5  # MLPRegressor's loss is half the squared error
        sw = row_weights(sample_weight, y)
        penalty = coef_penalty(A.shape[1], est.alpha, True)
        return LinearModel(A, y, sw, loss, scale, penalty, True)

    @classmethod
    def encode_target(cls, estimator, y):
        """Map labels to 0/1 (1 for ``classes_[1]``); unknown labels raise."""
        return LogisticRegressionAdapter.encode_target(estimator, y)

    @classmethod
    def parameters(cls, estimator):
        est = _unwrap(estimator)
        return np.append(np.ravel(est.coefs_[-1]), np.ravel(est.intercepts_[-1])[0]).astype(float)

    @classmethod
    def set_parameters(cls, estimator, theta):
        coef, intercept = split_theta(theta, estimator.coefs_[-1].shape[0], True)
        # new lists: a shallow copy of the network must not share its layers
        estimator.coefs_ = [*estimator.coefs_[:-1], coef.reshape(-1, 1)]
        estimator.intercepts_ = [*estimator.intercepts_[:-1], np.array([intercept])]

    @classmethod
    def layer_estimator(cls, estimator):
        """The output layer as a scikit-learn linear model on ``features(X)`` (same objective)."""
        est = _unwrap(estimator)
        if cls.is_classifier:
            C = np.inf if est.alpha == 0 else 1.0 / est.alpha
            # Newton: few parameters, and the activations can be badly conditioned
            return LogisticRegression(C=C, solver="newton-cholesky", tol=1e-10, max_iter=1000)
        return Ridge(alpha=est.alpha)

    @classmethod
    def refit(cls, estimator, X, y, sample_weight, theta0):
        """The network with its output layer refitted on the activations; hidden layers kept."""
        est = _unwrap(estimator)
        A = cls.features(est, X)
        layer = cls.layer_estimator(est)
        if cls.is_classifier:
            layer.set_params(warm_start=True)
            layer.coef_ = np.asarray(theta0[:-1], dtype=float).reshape(1, -1).copy()
            layer.intercept_ = np.array([theta0[-1]], dtype=float)
            y = cls.encode_target(est, y)
        layer.fit(A, y, sample_weight=sample_weight)
        theta = np.append(np.ravel(layer.coef_), np.ravel(layer.intercept_)[0])
        return cls.with_parameters(est, theta)


@register_adapter
class MLPClassifierAdapter(_OutputLayerAdapter):
    """Output layer of a binary MLPClassifier (logistic unit, log-loss)."""

    estimator_names = ("MLPClassifier",)
    is_classifier = True

    @classmethod
    def estimator_types(cls):
        from sklearn.neural_network import MLPClassifier

        return (MLPClassifier,)


@register_adapter
class MLPRegressorAdapter(_OutputLayerAdapter):
    """Output layer of a single-output MLPRegressor (identity unit, half squared error)."""

    estimator_names = ("MLPRegressor",)
    is_classifier = False

    @classmethod
    def estimator_types(cls):
        from sklearn.neural_network import MLPRegressor

        return (MLPRegressor,)
