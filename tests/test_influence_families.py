"""Leave-one-out on real data for every estimator family.

For 30 rows each: the change of the target predicted by influence (``-f_i``,
deletion is ``eps_i = -1``) against the change after an actual refit without
the row, by scikit-learn at the objective skunlearn differentiates: the CV
estimators at their selected value, GLMs with the penalty's weight relative to
the original total kept, SGD at its exact optimum (LogisticRegression /
Ridge with the same objective), an MLP's output layer on the fixed hidden
activations. The target is the demographic-parity surrogate on the training
rows; utility is the loss on held-out rows.

``python -m tests.test_influence_families`` prints the Spearman correlations
(the README's estimator table quotes them).
"""

import warnings

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.linear_model import (
    GammaRegressor,
    LogisticRegression,
    LogisticRegressionCV,
    PoissonRegressor,
    Ridge,
    RidgeClassifier,
    RidgeCV,
    SGDClassifier,
    SGDRegressor,
    TweedieRegressor,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils.class_weight import compute_sample_weight

from skunlearn._groups import encode_groups
from skunlearn.datasets import load_adult, load_compas, load_german_credit, make_preprocessor
from skunlearn.influence import Influence
from skunlearn.models import adapter_for
from skunlearn.objectives import EvaluationLoss, get_objective

from .conftest import adult_arrays


def leave_one_out(est, refit_without, X, y, A, X_test, y_test, n_rows=30, seed=0):
    """Spearman of predicted vs actual changes of the DP target and of held-out loss."""
    adapter = adapter_for(est)
    model = adapter.build(est, X, y, None)
    theta, info = model.polish(adapter.parameters(est))
    target = get_objective("demographic_parity").bind(
        model.design, model.y, encode_groups(A, len(y)), model.loss)
    held_out = model.design_for(adapter.features(est, X_test))
    y_test = adapter.encode_target(est, y_test) if adapter.is_classifier else y_test
    utility = EvaluationLoss().bind(held_out, np.asarray(y_test, float), None, model.loss)
    infl = Influence(model, theta, info["solver"], target, utility)
    F0, U0 = target.value(theta), utility.value(theta)[0]
    predicted_F, actual_F, predicted_U, actual_U = [], [], [], []
    for i in np.random.default_rng(seed).choice(len(y), n_rows, replace=False):
        keep = np.arange(len(y)) != i
        theta_i = adapter.parameters(refit_without(keep))
        predicted_F.append(-infl.f[i])
        actual_F.append(target.value(theta_i) - F0)
        predicted_U.append(-infl.u[i])
        actual_U.append(utility.value(theta_i)[0] - U0)
    predicted_F, actual_F = np.array(predicted_F), np.array(actual_F)
    rho_F = min(spearmanr(predicted_F[:, j], actual_F[:, j]).statistic
                for j in range(predicted_F.shape[1]))
    return rho_F, spearmanr(predicted_U, actual_U).statistic


def _adult_hours(n=1000):
    """Adult's weekly hours in three classes (part-time < 35, 35-40, > 40) from the other
    attributes (income among them, sex left out): 1,000 training rows, 3,000 held out."""
    adult = load_adult()
    X = adult.data.drop(columns=["sex", "hours-per-week"]).assign(income=adult.target)
    y = np.digitize(adult.data["hours-per-week"], [35, 41])
    A = adult.sensitive_features["sex"].to_numpy()
    rows = np.random.default_rng(0).permutation(len(y))
    train, test = rows[:n], rows[n:n + 3000]
    pre = make_preprocessor(X).fit(X.iloc[train])
    return pre.transform(X.iloc[train]), y[train], A[train], pre.transform(X.iloc[test]), y[test]


def _german_terms(n=800):
    """German credit's loan terms, two targets (duration in months, amount in thousands of DM),
    from the other attributes (sex): 800 rows, the rest held out."""
    data = load_german_credit()
    X = data.data.drop(columns=["duration", "credit_amount"])
    Y = np.column_stack([data.data["duration"], data.data["credit_amount"] / 1000.0])
    A = data.sensitive_features["sex"].to_numpy()
    X = make_preprocessor(X).fit_transform(X)
    rows = np.random.default_rng(0).permutation(len(Y))
    train, test = rows[:n], rows[n:]
    return X[train], Y[train], A[train], X[test], Y[test]


def _adult(n=1000):
    """1,000 Adult training rows (sex) and 3,000 held-out rows."""
    Xtr, Xte, ytr, yte, Atr, _ = adult_arrays()
    rows = np.random.default_rng(0).choice(len(ytr), n, replace=False)
    return Xtr[rows], ytr[rows], Atr[rows], Xte[:3000], yte[:3000]


def _positive(name):
    """German credit amounts (Gamma) or COMPAS prior counts (race): 800 rows, the rest held out."""
    data = load_german_credit() if name == "gamma" else load_compas()
    column = "credit_amount" if name == "gamma" else "priors_count"
    X = data.data.drop(columns=[column])
    y = data.data[column].to_numpy(float)
    A = data.sensitive_features.iloc[:, 0].to_numpy()
    X = make_preprocessor(X).fit_transform(X)
    rows = np.random.default_rng(0).permutation(len(y))
    train, test = rows[:800], rows[800:]
    return X[train], y[train], A[train], X[test], y[test]


def _plain_refit(estimator, X, y, sample_weight=None):
    """``refit_without(keep)`` fitting a clone of ``estimator`` on the kept rows."""
    def refit_without(keep):
        sw = None if sample_weight is None else sample_weight[keep]
        return clone(estimator).fit(X[keep], y[keep], sample_weight=sw)

    return refit_without


def _output_layer_refit(net, X, y):
    """``refit_without(keep)``: the network with its output layer refitted on the kept rows."""
    adapter = adapter_for(net)
    hidden = adapter.features(net, X)
    layer = adapter.layer_estimator(net)

    def refit_without(keep):
        fitted = clone(layer).fit(hidden[keep], y[keep])
        return adapter.with_parameters(net, np.append(fitted.coef_, fitted.intercept_))

    return refit_without


def case_logistic_regression():
    X, y, A, X_test, y_test = _adult()
    est = LogisticRegression(tol=1e-10, max_iter=5000).fit(X, y)
    return est, _plain_refit(est, X, y), (X, y, A, X_test, y_test)


def case_ridge():
    X, y, A, X_test, y_test = _positive("compas")
    est = Ridge(alpha=1.0).fit(X, y)
    return est, _plain_refit(est, X, y), (X, y, A, X_test, y_test)


def case_logistic_regression_cv():
    X, y, A, X_test, y_test = _adult()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = LogisticRegressionCV(Cs=[0.01, 0.1, 1.0], tol=1e-10, max_iter=5000,
                                   l1_ratios=(0.0,), use_legacy_attributes=False).fit(X, y)
    # leave-one-out at the selected C_: the cross-validation's choice is held
    return est, _plain_refit(adapter_for(est).plain(est), X, y), (X, y, A, X_test, y_test)


def case_ridge_cv():
    X, y, A, X_test, y_test = _positive("compas")
    est = RidgeCV(alphas=[0.1, 1.0, 10.0]).fit(X, y)
    return est, _plain_refit(Ridge(alpha=est.alpha_), X, y), (X, y, A, X_test, y_test)


def _glm(estimator, data):
    X, y, A, X_test, y_test = _positive(data)
    est = estimator.fit(X, y)
    # the original normalisation kept: alpha * n / (n - 1) without one row
    plain = clone(est).set_params(alpha=est.alpha * len(y) / (len(y) - 1))
    return est, _plain_refit(plain, X, y), (X, y, A, X_test, y_test)


def case_poisson():
    return _glm(PoissonRegressor(alpha=0.01, tol=1e-12, max_iter=10_000), "compas")


def case_tweedie():
    return _glm(TweedieRegressor(power=1.5, alpha=0.01, tol=1e-12, max_iter=10_000), "compas")


def case_gamma():
    return _glm(GammaRegressor(alpha=0.01, tol=1e-12, max_iter=10_000), "gamma")


def case_sgd_classifier():
    """Deleting a row is weight 0: SGD's ``1/n`` stays, so ``C = 1 / (n alpha)`` throughout."""
    X, y, A, X_test, y_test = _adult()
    est = SGDClassifier(loss="log_loss", alpha=1e-3, random_state=0).fit(X, y)
    exact = LogisticRegression(C=1.0 / (len(y) * est.alpha), tol=1e-10, max_iter=5000)
    return est, _plain_refit(exact, X, y), (X, y, A, X_test, y_test)


def case_sgd_regressor():
    X, y, A, X_test, y_test = _positive("compas")
    est = SGDRegressor(alpha=1e-2, random_state=0).fit(X, y)
    exact = Ridge(alpha=len(y) * est.alpha)  # (1/n) sum (y - z)^2 / 2 + alpha/2 ||w||^2
    return est, _plain_refit(exact, X, y), (X, y, A, X_test, y_test)


def case_ridge_classifier():
    X, y, A, X_test, y_test = _adult()
    est = RidgeClassifier(alpha=10.0, class_weight="balanced").fit(X, y)
    weights = compute_sample_weight("balanced", y)  # fixed: the objective's class weights
    return est, _plain_refit(RidgeClassifier(alpha=10.0), X, y, weights), (
        X, y, A, X_test, y_test)


def case_mlp_classifier():
    X, y, A, X_test, y_test = _adult()
    net = MLPClassifier(hidden_layer_sizes=(16,), alpha=1e-2, max_iter=500,
                        random_state=0).fit(X, y)
    return net, _output_layer_refit(net, X, y), (X, y, A, X_test, y_test)


def case_mlp_regressor():
    X, y, A, X_test, y_test = _positive("compas")
    net = MLPRegressor(hidden_layer_sizes=(8,), alpha=1e-2, max_iter=1000,
                       random_state=0).fit(X, y)
    return net, _output_layer_refit(net, X, y), (X, y, A, X_test, y_test)


def case_multinomial_logistic_regression():
    X, y, A, X_test, y_test = _adult_hours()
    est = LogisticRegression(tol=1e-10, max_iter=5000).fit(X, y)
    return est, _plain_refit(est, X, y), (X, y, A, X_test, y_test)


def case_ridge_two_targets():
    X, Y, A, X_test, Y_test = _german_terms()
    est = Ridge(alpha=1.0).fit(X, Y)
    return est, _plain_refit(est, X, Y), (X, Y, A, X_test, Y_test)


# name -> (case, smallest Spearman accepted for the held-out loss)
CASES = {
    "LogisticRegression (Adult)": (case_logistic_regression, 0.95),
    "Ridge (COMPAS priors)": (case_ridge, 0.75),  # see RidgeCV
    "LogisticRegressionCV (Adult)": (case_logistic_regression_cv, 0.95),
    # held-out loss: 0.80, and 0.80 too from the exact parameter change to first order:
    # the loss's own curvature, not the (exact, for least squares) parameter change
    "RidgeCV (COMPAS priors)": (case_ridge_cv, 0.75),
    "PoissonRegressor (COMPAS priors)": (case_poisson, 0.95),
    "TweedieRegressor power=1.5 (COMPAS priors)": (case_tweedie, 0.95),
    "GammaRegressor (German credit amount)": (case_gamma, 0.95),
    "SGDClassifier (Adult)": (case_sgd_classifier, 0.95),
    "SGDRegressor (COMPAS priors)": (case_sgd_regressor, 0.95),
    "RidgeClassifier (Adult)": (case_ridge_classifier, 0.95),
    # held-out loss: 0.915, the same against exact (Newton) leave-one-out optima, so
    # it is the first-order approximation itself, not the reference refit
    "MLPClassifier output layer (Adult)": (case_mlp_classifier, 0.9),
    "MLPRegressor output layer (COMPAS priors)": (case_mlp_regressor, 0.95),
    # the DP target of K - 1 = 2 classes (their worst row is reported). Held-out loss:
    # 0.86, the same against exact (Newton) leave-one-out optima, while the influences
    # predict the exact parameter change to first order at 0.997: with 270 parameters on
    # 1,000 rows the loss's own curvature is a large part of each change (as for RidgeCV)
    "LogisticRegression multinomial, 3 classes (Adult hours)": (
        case_multinomial_logistic_regression, 0.8),
    "Ridge, two targets (German loan duration and amount)": (case_ridge_two_targets, 0.95),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_leave_one_out_matches_influence(name):
    case, min_utility = CASES[name]
    est, refit_without, data = case()
    rho_F, rho_U = leave_one_out(est, refit_without, *data)
    assert rho_F >= 0.99
    assert rho_U >= min_utility


if __name__ == "__main__":
    print("| estimator (data) | LOO Spearman, DP target | LOO Spearman, held-out loss |")
    print("| --- | --- | --- |")
    for name, (case, _) in CASES.items():
        est, refit_without, data = case()
        rho_F, rho_U = leave_one_out(est, refit_without, *data)
        print(f"| {name} | {rho_F:.4f} | {rho_U:.4f} |")
