"""The protocol of a target: a smooth vector function ``F(theta)`` driven to zero.

An :class:`Objective` is a description (a name and its settings). Binding it to
evaluation data gives a :class:`BoundObjective` with ``value(theta)`` (k numbers)
and ``jacobian(theta)`` (k x p). Influence, weights and updates only ever see
bound objectives, so a new objective is one new class.
"""

import numpy as np

from .._dask import as_vector, compute, persist


class BoundObjective:
    """An objective evaluated on fixed data: ``value`` and ``jacobian`` of ``theta``.

    Attributes
    ----------
    row_names : list of str
        One name per row of ``F``.
    hold_utility : bool
        Whether the soft weights hold utility fixed to first order while moving
        this target (``False`` when the target *is* the evaluation loss: the
        constraint would cancel the request).

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn.objectives import BoundObjective
    >>> class Norm(BoundObjective):
    ...     row_names = ["norm2"]
    ...     def value(self, theta):
    ...         return np.array([theta @ theta])
    ...     def jacobian(self, theta):
    ...         return 2 * theta[None, :]
    >>> Norm().jacobian(np.array([1.0, 2.0]))
    array([[2., 4.]])
    """

    row_names = ()
    hold_utility = True

    def value(self, theta):
        """``F(theta)``, shape (k,)."""
        raise NotImplementedError

    def jacobian(self, theta):
        """``dF/dtheta``, shape (k, n_params)."""
        raise NotImplementedError

    def value_and_jacobian(self, theta, evaluate=True):
        """``(value, jacobian)``; ``evaluate=False`` may leave sums over dask rows
        unevaluated, to be computed together with others."""
        return self.value(theta), self.jacobian(theta)

    def diagnostics(self, theta, is_classifier):
        """Named measures of ``theta`` on the evaluation rows for ``frontier_`` (none here).

        A target whose surrogate can mislead (a fixed attack set) reports here
        what it stands for (the accuracy under the true worst-case attack).
        Returns a dict of column name -> float.
        """
        return {}


class Objective:
    """Base class of targets; subclasses implement :meth:`bind`.

    Attributes
    ----------
    name : str
        The name users pass as ``objective=``.
    classifier_only : bool
        Whether the objective needs class labels (e.g. true positive rates).
    needs_groups : bool
        Whether ``sensitive_features`` are required.
    needs_eval_set : bool
        Whether the target only makes sense on held-out rows (``eval_set``).

    Examples
    --------
    >>> from skunlearn.objectives import Objective, get_objective
    >>> objective = get_objective("demographic_parity")
    >>> isinstance(objective, Objective), objective.needs_groups
    (True, True)
    """

    name = None
    classifier_only = False
    needs_groups = True
    needs_eval_set = False

    def bind(self, design, y, groups, loss, sample_weight=None):
        """Fix the evaluation data.

        Parameters
        ----------
        design : skunlearn._linalg.Design
            Evaluation features with the model's intercept convention.
        y : ndarray of shape (n_samples,)
            Evaluation targets, encoded for ``loss`` (0/1 for classifiers).
        groups : tuple (codes, labels) or None
            Group codes from :func:`skunlearn._groups.encode_groups`.
        loss : LogisticLoss or SquaredLoss
            The model's loss (gives predictions and per-row losses).
        sample_weight : ndarray of shape (n_samples,) or None
            Weights of the evaluation rows in every mean (a row of weight 2
            counts as two rows).

        Returns
        -------
        BoundObjective
        """
        raise NotImplementedError

    def metric_name(self, is_classifier):
        """Name of the hard-prediction metric the target stands for, or ``None`` if none."""
        return None

    def hard_metric(self, y, y_pred, codes, n_groups, sample_weight=None, is_classifier=True):
        """The hard-prediction metric (see :meth:`GroupParity.hard_metric`)."""
        raise NotImplementedError(f"{self.name} has no hard-prediction metric.")

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


class LinearStatisticObjective(BoundObjective):
    """``F_j(theta) = sum_i C_ij phi(z_i, y_i)``: a fixed linear map of a per-row statistic.

    Group means, their differences and the mean loss are all of this form, so
    one class gives their values and Jacobians: ``dF/dtheta = (X~^T (C * phi'(z)))^T``.

    Parameters
    ----------
    design : skunlearn._linalg.Design
        Evaluation rows.
    y : ndarray of shape (n_samples,)
        Evaluation targets.
    coefficients : ndarray of shape (n_samples, k)
        The matrix ``C``.
    statistic : {"prediction", "loss"}
        ``phi``: the model's prediction (probability or score) or its per-row loss.
    loss : LogisticLoss or SquaredLoss
    row_names : list of str

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design
    >>> from skunlearn.losses import SquaredLoss
    >>> from skunlearn.objectives import LinearStatisticObjective
    >>> design = Design(np.array([[1.0], [2.0], [3.0]]), fit_intercept=False)
    >>> mean_prediction = LinearStatisticObjective(
    ...     design, np.zeros(3), np.full((3, 1), 1 / 3), "prediction", SquaredLoss(), ["mean"])
    >>> mean_prediction.value(np.array([2.0])), mean_prediction.jacobian(np.array([2.0]))
    (array([4.]), array([[2.]]))
    """

    def __init__(self, design, y, coefficients, statistic, loss, row_names):
        self.design = design
        self.y = as_vector(y)
        self.coefficients = coefficients
        self.statistic = statistic
        self.loss = loss
        self.row_names = list(row_names)

    def _phi(self, z):
        if self.statistic == "prediction":
            parts = self.loss.predict(z), self.loss.predict_derivative(z)
        else:
            parts = self.loss.value(z, self.y), self.loss.derivative(z, self.y)
        # Dask rows: the value's graph and the Jacobian's (at the same theta, next)
        # read both from the workers; derived lazily in each, the same keys would be
        # fused differently (distributed's "different run_spec" for a key).
        return persist(*parts)

    def value(self, theta, evaluate=True):
        phi, _ = self._phi(self.design.matvec(theta))
        value = self.coefficients.T @ phi
        return compute(value) if evaluate else value

    def jacobian(self, theta):
        return self.value_and_jacobian(theta)[1]

    def value_and_jacobian(self, theta, evaluate=True):
        phi, dphi = self._phi(self.design.matvec(theta))
        parts = (self.coefficients.T @ phi,
                 self.design.rmatvec_lazy(self.coefficients * dphi[:, None]).T)
        return compute(*parts) if evaluate else parts
