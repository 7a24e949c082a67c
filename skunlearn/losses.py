"""Per-row losses of a linear score ``z = x^T w + b`` and their derivatives in ``z``.

Every supported model is a generalised linear model, so the derivatives of its
training objective with respect to the parameters follow from the chain rule:
the gradient of row ``i`` is ``l'(z_i) x~_i`` and its Hessian ``l''(z_i) x~_i x~_i^T``.
Keeping the loss apart from the linear model, with each derivative beside the
function it differentiates, follows ``sklearn/linear_model/_linear_loss.py``.
"""

import numpy as np
from scipy.special import expit, log_expit


class LogisticLoss:
    """Binary log-loss ``l(z, y) = log(1 + exp(z)) - y z`` for ``y`` in {0, 1}.

    The predicted quantity (:meth:`predict`) is the probability of the positive
    class ``sigmoid(z)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.losses import LogisticLoss
    >>> loss = LogisticLoss()
    >>> loss.value(np.array([0.0]), np.array([1.0]))
    array([0.69314718])
    >>> loss.derivative(np.array([0.0]), np.array([1.0]))
    array([-0.5])
    """

    name = "log_loss"

    def value(self, z, y):
        """Per-row loss; computed stably for large ``|z|``."""
        return -(y * log_expit(z) + (1.0 - y) * log_expit(-z))

    def derivative(self, z, y):
        """``dl/dz = sigmoid(z) - y``."""
        return expit(z) - y

    def second_derivative(self, z, y):
        """``d2l/dz2 = sigmoid(z) (1 - sigmoid(z))``."""
        p = expit(z)
        return p * (1.0 - p)

    def predict(self, z):
        """Probability of the positive class."""
        return expit(z)

    def predict_derivative(self, z):
        """``d sigmoid(z) / dz``."""
        p = expit(z)
        return p * (1.0 - p)


class SquaredLoss:
    """Squared error ``l(z, y) = (y - z)^2`` (scikit-learn's Ridge scaling, no 1/2).

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.losses import SquaredLoss
    >>> SquaredLoss().derivative(np.array([3.0]), np.array([1.0]))
    array([4.])
    """

    name = "squared_error"

    def value(self, z, y):
        """Per-row loss."""
        return (y - z) ** 2

    def derivative(self, z, y):
        """``dl/dz = 2 (z - y)``."""
        return 2.0 * (z - y)

    def second_derivative(self, z, y):
        """``d2l/dz2 = 2``."""
        return np.full_like(np.asarray(z, dtype=float), 2.0)

    def predict(self, z):
        """The prediction is the score itself."""
        return np.asarray(z, dtype=float)

    def predict_derivative(self, z):
        """``dz/dz = 1``."""
        return np.ones_like(np.asarray(z, dtype=float))
