"""The scikit-learn meta-estimator: glue from data to :func:`skunlearn.correction.correct`."""

import numbers
import warnings
from copy import deepcopy

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._groups import encode_groups
from ._linalg import Design
from .correction import UPDATES, WEIGHTINGS, correct
from .models import adapter_for
from .models._adapter import _unwrap
from .objectives import EvaluationLoss, get_objective
from .updates import refit_update


def _estimator_has(attr):
    """For ``available_if``: whether the wrapped estimator has ``attr``."""

    def check(self):
        getattr(self.estimator, attr)
        return True

    return check


def _is_frozen(estimator):
    return type(estimator).__name__ == "FrozenEstimator"


class SoftUnlearner(BaseEstimator):
    """Correct a fitted linear model by soft-weighted machine unlearning.

    The wrapped model's exact training objective gives, by influence functions,
    how up- or down-weighting each training row would move a fairness target
    ``F`` and the model's utility. A small convex problem picks a continuous
    weight change ``eps_i`` per row that removes ``strength`` times the target
    while holding utility to first order, and the parameters are moved as if the
    model had been retrained with weights ``1 + eps``. Predictions need no
    sensitive features.

    Parameters
    ----------
    estimator : estimator object
        A ``LogisticRegression`` (binary; l2 penalty or none), ``Ridge`` or
        ``LinearRegression``. An unfitted estimator is cloned and fitted in
        :meth:`fit`; wrap a fitted one in :class:`sklearn.frozen.FrozenEstimator`
        to correct it without refitting.
    objective : str or Objective, default="demographic_parity"
        Target to drive to zero: ``"demographic_parity"``,
        ``"equal_opportunity"`` (true positive rate parity),
        ``"false_positive_rate_parity"``, ``"equalized_odds"``,
        ``"error_rate_parity"``, or an :class:`skunlearn.objectives.Objective`.
        For a regressor ``"demographic_parity"`` is parity of the mean prediction.
    weighting : {"curvature", "soft", "hard"}, default="curvature"
        ``"soft"``: the minimum-norm weights of Qiao et al. (2025), meeting the
        target with utility held to first order. ``"curvature"``: soft weights
        that also pay the second-order utility cost of the parameter move;
        as robust on small gaps and much better when the gap is large relative
        to what the features explain. ``"hard"``: delete the most harmful rows
        (the baseline).
    strength : float in (0, 1], default=1.0
        Fraction of the target to remove (1 removes the whole gap, to first
        order for a single step).
    update : {"path", "newton", "refit"}, default="path"
        ``"newton"``: one Newton step on the reweighted objective (the cheapest;
        exact for Ridge and LinearRegression). ``"refit"``: refit a warm-started
        clone with the new sample weights. ``"path"``: ``n_steps`` re-linearised
        Newton steps with step control; it reaches large targets that a single
        step over- or undershoots, and for least squares with non-negative
        weights it too ends at the exact weighted refit.
    n_steps : int, default=5
        Number of steps of ``update="path"``.
    bounds : tuple (lower, upper) or None, default=None
        Box on each row's ``eps`` for ``weighting="soft"``; ``None`` on a side
        leaves it open. ``(-1, None)`` keeps all retraining weights non-negative.
    curvature_reg : float, default=1.0
        For ``weighting="curvature"``: weight of ``||eps||^2`` relative to the
        mean second-order utility cost of one row. Large values tend to the
        soft weights.
    hard_fraction : float in (0, 1) or None, default=None
        For ``weighting="hard"``: fraction of rows to delete (over all steps of
        a path). ``None`` deletes the fewest rows that reach the target to
        first order.

    Attributes
    ----------
    estimator_ : estimator
        Fitted estimator of the wrapped class carrying the corrected coefficients.
    original_estimator_ : estimator
        The fitted model before unlearning (for a FrozenEstimator, its inner
        model, never modified).
    coef_ : ndarray
        Corrected coefficients (``estimator_.coef_``).
    intercept_ : ndarray or float
        Corrected intercept (``estimator_.intercept_``).
    classes_ : ndarray of shape (2,)
        Class labels (classifiers only).
    weights_ : ndarray of shape (n_samples,)
        Weight change ``eps_i`` of each training row (retraining weight ``1 + eps_i``).
    influence_ : pandas.DataFrame
        Influence of up-weighting each training row on each target row and on
        utility (evaluation loss), at the original parameters.
    objective_before_, objective_after_ : pandas.Series
        Target on the evaluation data before and after unlearning.
    utility_before_, utility_after_ : float
        Mean evaluation loss before and after unlearning.
    objective_path_ : pandas.DataFrame
        Target after each step (one row for "newton"/"refit", ``n_steps`` for "path").
    polish_ : dict
        Newton polishing of the original fit: ``n_iter``, ``grad_norm_before``,
        ``grad_norm_after``.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit` (when X has string column names).

    See Also
    --------
    fairlearn.reductions.ExponentiatedGradient : Fairness by constrained retraining.
    fairlearn.postprocessing.ThresholdOptimizer : Group-specific thresholds.

    References
    ----------
    Qiao, X., Ding, Y., Cheng, Z., Zhang, W. (2025). Soft weighted machine
    unlearning. arXiv:2505.18783 (AAAI 2026).

    Koh, P. W. and Liang, P. (2017). Understanding black-box predictions via
    influence functions. ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from fairlearn.metrics import demographic_parity_difference
    >>> from skunlearn import SoftUnlearner
    >>> rng = np.random.default_rng(0)
    >>> A = rng.integers(0, 2, 2000)
    >>> X = np.column_stack([rng.normal(size=2000) + A, rng.normal(size=2000)])
    >>> y = (X[:, 0] + X[:, 1] + rng.normal(size=2000) > 0.5).astype(int)
    >>> su = SoftUnlearner(LogisticRegression(), objective="demographic_parity")
    >>> su = su.fit(X, y, sensitive_features=A)
    >>> bool(abs(su.objective_after_.iloc[0]) < abs(su.objective_before_.iloc[0]) / 5)
    True
    >>> before = demographic_parity_difference(
    ...     y, su.original_estimator_.predict(X), sensitive_features=A)
    >>> after = demographic_parity_difference(y, su.predict(X), sensitive_features=A)
    >>> bool(after < before / 2)
    True
    """

    def __init__(
        self,
        estimator,
        objective="demographic_parity",
        *,
        weighting="curvature",
        strength=1.0,
        update="path",
        n_steps=5,
        bounds=None,
        curvature_reg=1.0,
        hard_fraction=None,
    ):
        self.estimator = estimator
        self.objective = objective
        self.weighting = weighting
        self.strength = strength
        self.update = update
        self.n_steps = n_steps
        self.bounds = bounds
        self.curvature_reg = curvature_reg
        self.hard_fraction = hard_fraction

    # ------------------------------------------------------------------ checks
    def _check_params(self):
        adapter = adapter_for(self.estimator)
        adapter.check_params(self.estimator)
        objective = get_objective(self.objective)
        if objective.classifier_only and not adapter.is_classifier:
            raise ValueError(
                f"objective={objective.name!r} compares class-conditional rates and "
                f"needs a classifier; {type(_unwrap(self.estimator)).__name__} is a "
                "regressor (use 'demographic_parity' or 'error_rate_parity')."
            )
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {self.weighting!r}.")
        if self.update not in UPDATES:
            raise ValueError(f"update must be one of {UPDATES}, got {self.update!r}.")
        if (
            not isinstance(self.strength, numbers.Real)
            or isinstance(self.strength, bool)
            or not 0 < self.strength <= 1
        ):
            raise ValueError(f"strength must be a number in (0, 1], got {self.strength!r}.")
        if not isinstance(self.n_steps, numbers.Integral) or self.n_steps < 1:
            raise ValueError(f"n_steps must be a positive integer, got {self.n_steps!r}.")
        if self.bounds is not None:
            if self.weighting != "soft":
                raise ValueError("bounds apply to weighting='soft' only.")
            if not (isinstance(self.bounds, tuple | list) and len(self.bounds) == 2):
                raise ValueError(
                    f"bounds must be a pair (lower, upper), got {self.bounds!r}."
                )
        if not isinstance(self.curvature_reg, numbers.Real) or self.curvature_reg <= 0:
            raise ValueError(f"curvature_reg must be positive, got {self.curvature_reg!r}.")
        if self.hard_fraction is not None and not 0 < self.hard_fraction < 1:
            raise ValueError(
                f"hard_fraction must be in (0, 1) or None, got {self.hard_fraction!r}."
            )
        return adapter, objective

    def _validate_training(self, X, y, sensitive_features, sample_weight, adapter, objective, reset):
        X, y = validate_data(
            self, X, y, reset=reset, accept_sparse="csr", dtype=np.float64,
            y_numeric=not adapter.is_classifier,
        )
        if X.shape[0] < 2:
            raise ValueError(
                f"SoftUnlearner needs at least 2 samples to unlearn, got n_samples={X.shape[0]}."
            )
        if adapter.is_classifier:
            kind = type_of_target(y, input_name="y", raise_unknown=True)
            if kind != "binary":
                raise ValueError(
                    "Only binary classification is supported. The type of the target "
                    f"is {kind} ({len(np.unique(y))} distinct labels)."
                )
        sample_weight = (
            None if sample_weight is None
            else _check_sample_weight(sample_weight, X, dtype=np.float64)
        )
        if adapter.is_classifier:
            present = y if sample_weight is None else y[sample_weight > 0]
            if len(np.unique(present)) < 2:
                raise ValueError(
                    "SoftUnlearner needs samples of at least 2 classes (with positive "
                    f"sample weight); the data has one class: {np.unique(present).tolist()}."
                )
        groups = None
        if objective.needs_groups:
            groups = encode_groups(sensitive_features, X.shape[0])
        return X, y, groups, sample_weight

    def _validate_eval(self, eval_set, adapter, objective):
        if not isinstance(eval_set, tuple | list) or len(eval_set) not in (2, 3):
            raise ValueError(
                "eval_set must be a tuple (X_eval, y_eval) or "
                "(X_eval, y_eval, sensitive_features_eval)."
            )
        X_eval = validate_data(self, eval_set[0], reset=False, accept_sparse="csr", dtype=np.float64)
        y_eval = check_array(eval_set[1], ensure_2d=False, dtype=None, input_name="y_eval")
        if len(y_eval) != X_eval.shape[0]:
            raise ValueError(
                f"eval_set has {X_eval.shape[0]} rows of X but {len(y_eval)} labels."
            )
        groups = None
        if objective.needs_groups:
            if len(eval_set) < 3:
                raise ValueError(
                    f"objective={objective.name!r} needs the evaluation rows' groups: "
                    "pass eval_set=(X_eval, y_eval, sensitive_features_eval)."
                )
            groups = encode_groups(eval_set[2], X_eval.shape[0])
        return X_eval, y_eval, groups

    # ---------------------------------------------------------------- fitting
    def fit(self, X, y, sensitive_features=None, sample_weight=None, eval_set=None):
        """Fit a clone of the estimator (unless frozen), then unlearn.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Targets (binary labels for a classifier).
        sensitive_features : array-like or DataFrame, default=None
            Group of each row, one or several columns (their intersections are
            the groups). Required by group objectives; not needed to predict.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the wrapped estimator's ``fit`` and part of its objective.
        eval_set : tuple, default=None
            ``(X_eval, y_eval, sensitive_features_eval)`` on which the target and
            utility are measured; the training data when ``None``.

        Returns
        -------
        self : SoftUnlearner
            Fitted estimator.
        """
        adapter, objective = self._check_params()
        Xv, yv, groups, sw = self._validate_training(
            X, y, sensitive_features, sample_weight, adapter, objective, reset=True
        )
        if _is_frozen(self.estimator):
            try:
                check_is_fitted(self.estimator)
            except NotFittedError as exc:
                raise NotFittedError(
                    "The FrozenEstimator wraps an unfitted model; fit it first, or "
                    "pass the unfitted estimator itself to have SoftUnlearner fit it."
                ) from exc
            original = self.estimator.estimator
            n_expected = getattr(original, "n_features_in_", Xv.shape[1])
            if n_expected != Xv.shape[1]:
                raise ValueError(
                    f"X has {Xv.shape[1]} features but the frozen model was fitted "
                    f"on {n_expected}."
                )
        else:
            kwargs = {} if sw is None else {"sample_weight": sw}
            original = clone(self.estimator).fit(Xv, yv, **kwargs)
        self.original_estimator_ = original
        return self._unlearn(Xv, yv, groups, sw, eval_set, adapter, objective)

    def unlearn(self, X, y, sensitive_features=None, sample_weight=None, eval_set=None):
        """Correct the fitted model again with the current parameters; never refits it.

        Starts from ``original_estimator_`` each time, so ``strength`` is always
        relative to the original model's target. Parameters are those of
        :meth:`fit`; ``X`` and ``y`` should be the rows the model was trained on.

        Returns
        -------
        self : SoftUnlearner
        """
        check_is_fitted(self, "original_estimator_")
        adapter, objective = self._check_params()
        Xv, yv, groups, sw = self._validate_training(
            X, y, sensitive_features, sample_weight, adapter, objective, reset=False
        )
        return self._unlearn(Xv, yv, groups, sw, eval_set, adapter, objective)

    def _unlearn(self, X, y, groups, sample_weight, eval_set, adapter, objective):
        original = self.original_estimator_
        model = adapter.build(original, X, y, sample_weight)
        theta, info = model.polish(adapter.parameters(original))
        if info["solver"].singular:
            warnings.warn(
                "The Hessian of the training objective is singular (collinear "
                "features without regularisation); influences use its pseudo-inverse.",
                RuntimeWarning,
                stacklevel=3,
            )
        self.polish_ = {k: info[k] for k in ("n_iter", "grad_norm_before", "grad_norm_after")}

        eval_weights = None
        if eval_set is None:
            eval_design, y_eval, eval_groups = model.design, model.y, groups
            eval_weights = sample_weight
        else:
            X_eval, y_raw, eval_groups = self._validate_eval(eval_set, adapter, objective)
            eval_design = Design(X_eval, model.fit_intercept)
            y_eval = (
                adapter.encode_target(original, y_raw)
                if adapter.is_classifier else np.asarray(y_raw, dtype=float)
            )
        target = objective.bind(eval_design, y_eval, eval_groups, model.loss, eval_weights)
        utility = EvaluationLoss().bind(eval_design, y_eval, None, model.loss, eval_weights)
        F0 = target.value(theta)
        if np.max(np.abs(F0)) < 1e-10:
            raise ValueError(
                f"The target {objective.name!r} is already met on the evaluation data "
                f"(|F| = {np.max(np.abs(F0)):.2g}); there is nothing to unlearn."
            )

        refit = None
        if self.update == "refit":
            def refit(theta_, eps_):
                return refit_update(adapter, original, X, y, sample_weight, model, theta_, eps_)

        result = correct(
            model, theta, info["solver"], target, utility,
            strength=self.strength, weighting=self.weighting, update=self.update,
            n_steps=self.n_steps, bounds=None if self.bounds is None else tuple(self.bounds),
            refit=refit, metric=sample_weight,
            curvature_reg=self.curvature_reg, hard_fraction=self.hard_fraction,
        )
        self.estimator_ = adapter.with_parameters(original, result.theta)
        self.weights_ = result.eps
        names = target.row_names
        self.influence_ = result.influence.to_frame()
        self.objective_before_ = pd.Series(F0, index=names, name="before")
        self.objective_after_ = pd.Series(target.value(result.theta), index=names, name="after")
        self.objective_path_ = pd.DataFrame(result.target_path[1:], columns=names)
        self.objective_path_.index.name = "step"
        self.utility_before_ = float(utility.value(theta)[0])
        self.utility_after_ = float(utility.value(result.theta)[0])
        return self

    # ------------------------------------------------------------- prediction
    @property
    def coef_(self):
        check_is_fitted(self, "estimator_")
        return self.estimator_.coef_

    @property
    def intercept_(self):
        check_is_fitted(self, "estimator_")
        return self.estimator_.intercept_

    @property
    def classes_(self):
        """Class labels of a classifier (an AttributeError for a regressor)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.classes_

    def _inner_input(self, X):
        """Validate X against the fitted feature count/names, then hand it on."""
        check_is_fitted(self, "estimator_")
        Xv = validate_data(self, X, reset=False, accept_sparse="csr", dtype=np.float64)
        # A frozen model fitted on a DataFrame expects its feature names back.
        if hasattr(self.estimator_, "feature_names_in_") and hasattr(X, "columns"):
            return X
        return Xv

    def predict(self, X):
        """Predict with the corrected model (no sensitive features needed).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._inner_input(X)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the corrected model.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
        """
        X = self._inner_input(X)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the corrected model."""
        X = self._inner_input(X)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function (linear score) of the corrected model."""
        X = self._inner_input(X)
        return self.estimator_.decision_function(X)

    def score(self, X, y, sample_weight=None):
        """Accuracy (classifier) or R^2 (regressor) of the corrected model.

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
        return self.estimator_.score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(_unwrap(self.estimator))
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = deepcopy(inner.classifier_tags)
        tags.regressor_tags = deepcopy(inner.regressor_tags)
        if tags.classifier_tags is not None:
            tags.classifier_tags.multi_class = False
        tags.target_tags.required = True
        tags.input_tags.sparse = inner.input_tags.sparse
        return tags
