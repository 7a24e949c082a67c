"""The paper's targets by name, against their definitions computed here with numpy.

Qiao et al. (2025) take influences of a logistic regression on validation rows
and solve ``min ||eps||^2 s.t. f^T eps = -|F|, u^T eps = 0`` in closed form
(their "scheme 2.3"). Here every ingredient is rebuilt from its definition (the
optimum by Newton's method, the adversarial points formed explicitly, the
Hessian and per-row gradients of scikit-learn's objective) and the weights of
``SoftUnlearner(objective=..., weighting="soft", update="newton")`` must match
``eps = A^T (A A^T)^{-1} b`` and the paper's own formula.
"""

import warnings

import numpy as np
import pytest
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from skunlearn import SoftUnlearner
from skunlearn.objectives import GroupParity


def _data(n, seed):
    rng = np.random.default_rng(seed)
    A = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 3))
    X[:, 0] += 0.8 * A
    y = (X @ [1.0, -0.5, 0.3] + 0.5 * rng.normal(size=n) > 0.4).astype(int)
    return X, y, A


def _log_loss(z, y):
    return np.logaddexp(0.0, z) - y * z


class _Reference:
    """sklearn's objective C sum logloss + |w|^2 / 2 at its optimum, from its definition."""

    def __init__(self, X, y, C, fit_intercept):
        self.Xt = np.hstack([X, np.ones((len(X), 1))]) if fit_intercept else X
        self.y, self.C, self.d = y, C, X.shape[1]
        self.penalty = np.ones(self.Xt.shape[1])
        self.penalty[self.d:] = 0.0  # the intercept is not penalised
        est = LogisticRegression(C=C, fit_intercept=fit_intercept).fit(X, y)
        theta = np.append(est.coef_.ravel(), est.intercept_) if fit_intercept else est.coef_.ravel()
        self.fitted = theta  # scikit-learn's parameters (tol=1e-4)
        for _ in range(20):  # Newton to the exact optimum
            theta = theta - np.linalg.solve(self.hessian(theta), self.gradient(theta))
        assert np.linalg.norm(self.gradient(theta)) < 1e-10
        self.theta = theta

    def gradient(self, theta):
        return self.C * self.Xt.T @ (expit(self.Xt @ theta) - self.y) + self.penalty * theta

    def hessian(self, theta):
        p = expit(self.Xt @ theta)
        return self.C * (self.Xt.T * (p * (1 - p))) @ self.Xt + np.diag(self.penalty)

    def row_gradients(self):
        return self.C * (expit(self.Xt @ self.theta) - self.y)[:, None] * self.Xt

    def influences(self, grad_target):
        """``-g_i^T H^{-1} grad`` for every training row."""
        return -self.row_gradients() @ np.linalg.solve(self.hessian(self.theta), grad_target)


def _closed_form(f, u, F):
    """DESIGN.md: eps = A^T (A A^T)^{-1} b, A = [f; u], b = [-F; 0]."""
    A = np.vstack([f, u])
    return A.T @ np.linalg.solve(A @ A.T, np.array([-F, 0.0]))


def _paper_scheme_2_3(f, u, F, lam=0.1):
    """The paper's formula, in its sign convention (influence = g^T H^{-1} grad = -f)."""
    fair, util = -f, -u
    denominator = (fair @ fair) * (util @ util) - (fair @ util) ** 2
    beta1 = -(2 * lam * abs(F) * (util @ util) * (fair @ util)) / (denominator * (util @ util))
    beta2 = 2 * lam * abs(F) * (util @ util) / denominator - 1
    return ((1 + beta2) * fair + beta1 * util) / (2 * lam)


def _soft_newton(objective, X, y, C, fit_intercept, eval_set, **fit):
    su = SoftUnlearner(LogisticRegression(C=C, fit_intercept=fit_intercept), objective=objective,
                       weighting="soft", update="newton", strength=1.0)
    with warnings.catch_warnings():
        # one step asked for the whole loss: it stops short (and the robustness step
        # lands on a model worse than the majority class), and says so
        warnings.filterwarnings("ignore", "The unlearning path stopped short", RuntimeWarning)
        warnings.filterwarnings("ignore", "The corrected model is degenerate", UserWarning)
        return su.fit(X, y, eval_set=eval_set, **fit)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_paper_robustness_weights_from_their_definition(fit_intercept):
    """Adversarial validation points fixed from the original weights, moved 1.3x past the boundary."""
    X, y, _ = _data(300, 0)
    X_val, y_val, _ = _data(150, 1)
    C = 0.5
    ref = _Reference(X, y, C, fit_intercept)
    # the points, formed explicitly from the original model as fitted; the
    # influences at its exact optimum
    w0 = ref.fitted[: ref.d]
    b0 = ref.fitted[ref.d] if fit_intercept else 0.0
    X_adv = X_val - 1.3 * ((X_val @ w0 + b0) / (w0 @ w0))[:, None] * w0
    Xt_adv = np.hstack([X_adv, np.ones((150, 1))]) if fit_intercept else X_adv
    Xt_val = np.hstack([X_val, np.ones((150, 1))]) if fit_intercept else X_val
    z_adv, z_val = Xt_adv @ ref.theta, Xt_val @ ref.theta
    F = _log_loss(z_adv, y_val).mean()
    grad_F = Xt_adv.T @ (expit(z_adv) - y_val) / 150  # the points do not move with theta
    grad_U = Xt_val.T @ (expit(z_val) - y_val) / 150
    f, u = ref.influences(grad_F), ref.influences(grad_U)
    expected = _closed_form(f, u, F)
    np.testing.assert_allclose(_paper_scheme_2_3(f, u, F), expected, rtol=1e-8, atol=1e-12)

    su = _soft_newton("paper_robustness", X, y, C, fit_intercept, (X_val, y_val))
    assert su.objective_before_.iloc[0] == pytest.approx(F, rel=1e-9)
    np.testing.assert_allclose(su.influence_.iloc[:, 0], f, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(su.influence_["utility"], u, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(su.weights_, expected, rtol=1e-6, atol=1e-10)
    # every validation point is on the wrong side of the original boundary
    row = su.frontier_.loc[0]
    assert row["fixed_point_accuracy"] == pytest.approx(1 - row["score"], abs=1e-12)


def test_loss_equal_opportunity_weights_from_their_definition():
    """The paper's EOP: mean log-loss of y = 1 rows in one group minus the other's."""
    X, y, A = _data(300, 2)
    X_val, y_val, A_val = _data(200, 3)
    ref = _Reference(X, y, 1.0, True)
    Xt_val = np.hstack([X_val, np.ones((200, 1))])
    z = Xt_val @ ref.theta
    largest = np.argmax([np.sum((y_val == 1) & (A_val == g)) for g in (0, 1)])
    rows = [(y_val == 1) & (A_val == g) for g in (1 - largest, largest)]
    F = _log_loss(z[rows[0]], 1).mean() - _log_loss(z[rows[1]], 1).mean()
    grad_F = (Xt_val[rows[0]].T @ (expit(z[rows[0]]) - 1) / rows[0].sum()
              - Xt_val[rows[1]].T @ (expit(z[rows[1]]) - 1) / rows[1].sum())
    grad_U = Xt_val.T @ (expit(z) - y_val) / 200
    f, u = ref.influences(grad_F), ref.influences(grad_U)
    expected = _closed_form(f, u, F)
    np.testing.assert_allclose(_paper_scheme_2_3(f, u, F), expected, rtol=1e-8, atol=1e-12)

    su = _soft_newton("loss_equal_opportunity", X, y, 1.0, True, (X_val, y_val, A_val),
                      sensitive_features=A)
    assert su.objective_before_.iloc[0] == pytest.approx(F, rel=1e-9)
    np.testing.assert_allclose(su.weights_, expected, rtol=1e-6, atol=1e-10)
    # compared with the overall mean instead, the target is scaled by 1 - share: same weights
    overall = GroupParity("eop_vs_overall", "loss", ["positive"], classifier_only=True)
    other = _soft_newton(overall, X, y, 1.0, True, (X_val, y_val, A_val), sensitive_features=A)
    np.testing.assert_allclose(other.weights_, expected, rtol=1e-6, atol=1e-10)
    assert abs(other.objective_before_.iloc[0]) < abs(F)


def test_fixed_point_accuracy_rises_while_the_true_worst_case_falls():
    """DESIGN.md section 5: the fixed-point robust accuracy rewards any move away from the model.

    The path on paper_robustness raises the accuracy on the fixed points and
    lowers the accuracy under the true worst case; the adaptive ``robustness``
    target, at the same radius, keeps it.
    """
    X, y, _ = _data(400, 4)
    X_val, y_val, _ = _data(300, 5)
    column = "worst_case_accuracy[r=0.1]"
    paper = SoftUnlearner(LogisticRegression(), objective="paper_robustness", strength=0.45,
                          n_steps=9)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The corrected model is degenerate", UserWarning)
        paper.fit(X, y, eval_set=(X_val, y_val))
    first, last = paper.frontier_.iloc[0], paper.frontier_.iloc[-1]
    assert last["fixed_point_accuracy"] > first["fixed_point_accuracy"] + 0.3
    assert last[column] < first[column] - 0.3

    # the reported worst case, by an explicit attack on the selected model
    w, b = paper.coef_.ravel(), paper.intercept_[0]
    s = 2 * y_val - 1
    attacked = X_val - 0.1 * s[:, None] * w / np.linalg.norm(w)
    assert last[column] == pytest.approx(np.mean(((attacked @ w + b) > 0) == y_val))

    adaptive = SoftUnlearner(LogisticRegression(), objective="robustness",
                             strength=0.3).fit(X, y, eval_set=(X_val, y_val))
    assert adaptive.frontier_[column].min() >= adaptive.frontier_[column].iloc[0] - 0.01
    assert "fixed_point_accuracy" not in adaptive.frontier_


def test_paper_targets_need_a_classifier():
    from sklearn.linear_model import Ridge

    X, y, A = _data(100, 6)
    for objective in ("paper_robustness", "loss_equal_opportunity"):
        with pytest.raises(ValueError, match="needs a classifier; Ridge is a regressor"):
            SoftUnlearner(Ridge(), objective=objective).fit(X, y * 1.0, sensitive_features=A)
