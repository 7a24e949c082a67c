"""Per-row losses of a linear score ``z = x^T w + b`` and their derivatives in ``z``.

Every supported model is a generalised linear model, so the derivatives of its
training objective with respect to the parameters follow from the chain rule:
the gradient of row ``i`` is ``l'(z_i) x~_i`` and its Hessian ``l''(z_i) x~_i x~_i^T``.
Keeping the loss apart from the linear model, with each derivative beside the
function it differentiates, follows ``sklearn/linear_model/_linear_loss.py``.
"""

import numpy as np
from scipy.special import expit, logsumexp, softmax, xlogy


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
        """Per-row loss; computed stably for large ``|z|``.

        ``l = y softplus(-z) + (1 - y) softplus(z)`` with ``softplus(+-z) =
        max(+-z, 0) + log(1 + exp(-|z|))``: the logarithm is shared, one ``exp``
        and one ``log1p`` per row (a third of two ``log_expit`` calls' time).
        """
        return _log_loss(z, y, np.exp(-np.abs(z)))

    def derivative(self, z, y):
        """``dl/dz = sigmoid(z) - y``."""
        return _sigmoid(z) - y

    def value_and_derivative(self, z, y):
        """:meth:`value` and :meth:`derivative` from one ``exp(-|z|)``: a Newton
        step evaluates the loss at its new point, then the gradient there.

        Examples
        --------
        >>> import numpy as np
        >>> from skunlearn.losses import LogisticLoss
        >>> loss, z, y = LogisticLoss(), np.array([-3.0, 0.5, 40.0]), np.array([1.0, 0.0, 1.0])
        >>> value, derivative = loss.value_and_derivative(z, y)
        >>> bool(np.allclose(value, loss.value(z, y))), bool(np.allclose(derivative, loss.derivative(z, y)))
        (True, True)
        """
        e = np.exp(-np.abs(z))
        return _log_loss(z, y, e), _sigmoid(z, e) - y

    def second_derivative(self, z, y):
        """``d2l/dz2 = sigmoid(z) (1 - sigmoid(z))``."""
        return _sigmoid_derivative(z)

    def third_derivative_bound(self, lo, hi, y):
        """``sup |l'''(z)|`` over ``lo <= z <= hi``, per row (``l''' = p (1 - p) (1 - 2 p)``).

        ``|l'''|`` is even in ``z``, rises to ``1 / (6 sqrt 3)`` at
        ``z = +-log(2 + sqrt 3)`` and falls beyond: on an interval it peaks there
        if the interval holds that point, at an end otherwise.

        Examples
        --------
        >>> import numpy as np
        >>> from skunlearn.losses import LogisticLoss
        >>> np.round(LogisticLoss().third_derivative_bound(
        ...     np.array([-1.0, 5.0]), np.array([2.0, 6.0]), np.zeros(2)), 5)
        array([0.09623, 0.00656])
        """
        def size(z):
            p = expit(z)
            return np.abs(p * (1.0 - p) * (1.0 - 2.0 * p))

        lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
        peak = np.log(2.0 + np.sqrt(3.0))
        holds_peak = ((lo <= peak) & (peak <= hi)) | ((lo <= -peak) & (-peak <= hi))
        return np.where(holds_peak, 1.0 / (6.0 * np.sqrt(3.0)), np.maximum(size(lo), size(hi)))

    def predict(self, z):
        """Probability of the positive class."""
        return _sigmoid(z)

    def predict_derivative(self, z):
        """``d sigmoid(z) / dz``."""
        return _sigmoid_derivative(z)


def _log_loss(z, y, e):
    """``log(1 + exp(z)) - y z`` for ``y`` in {0, 1}, given ``e = exp(-|z|)``: one
    ``log1p`` serves both softplus terms, and no large terms cancel."""
    return np.log1p(e) + y * np.maximum(-z, 0.0) + (1.0 - y) * np.maximum(z, 0.0)


def _sigmoid(z, e=None):
    """``1 / (1 + exp(-z))`` from ``e = exp(-|z|)``: ``1 / (1 + e)`` for ``z >= 0``,
    ``e / (1 + e)`` below, exact to rounding at any ``z`` and a third of
    ``scipy.special.expit``'s time (the loss derivatives run at every Newton
    iteration). ``e``, if given, is ``exp(-|z|)`` already computed.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import expit
    >>> from skunlearn.losses import _sigmoid
    >>> z = np.array([-800.0, -30.0, 0.0, 2.5, 800.0])
    >>> bool(np.allclose(_sigmoid(z), expit(z), rtol=1e-15, atol=0))
    True
    """
    e = np.exp(-np.abs(z)) if e is None else e
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def _sigmoid_derivative(z):
    """``sigmoid(z) (1 - sigmoid(z)) = e / (1 + e)^2`` with ``e = exp(-|z|)``: even in
    ``z``, without the cancellation of ``1 - sigmoid(z)`` where it is near 1."""
    e = np.exp(-np.abs(z))
    d = 1.0 + e
    return e / (d * d)


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

    def third_derivative_bound(self, lo, hi, y):
        """``sup |l'''|`` on ``[lo, hi]``: 0, the loss is quadratic."""
        return np.zeros_like(np.asarray(lo, dtype=float))

    def predict(self, z):
        """The prediction is the score itself."""
        return np.asarray(z, dtype=float)

    def predict_derivative(self, z):
        """``dz/dz = 1``."""
        return np.ones_like(np.asarray(z, dtype=float))


class HalfTweedieLoss:
    """Half the Tweedie deviance of ``y`` from ``mu = exp(z)`` (log link), ``1 <= power <= 2``.

    .. math::

        l(z, y) = \\frac{y^{2-p}}{(1-p)(2-p)} - \\frac{y \\mu^{1-p}}{1-p}
                  + \\frac{\\mu^{2-p}}{2-p}, \\qquad \\mu = e^z,

    with the limits ``y log(y / mu) - y + mu`` at ``p = 1`` (Poisson) and
    ``log(mu / y) + y / mu - 1`` at ``p = 2`` (Gamma): the unit deviance of
    scikit-learn's GLMs, halved, 0 at ``mu = y``. In ``z``,
    ``l' = mu^{1-p} (mu - y)`` and ``l'' = (2-p) mu^{2-p} + (p-1) y mu^{1-p}``,
    non-negative for ``1 <= p <= 2`` and ``y >= 0``: the loss is convex in the
    score there (outside that range ``l''`` changes sign). The prediction is
    ``mu = exp(z)``, not the score.

    Parameters
    ----------
    power : float in [1, 2]
        Tweedie power: 1 Poisson, 2 Gamma, in between compound Poisson-Gamma.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.losses import HalfTweedieLoss
    >>> loss = HalfTweedieLoss(power=1.0)
    >>> z = np.log(np.array([2.0])); y = np.array([2.0])
    >>> loss.value(z, y), loss.derivative(z, y), loss.predict(z)
    (array([0.]), array([0.]), array([2.]))
    """

    def __init__(self, power):
        self.power = float(power)
        self.name = {1.0: "half_poisson_deviance", 2.0: "half_gamma_deviance"}.get(
            self.power, f"half_tweedie_deviance(power={self.power:g})")

    def value(self, z, y):
        """Per-row half deviance (0 where ``exp(z) = y``)."""
        p, mu = self.power, np.exp(z)
        if p == 1.0:
            return xlogy(y, y) - y * z - y + mu
        if p == 2.0:
            return z - np.log(y) + y / mu - 1.0
        return (y ** (2 - p) / ((1 - p) * (2 - p)) - y * mu ** (1 - p) / (1 - p)
                + mu ** (2 - p) / (2 - p))

    def derivative(self, z, y):
        """``dl/dz = mu^{1-p} (mu - y)``."""
        mu = np.exp(z)
        return mu ** (1.0 - self.power) * (mu - y)

    def second_derivative(self, z, y):
        """``d2l/dz2 = (2-p) mu^{2-p} + (p-1) y mu^{1-p}``."""
        p, mu = self.power, np.exp(z)
        return (2.0 - p) * mu ** (2.0 - p) + (p - 1.0) * y * mu ** (1.0 - p)

    def third_derivative_bound(self, lo, hi, y):
        """An upper bound of ``|l'''(z)|`` over ``lo <= z <= hi``, per row.

        ``l''' = (2-p)^2 mu^{2-p} - (p-1)^2 y mu^{1-p}``: the first term grows
        with ``z`` and the second shrinks, so
        ``(2-p)^2 e^{(2-p) hi} + (p-1)^2 y e^{(1-p) lo}`` bounds it (for Poisson
        it is the exact ``e^{hi}``).
        """
        p = self.power
        return ((2.0 - p) ** 2 * np.exp((2.0 - p) * np.asarray(hi, dtype=float))
                + (p - 1.0) ** 2 * y * np.exp((1.0 - p) * np.asarray(lo, dtype=float)))

    def predict(self, z):
        """The mean ``exp(z)``."""
        return np.exp(z)

    def predict_derivative(self, z):
        """``d exp(z) / dz``."""
        return np.exp(z)


class SignedSquaredLoss:
    """Squared error against ``t = 2 y - 1`` for labels ``y`` in {0, 1}: ``l = (t - z)^2``.

    RidgeClassifier's loss: least squares on -1/+1 targets, class 1 where
    ``z > 0``. Labels stay 0/1 so that class-conditional objectives and accuracy
    read them as for any classifier. Its smooth prediction is the linear
    probability ``(1 + z) / 2`` (least squares on 0/1 targets estimates the
    probability of class 1): mean-prediction parity compares its group means.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.losses import SignedSquaredLoss
    >>> loss = SignedSquaredLoss()
    >>> loss.value(np.array([0.5]), np.array([0.0])), loss.predict(np.array([0.5]))
    (array([2.25]), array([0.75]))
    """

    name = "squared_error_on_signed_labels"

    def value(self, z, y):
        """Per-row loss."""
        return (2.0 * y - 1.0 - z) ** 2

    def derivative(self, z, y):
        """``dl/dz = 2 (z - t)``."""
        return 2.0 * (z - (2.0 * y - 1.0))

    def second_derivative(self, z, y):
        """``d2l/dz2 = 2``."""
        return np.full_like(np.asarray(z, dtype=float), 2.0)

    def third_derivative_bound(self, lo, hi, y):
        """``sup |l'''|`` on ``[lo, hi]``: 0, the loss is quadratic."""
        return np.zeros_like(np.asarray(lo, dtype=float))

    def predict(self, z):
        """Linear probability of class 1, ``(1 + z) / 2``."""
        return 0.5 * (1.0 + np.asarray(z, dtype=float))

    def predict_derivative(self, z):
        """``1 / 2``."""
        return np.full_like(np.asarray(z, dtype=float), 0.5)


# --------------------------------------------------------------------------
# Losses of several linear scores per row: ``Z = X~ Theta^T``, one column per
# output (class of a multinomial model, or target of a multi-target regressor).
# Each has ``n_outputs`` and returns per-row values (n,), derivatives (n, K) and
# second derivatives (n, K, K) in the K scores of the row.


class SoftmaxLoss:
    """Multinomial cross-entropy ``l(z, y) = log sum_k exp(z_k) - z_y`` for ``y`` in {0..K-1}.

    scikit-learn's ``HalfMultinomialLoss`` (the whole cross-entropy, despite the
    name) in the full parametrisation of multinomial ``LogisticRegression``: one
    score per class. Its derivatives in the scores are ``p - e_y`` and
    ``diag(p) - p p^T`` with ``p = softmax(z)``. Adding the same number to
    every score changes nothing (``shift_invariant``), so the Hessian in the
    scores is singular along ``1``; the predicted probabilities lie on the
    simplex (``simplex``: they sum to one).

    Parameters
    ----------
    n_classes : int
        Number of classes ``K``.
    names : sequence of str or None
        A name per class (the estimator's ``classes_``), for target row names.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.losses import SoftmaxLoss
    >>> loss = SoftmaxLoss(3)
    >>> Z = np.zeros((1, 3)); y = np.array([2.0])
    >>> loss.value(Z, y), loss.derivative(Z, y)
    (array([1.09861229]), array([[ 0.33333333,  0.33333333, -0.66666667]]))
    """

    name = "log_loss"
    shift_invariant = True
    simplex = True

    def __init__(self, n_classes, names=None):
        self.n_outputs = int(n_classes)
        self.output_names = [f"class={c}" for c in (range(self.n_outputs) if names is None
                                                    else names)]

    @staticmethod
    def _codes(y):
        return np.asarray(y).astype(np.intp)

    def value(self, Z, y):
        """Per-row cross-entropy, stable for large scores."""
        return logsumexp(Z, axis=1) - np.take_along_axis(Z, self._codes(y)[:, None], 1)[:, 0]

    def derivative(self, Z, y):
        """``dl/dz = softmax(z) - e_y``, shape (n, K)."""
        G = softmax(Z, axis=1)
        G[np.arange(len(G)), self._codes(y)] -= 1.0
        return G

    def second_derivative(self, Z, y):
        """``d2l/dz2 = diag(p) - p p^T``, shape (n, K, K) (independent of ``y``)."""
        return self.predict_jacobian(Z)

    def predict(self, Z):
        """Class probabilities ``softmax(z)``, shape (n, K)."""
        return softmax(Z, axis=1)

    def predict_jacobian(self, Z):
        """``d p_c / d z_l = p_c (delta_cl - p_l)``, shape (n, K, K) indexed ``[i, c, l]``."""
        P = softmax(Z, axis=1)
        J = -P[:, :, None] * P[:, None, :]
        J[:, np.arange(self.n_outputs), np.arange(self.n_outputs)] += P
        return J

    def hard_predict(self, Z):
        """The most probable class (its code), as floats like the encoded labels."""
        return np.argmax(Z, axis=1).astype(float)


class MultiSquaredLoss:
    """Squared error summed over ``m`` targets, ``l(z, y) = sum_j (y_j - z_j)^2``.

    Ridge's and LinearRegression's loss with a 2-D ``y``: ``m`` least-squares
    problems sharing the rows (the Hessian in the scores is ``2 I``, so the
    outputs decouple). Per-output values (:meth:`output_values`) serve the
    per-target objectives.

    Parameters
    ----------
    n_targets : int

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.losses import MultiSquaredLoss
    >>> loss = MultiSquaredLoss(2)
    >>> loss.value(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]))
    array([5.])
    """

    name = "squared_error"
    shift_invariant = False
    simplex = False

    def __init__(self, n_targets):
        self.n_outputs = int(n_targets)
        self.output_names = [f"target={j}" for j in range(self.n_outputs)]

    def value(self, Z, Y):
        """Per-row loss, summed over the targets."""
        return np.sum((Y - Z) ** 2, axis=1)

    def output_values(self, Z, Y):
        """Per-row, per-target squared errors, shape (n, m)."""
        return (Y - Z) ** 2

    def derivative(self, Z, Y):
        """``dl/dz = 2 (z - y)``, shape (n, m); also the per-target derivatives."""
        return 2.0 * (Z - Y)

    output_derivatives = derivative

    def second_derivative(self, Z, Y):
        """``2 I`` for every row (a read-only broadcast view), shape (n, m, m)."""
        return np.broadcast_to(2.0 * np.eye(self.n_outputs), (len(Z),) + (self.n_outputs,) * 2)

    def predict(self, Z):
        """The scores themselves."""
        return np.asarray(Z, dtype=float)

    def predict_jacobian(self, Z):
        """The identity for every row, shape (n, m, m)."""
        return np.broadcast_to(np.eye(self.n_outputs), (len(Z),) + (self.n_outputs,) * 2)


def is_multi_output(loss):
    """Whether ``loss`` scores several outputs per row (:class:`SoftmaxLoss`, :class:`MultiSquaredLoss`).

    Examples
    --------
    >>> from skunlearn.losses import LogisticLoss, SoftmaxLoss, is_multi_output
    >>> is_multi_output(LogisticLoss()), is_multi_output(SoftmaxLoss(3))
    (False, True)
    """
    return getattr(loss, "n_outputs", None) is not None
