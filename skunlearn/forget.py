"""Forgetting training rows: remove rows from a fitted linear model without retraining.

:class:`Forgetter` wraps a supported estimator and, on request, removes given
training rows from it. Let ``R`` be the rows kept and

.. math::

    L_R(\\theta) = c_R \\sum_{i \\in R} s^R_i \\, l(\\tilde x_i^\\top \\theta, y_i)
                   + \\tfrac12 \\theta^\\top P \\theta \\; [+ b^\\top \\theta]

the training objective a fit on ``R`` alone minimises, in the adapter's scaling
(:mod:`skunlearn.models`): its row weights ``s^R`` and scale ``c_R`` are the
ones scikit-learn would use on those rows (``class_weight="balanced"``
recounts the classes, the GLMs divide by the total weight, SGD by the number of
rows); ``b`` is the optional objective perturbation. A request moves the
current parameters ``theta`` (the optimum for the rows kept so far) by one
Newton step on the new retained objective (Guo et al., 2020, the Newton
update removal):

.. math::

    \\theta^+ = \\theta - \\hat H^{-1} \\nabla L_R(\\theta),

with ``hat H`` the Hessian of ``L_R``. It is kept at an anchor ``theta_a``
(the fitted optimum at first) and *downdated* as rows go: the removed rows'
curvature is subtracted (``O(k p^2)`` for ``k`` rows, no pass over the kept
rows' Hessian), and a rescaling follows when the scale ``c_R`` changes
uniformly. For squared loss the Hessian does not depend on ``theta``, so the
step is the exact refit without the rows. Otherwise ``n_newton`` further
Newton steps, each with the Hessian at the current point (one ``O(n p^2)``
pass), bring ``theta`` to the optimum of ``L_R`` quadratically.

**Certificate.** The gradient ``r = nabla L_R(theta^+)`` says how far the
returned model is from the exact refit (``theta^+ - theta_R ~ H^{-1} r``). With
a step ``s = t v`` (``hat H v = g - e``, ``g = nabla L_R(theta)``, ``t`` the
step length, 1 unless the full step fails to decrease ``L_R``) and score changes
``u_i = x~_i^T s``, Taylor's theorem in integral form gives exactly

.. math::

    r = (1 - t) g + t e + \\sum_i c_R s^R_i \\Big( l''(z^a_i)
        - \\int_0^1 l''(z_i - \\tau u_i) d\\tau \\Big) u_i \\tilde x_i,

so, with ``gamma_i`` the largest ``|l'''|`` on the scores row ``i`` passes
through (:meth:`~skunlearn.losses.LogisticLoss.third_derivative_bound`),

.. math::

    \\|r\\| \\le (1 - t) \\|g\\| + t \\|e\\| + \\min\\big(\\|\\tilde X\\|_2 \\|a\\|_2,
    \\textstyle\\sum_i a_i \\|\\tilde x_i\\|\\big), \\qquad
    a_i = c_R s^R_i \\gamma_i \\big(|z^a_i - z_i| + \\tfrac12 |u_i|\\big) |u_i| .

This is the data-dependent bound of Guo et al.'s Corollary 1,
``gamma ||X|| ||H^{-1} Delta|| ||X H^{-1} Delta||``, for sample weights, an
intercept, batch removal, local Lipschitz constants of ``l''`` and a Hessian
taken at an earlier point; with ``t = 1``, ``e = 0``, a fresh Hessian
(``z^a = z``), ``||x_i|| <= 1`` and ``gamma_i <= gamma`` it is at most half
theirs. ``||X~||_2`` is computed once (exactly by the dense solver, bounded by
the row norms otherwise): rows only leave, so it stays an upper bound. The
bound holds in exact arithmetic; the measured ``r`` also carries rounding.

**Certified removal.** With ``noise=sigma`` the fitted model minimises
``L + b^T theta`` with ``b ~ N(0, sigma^2 I)`` drawn once in :meth:`Forgetter.fit`.
If the gradient residual of the perturbed retained objective is at most
``eps'``, removal is ``(epsilon, delta)``-certified (Guo et al., 2020,
Section 3: the model cannot be told from one trained without the rows, with
those privacy parameters) for ``sigma = c eps' / epsilon`` and
``delta = 1.5 exp(-c^2 / 2)``; :meth:`RemovalCertificate.epsilon` applies it
with ``eps'`` the certificate's bound. Every request starts from the exact
gradient of the new retained objective, so residuals do not accumulate over
requests: the last step's bound is the certificate of the model returned.

References
----------
Guo, C., Goldstein, T., Hannun, A., van der Maaten, L. (2020). Certified data
removal from machine learning models. ICML.

Koh, P. W. and Liang, P. (2017). Understanding black-box predictions via
influence functions. ICML.
"""

import copy
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils.extmath import row_norms
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._dask import is_dask
from ._linalg import Design, SymmetricSolver, add_penalty
from ._unlearner import _DIRECT_MAX_PARAMS
from ._warnings import warn
from ._wrapper import (
    WrappedModelMixin,
    check_binary_target,
    frozen_model,
    is_frozen,
    warn_polish,
)
from .models import LinearModel, ModelAdapter, adapter_for
from .models._adapter import _unwrap
from .models.pipeline import is_pipeline


@dataclass(frozen=True)
class RemovalCertificate:
    """How close a :class:`Forgetter`'s model is to the exact refit without the forgotten rows.

    Gradients are those of the training objective on the kept rows in
    skunlearn's scaling of the estimator's objective (for LogisticRegression
    ``C sum_i s_i logloss_i + ||w||^2 / 2``; see the user guide, section 1),
    plus ``b^T theta`` with ``noise``.

    Attributes
    ----------
    residual_norm : float
        ``||nabla L_R(theta)||`` measured at the returned parameters (0 at the
        exact refit, up to rounding).
    bound : float
        Data-dependent bound on ``residual_norm`` from the last Newton step
        (Guo et al., 2020, Corollary 1, generalised: see :mod:`skunlearn.forget`).
        0 in exact arithmetic for least squares.
    noise : float or None
        Standard deviation ``sigma`` of the objective perturbation ``b``.
    n_forgotten : int
        Rows forgotten so far, over all requests.
    n_steps : int
        Newton steps of the last request (the removal step and ``n_newton`` more).

    Examples
    --------
    >>> from skunlearn.forget import RemovalCertificate
    >>> cert = RemovalCertificate(residual_norm=1e-4, bound=2e-4, noise=1.0,
    ...                           n_forgotten=10, n_steps=1)
    >>> round(cert.epsilon(delta=1e-5), 6)
    0.000976
    """

    residual_norm: float
    bound: float
    noise: float | None
    n_forgotten: int
    n_steps: int

    def epsilon(self, delta):
        """``epsilon`` of ``(epsilon, delta)``-certified removal: ``sqrt(2 log(1.5 / delta)) bound / sigma``.

        Guo et al. (2020): with ``b ~ N(0, sigma^2 I)`` and a gradient residual
        at most ``bound``, ``sigma = c bound / epsilon`` gives
        ``delta = 1.5 exp(-c^2 / 2)``. Infinite without noise (no guarantee).

        Parameters
        ----------
        delta : float in (0, 1.5)

        Returns
        -------
        epsilon : float
        """
        if not isinstance(delta, numbers.Real) or not 0 < delta < 1.5:
            raise ValueError(f"delta must be a number in (0, 1.5), got {delta!r}.")
        if not self.noise:
            return np.inf
        return float(np.sqrt(2.0 * np.log(1.5 / delta)) * self.bound / self.noise)


class _Perturbed(LinearModel):
    """A training objective plus the linear term ``b^T theta`` (``b`` in ``linear``).

    The Hessian is unchanged, so only the value and the gradient are overridden.
    """

    linear = None

    def objective(self, theta, weights=None):
        return super().objective(theta, weights) + float(self.linear @ theta)

    def gradient(self, theta, weights=None):
        return super().gradient(theta, weights) + self.linear


def _perturbed(model, b):
    """``model`` with the objective perturbation ``b^T theta`` added."""
    new = object.__new__(_Perturbed)
    new.__dict__.update(model.__dict__)
    new.linear = np.asarray(b, dtype=float)
    return new


def _row_weights(model):
    """``c s_i``: each row's factor in the data part of the objective."""
    return model.loss_scale * np.asarray(model.sample_weight, dtype=float)


def _rows_gram(design, rows, h):
    """``sum_{i in rows} h_i x~_i x~_i^T`` over chunks of ``rows`` (never all at once)."""
    first = next(iter(design.chunks()))
    size = max(first.stop - first.start, 1)
    out = np.zeros((design.n_params, design.n_params))
    for start in range(0, len(rows), size):
        part = rows[start:start + size]
        part_rows = Design(design.X[part], design.fit_intercept, split=False)  # read once
        out += part_rows.gram(h[start:start + size])
    return out


class _Anchor:
    """The Hessian's data part ``X~^T diag(c s l''(z^a)) X~`` of the current objective at ``theta_a``.

    Built by one pass over the rows; when rows are removed and the others'
    weights change by a common factor (the scale ``c_R``), it is downdated by
    the removed rows alone. When cancellation would cost precision (half the
    curvature gone) or the weights change unevenly (``class_weight="balanced"``),
    :meth:`downdated` returns None and a new anchor is built.
    """

    def __init__(self, model, theta):
        self.scores = np.array(model.scores(theta))
        self.weights = _row_weights(model)
        curvature = self.weights * model.loss.second_derivative(self.scores, model.y)
        self.data = model.design.gram(curvature)
        self.scale = 1.0
        self.built_trace = float(np.trace(self.data))

    def hessian(self, model):
        """``hat H``: the data part plus the penalty."""
        return add_penalty(self.data.copy(), model.penalty)

    def downdated(self, model, rows):
        """The anchor of objective ``model``, from which ``rows`` were just removed, or None."""
        weights = _row_weights(model)
        before = self.weights.copy()
        before[rows] = 0.0
        kept = before > 0
        if not kept.any():
            return None
        factor = float(np.median(weights[kept] / before[kept]))
        if not np.allclose(weights, factor * before, rtol=1e-12, atol=0.0):
            return None
        h = self.weights[rows] * model.loss.second_derivative(self.scores[rows], model.y[rows])
        new = copy.copy(self)
        new.data = factor * (self.data - _rows_gram(model.design, rows, h))
        new.weights, new.scale = weights, self.scale * factor
        # rounding in the subtraction is relative to the curvature the anchor started with
        if np.trace(new.data) < 0.5 * new.scale * self.built_trace:
            return None
        return new


class Forgetter(WrappedModelMixin, BaseEstimator):
    """Remove training rows from a fitted linear model without retraining it.

    :meth:`fit` fits the estimator (or takes a fitted one from a
    :class:`~sklearn.frozen.FrozenEstimator`) and polishes it to the exact
    optimum of its training objective; each :meth:`forget` then removes rows
    by a Newton step on the objective without them (Guo et al., 2020), from a
    Hessian downdated by the removed rows. Least squares (Ridge,
    LinearRegression, RidgeCV, RidgeClassifier, SGDRegressor) lands on the
    exact optimum without the rows (scikit-learn's refit; SGD's own stops short
    of it); the smooth families (logistic, GLMs, SGDClassifier) land close to
    it, ``n_newton`` further steps closer, and ``certificate_`` reports the
    gradient left and a bound on it.

    Parameters
    ----------
    estimator : estimator object
        A supported linear estimator (:func:`skunlearn.supported_estimators`),
        unfitted (cloned and fitted by :meth:`fit`) or fitted inside a
        :class:`~sklearn.frozen.FrozenEstimator`. Not a Pipeline and not an
        MLP: their fitted transformers or hidden layers learned from the rows
        too, and only the linear part would forget them (fit the transformer
        on data that stays, and pass its output). The selected ``C_``/``alpha_``
        of a CV estimator is kept.
    n_newton : int, default=0
        Newton steps after the removal step of each request, each with the
        Hessian at the current point (one pass of ``O(n p^2)``). 0 is Guo et
        al.'s one-step removal; least squares needs none.
    noise : float or None, default=None
        Standard deviation ``sigma`` of an objective perturbation ``b^T theta``,
        ``b ~ N(0, sigma^2 I)`` drawn once at fit, for certified removal (see
        :meth:`RemovalCertificate.epsilon`). It changes the model, so it is
        applied when the Forgetter fits it: refused for a FrozenEstimator.
    random_state : int, RandomState instance or None, default=None
        Seed of ``b`` (used only with ``noise``).
    solver : {"auto", "direct", "cg"}, default="auto"
        ``"direct"``: the ``p x p`` Hessian is formed, downdated and factored.
        ``"cg"``: Hessian-free conjugate gradients on the Hessian at the
        current point (sparse X stays sparse; no downdate). ``"auto"``:
        ``"cg"`` beyond 2000 parameters.

    Attributes
    ----------
    estimator_ : estimator
        Fitted estimator of the wrapped class carrying the current parameters
        (after :meth:`fit`: the polished optimum on every row).
    forgotten_ : ndarray of shape (n_forgotten,)
        Positions (into the rows given to :meth:`fit`) of the rows forgotten so
        far, sorted.
    certificate_ : RemovalCertificate or None
        Residual gradient norm of the objective on the kept rows and its
        bound, after the last :meth:`forget`; None before the first.
    polish_ : dict
        Newton polishing of the fit: ``n_iter``, ``grad_norm_before``,
        ``grad_norm_after``, ``converged``.
    coef_, intercept_ : ndarray
        Parameters of ``estimator_``.
    classes_ : ndarray of shape (2,)
        Class labels (classifiers only).
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit` (when X has string column names).

    See Also
    --------
    SoftUnlearner : Reweight (rather than remove) rows to correct a fairness gap.

    Notes
    -----
    The Forgetter keeps a reference to the training rows (later requests need
    them), forgotten rows included, and never modifies them: publish
    ``estimator_``, not the Forgetter.

    References
    ----------
    Guo, C., Goldstein, T., Hannun, A., van der Maaten, L. (2020). Certified
    data removal from machine learning models. ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression, Ridge
    >>> from skunlearn import Forgetter
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3)); y = X @ [1.0, -2.0, 0.5] + rng.normal(size=500)
    >>> forgetter = Forgetter(Ridge(alpha=1.0)).fit(X, y)
    >>> forgetter = forgetter.forget([3, 14, 15]).forget(np.arange(100, 150))
    >>> kept = np.setdiff1d(np.arange(500), forgetter.forgotten_)
    >>> refit = Ridge(alpha=1.0).fit(X[kept], y[kept])
    >>> bool(np.allclose(forgetter.coef_, refit.coef_, rtol=0, atol=1e-10))
    True

    A logistic regression: the removal step leaves a small gradient, which the
    certificate measures and bounds; one more Newton step nearly squares it.

    >>> labels = (y > 0).astype(int)
    >>> one = Forgetter(LogisticRegression()).fit(X, labels).forget(np.arange(25))
    >>> two = Forgetter(LogisticRegression(), n_newton=1).fit(X, labels).forget(np.arange(25))
    >>> [bool(f.certificate_.residual_norm <= f.certificate_.bound) for f in (one, two)]
    [True, True]
    >>> bool(two.certificate_.bound < one.certificate_.residual_norm ** 2)
    True
    """

    def __init__(self, estimator, *, n_newton=0, noise=None, random_state=None, solver="auto"):
        self.estimator = estimator
        self.n_newton = n_newton
        self.noise = noise
        self.random_state = random_state
        self.solver = solver

    # ------------------------------------------------------------------ checks
    def _check_params(self):
        if self.solver not in ("auto", "direct", "cg"):
            raise ValueError(f"solver must be 'auto', 'direct' or 'cg', got {self.solver!r}.")
        if (not isinstance(self.n_newton, numbers.Integral) or isinstance(self.n_newton, bool)
                or self.n_newton < 0):
            raise ValueError(f"n_newton must be a non-negative integer, got {self.n_newton!r}.")
        if self.noise is not None and (
                not isinstance(self.noise, numbers.Real) or isinstance(self.noise, bool)
                or not self.noise > 0 or not np.isfinite(self.noise)):
            raise ValueError(f"noise must be a positive number or None, got {self.noise!r}.")
        if self.noise is not None and is_frozen(self.estimator):
            raise ValueError(
                "noise perturbs the training objective, so it applies when the Forgetter "
                "fits the model: pass the unfitted estimator, not a FrozenEstimator "
                "(a model fitted without noise has no certified removal)."
            )
        if is_pipeline(self.estimator):
            raise ValueError(
                "Forgetter does not take a Pipeline: its transformers were fitted on the "
                "rows too, and forgetting would reach only its last step. Fit the "
                "transformers on data that stays and pass their output to a Forgetter "
                "of the final estimator."
            )
        adapter = adapter_for(self.estimator)
        if adapter.features.__func__ is not ModelAdapter.features.__func__:
            raise ValueError(
                f"Forgetter does not take {type(_unwrap(self.estimator)).__name__}: its "
                "hidden layers learned from the rows too, and forgetting would reach only "
                "its output layer."
            )
        if not adapter.fit_takes_sample_weight:
            raise ValueError(
                f"Forgetter does not take {type(_unwrap(self.estimator)).__name__} from "
                f"{type(_unwrap(self.estimator)).__module__.split('.')[0]}: its fit takes no "
                "sample weights (and dask-ml's normalises the columns on the rows it is "
                "given), so a fit without some rows is not the reweighted objective "
                "Forgetter follows.")
        adapter.check_params(_unwrap(self.estimator))
        return adapter

    def _hessian_free(self, n_params):
        return self.solver == "cg" or (self.solver == "auto" and n_params > _DIRECT_MAX_PARAMS)

    def _validate_input(self, X):
        return validate_data(self, X, reset=False, accept_sparse="csr", dtype=np.float64)

    # ---------------------------------------------------------------- fitting
    def fit(self, X, y, sample_weight=None):
        """Fit a clone of the estimator (unless frozen) and polish it; nothing forgotten yet.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows; :meth:`forget` refers to them by position. Kept by
            reference, not copied.
        y : array-like of shape (n_samples,)
            Targets (binary labels for a classifier).
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the estimator's ``fit`` and part of its objective; for a
            FrozenEstimator, the weights it was fitted with.

        Returns
        -------
        self : Forgetter
        """
        adapter = self._check_params()
        if is_dask(X):
            raise ValueError("Forgetter works on in-memory data; X is a dask collection.")
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64,
                             y_numeric=not adapter.is_classifier)
        sample_weight = (None if sample_weight is None
                         else _check_sample_weight(sample_weight, X, dtype=np.float64))
        if adapter.is_classifier:
            check_binary_target(y, sample_weight, "Forgetter")
        if is_frozen(self.estimator):
            original = frozen_model(self)
        else:
            fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
            original = clone(self.estimator).fit(X, y, **fit_params)
        model = adapter.build(original, X, y, sample_weight)
        model.hessian_free = self._hessian_free(model.n_params)
        if self.noise is not None:
            rng = check_random_state(self.random_state)
            model = _perturbed(model, rng.normal(0.0, self.noise, model.n_params))
        theta, info = model.polish(adapter.parameters(original))
        self.polish_ = {
            k: info[k] for k in ("n_iter", "grad_norm_before", "grad_norm_after", "converged")
        }
        warn_polish(info, original)

        self._adapter, self._original, self._model = adapter, original, model
        self._y, self._sample_weight = y, sample_weight
        self._theta = theta
        self._keep = np.ones(model.n_samples, dtype=bool)
        self._anchor = None if model.hessian_free else _Anchor(model, theta)
        # ||X~||_2 (exact from the Gram matrix when it can be formed) and the row
        # norms: rows only leave, so both stay upper bounds for the kept rows
        norms = row_norms(X, squared=True) + float(model.fit_intercept)
        self._row_norms = np.sqrt(norms)
        self._design_norm = np.inf
        if not model.hessian_free:
            gram = model.design.gram(np.ones(model.n_samples))
            self._design_norm = float(np.sqrt(max(np.linalg.eigvalsh(gram)[-1], 0.0)))
        self.estimator_ = adapter.with_parameters(original, theta)
        self.forgotten_ = np.array([], dtype=np.intp)
        self.certificate_ = None
        return self

    # -------------------------------------------------------------- forgetting
    def forget(self, rows):
        """Remove training rows from the model; requests compose.

        Parameters
        ----------
        rows : array-like of int, or boolean mask of shape (n_samples,)
            Positions of the rows to forget in the ``X`` given to :meth:`fit`
            (the original rows, whatever was forgotten before), or a mask over
            them. Each row is forgotten once: a row already in ``forgotten_``
            is an error, as are positions out of range, repeated positions, and
            a request that would leave no row (with positive sample weight) or,
            for a classifier, no row of a class. An empty request changes
            nothing.

        Returns
        -------
        self : Forgetter
        """
        check_is_fitted(self, "estimator_")
        rows = self._requested_rows(rows)
        if rows.size == 0:
            return self
        keep = self._keep.copy()
        keep[rows] = False
        self._check_kept(keep)
        model = self._objective_on(keep)
        theta, anchor, bound, n_steps = self._remove(model, rows)
        residual = float(np.linalg.norm(model.gradient(theta)))

        self._keep, self._theta, self._anchor = keep, theta, anchor
        self.forgotten_ = np.flatnonzero(~keep)
        self.estimator_ = self._adapter.with_parameters(self._original, theta)
        self.certificate_ = RemovalCertificate(
            residual_norm=residual, bound=bound, noise=self.noise,
            n_forgotten=int(self.forgotten_.size), n_steps=n_steps,
        )
        return self

    def _requested_rows(self, rows):
        """The sorted positions asked for, checked against the training rows."""
        n = self._keep.size
        requested = np.asarray(rows)
        if requested.dtype == bool:
            if requested.shape != (n,):
                raise ValueError(
                    f"A boolean mask of rows needs one entry per training row ({n}), got "
                    f"shape {requested.shape}."
                )
            positions = np.flatnonzero(requested)
        else:
            if requested.ndim > 1:
                raise ValueError(
                    f"rows must be a 1-D array of positions or a boolean mask, got shape "
                    f"{requested.shape}."
                )
            positions = requested.reshape(-1)
            if positions.size == 0:
                return np.array([], dtype=np.intp)
            if not np.issubdtype(positions.dtype, np.integer):
                raise ValueError(
                    "rows must be integer positions into the training rows (0 to "
                    f"{n - 1}) or a boolean mask of length {n}, got dtype {positions.dtype}."
                )
            outside = positions[(positions < 0) | (positions >= n)]
            if outside.size:
                raise ValueError(
                    f"rows {_some(outside)} are out of range: positions go from 0 to {n - 1} "
                    f"(the {n} rows given to fit)."
                )
            unique, counts = np.unique(positions, return_counts=True)
            if unique.size < positions.size:
                raise ValueError(f"rows {_some(unique[counts > 1])} are repeated in the request.")
            positions = unique.astype(np.intp)
        already = positions[~self._keep[positions]]
        if already.size:
            raise ValueError(
                f"rows {_some(already)} were already forgotten (see forgotten_); each row is "
                "forgotten once."
            )
        return positions

    def _check_kept(self, keep):
        """Refuse a request that leaves nothing to fit."""
        live = keep if self._sample_weight is None else keep & (self._sample_weight > 0)
        if not live.any():
            raise ValueError(
                "This request would forget every training row (with positive sample "
                "weight): no model is left to fit."
            )
        if self._adapter.is_classifier:
            for label in self._original.classes_:
                if not live[self._y == label].any():
                    raise ValueError(
                        f"This request would forget every row of class "
                        f"{np.asarray(label).tolist()!r}: a "
                        "classifier needs rows of both classes. Fit a new model on what "
                        "is left instead."
                    )

    def _objective_on(self, keep):
        """The training objective of a fit on the rows ``keep``, over all rows (0 off them).

        The adapter alone knows how a fit weights its rows and scales its loss
        (recounted class weights, ``1 / sum(s)``, ``1 / n``): it builds the
        objective on the kept rows over a placeholder design of their shape
        (a broadcast zero: no memory, never read), and only its weights and
        scale are taken.
        """
        model = self._model
        placeholder = np.broadcast_to(0.0, (int(keep.sum()), model.design.n_features))
        sw = None if self._sample_weight is None else self._sample_weight[keep]
        kept = self._adapter.build(self._original, placeholder, self._y[keep], sw)
        weights = np.zeros(model.n_samples)
        weights[keep] = kept.sample_weight
        return model.with_weights(weights, kept.loss_scale)

    def _remove(self, model, rows):
        """The removal step and ``n_newton`` more: ``(theta, anchor, bound, n_steps)``."""
        theta = self._theta
        anchor = None
        if not model.hessian_free:
            anchor = self._anchor.downdated(model, rows)
            if anchor is None:
                anchor = _Anchor(model, theta)
        theta, bound = self._step(model, theta, anchor)
        for _ in range(self.n_newton):
            anchor = None if model.hessian_free else _Anchor(model, theta)
            theta, bound = self._step(model, theta, anchor)
        return theta, anchor, bound, 1 + self.n_newton

    def _step(self, model, theta, anchor):
        """One Newton step on ``model`` from ``theta`` and the bound on the gradient it leaves.

        ``anchor`` holds the Hessian (and the scores it was taken at); None for
        the Hessian-free solver, whose operator is built at ``theta``.
        """
        g = model.gradient(theta)
        if anchor is None:
            solver = model.hessian_solver(theta)
            v = solver.solve(g)
            error = g - solver.product(v[:, None])[:, 0]
            anchor_scores = model.scores(theta)
        else:
            H = anchor.hessian(model)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # said below, in our words
                solver = SymmetricSolver(H)
            if solver.singular:
                warn(
                    "The Hessian of the objective on the kept rows is singular (collinear "
                    "features among them, without regularisation): the step uses its "
                    "pseudo-inverse, and the certificate says how far from an optimum "
                    "it lands.",
                    RuntimeWarning,
                )
            v = solver.solve(g)
            error = g - H @ v
            anchor_scores = anchor.scores
        decrement = float(g @ v)
        stepped = None
        if np.isfinite(decrement):
            stepped = model._backtrack(theta, v, model.objective(theta), decrement, None)
        new, t = (theta - v, 1.0) if stepped is None else (stepped[0], stepped[2])
        z, z_new = model.scores(theta), model.scores(new)
        u = z - z_new
        lo = np.minimum(np.minimum(anchor_scores, z), z_new)
        hi = np.maximum(np.maximum(anchor_scores, z), z_new)
        gamma = model.loss.third_derivative_bound(lo, hi, model.y)
        a = _row_weights(model) * gamma * (np.abs(anchor_scores - z) + 0.5 * np.abs(u)) * np.abs(u)
        spread = min(self._design_norm * float(np.linalg.norm(a)), float(a @ self._row_norms))
        bound = ((1.0 - t) * float(np.linalg.norm(g)) + t * float(np.linalg.norm(error))
                 + spread)
        return new, bound


def _some(values, limit=5):
    """A short list of positions for a message."""
    values = np.asarray(values).tolist()
    shown = ", ".join(str(v) for v in values[:limit])
    return f"[{shown}{', ...' if len(values) > limit else ''}]"
