"""Targets: values against their definitions, Jacobians against finite differences."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, true_positive_rate, true_positive_rate_difference

from skunlearn._groups import encode_groups
from skunlearn._linalg import Design
from skunlearn.losses import LogisticLoss, SignedSquaredLoss, SquaredLoss
from skunlearn.objectives import (
    EvaluationLoss,
    FixedPointRobustness,
    Robustness,
    available_objectives,
    get_objective,
)
from skunlearn.objectives.robustness import worst_case_accuracy

RNG = np.random.default_rng(0)
X = RNG.normal(size=(200, 3))
A = RNG.choice(["a", "b", "c"], 200)
Y01 = (RNG.random(200) < 0.4).astype(float)
YREG = X @ [1.0, 2.0, -1.0] + RNG.normal(size=200)

CASES = [(name, LogisticLoss(), Y01) for name in
         ["demographic_parity", "equal_opportunity", "false_positive_rate_parity",
          "equalized_odds", "error_rate_parity"]]
CASES += [("demographic_parity", SquaredLoss(), YREG), ("error_rate_parity", SquaredLoss(), YREG)]
CASES += [(Robustness(0.2), LogisticLoss(), Y01), (Robustness(0.2), SquaredLoss(), YREG)]
CASES += [(EvaluationLoss(), LogisticLoss(), Y01), ("utility", LogisticLoss(), Y01)]
CASES += [("loss_equal_opportunity", LogisticLoss(), Y01)]
CASES += [(FixedPointRobustness(), LogisticLoss(), Y01),
          (FixedPointRobustness(factor=2.0), SignedSquaredLoss(), Y01)]


def _bind(objective, loss, y, fit_intercept=True):
    return get_objective(objective).bind(Design(X, fit_intercept), y, encode_groups(A, 200), loss)


@pytest.mark.parametrize("objective, loss, y", CASES, ids=[str(c[0]) + type(c[1]).__name__ for c in CASES])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_jacobian_matches_finite_differences(objective, loss, y, fit_intercept):
    bound = _bind(objective, loss, y, fit_intercept)
    theta = np.array([0.4, -0.3, 0.2, 0.1])[: 3 + fit_intercept]
    J = bound.jacobian(theta)
    h = 1e-6
    fd = np.column_stack([
        (bound.value(theta + h * e) - bound.value(theta - h * e)) / (2 * h)
        for e in np.eye(len(theta))
    ])
    assert J.shape == fd.shape == (len(bound.row_names), len(theta))
    np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-8)


def test_demographic_parity_rows_are_group_means_minus_overall():
    bound = _bind("demographic_parity", LogisticLoss(), Y01)
    theta = np.array([0.5, -0.2, 0.3, 0.1])
    p = 1 / (1 + np.exp(-(X @ theta[:3] + theta[3])))
    expected = [p[A == g].mean() - p.mean() for g in ["a", "b"]]
    np.testing.assert_allclose(bound.value(theta), expected)
    assert bound.row_names == ["demographic_parity[a]", "demographic_parity[b]"]


def test_equal_opportunity_is_a_smooth_true_positive_rate_gap():
    """With saturated scores the surrogate equals fairlearn's hard TPR differences."""
    bound = _bind("equal_opportunity", LogisticLoss(), Y01)
    theta = 1e6 * np.array([1.0, 0.0, 0.0, 0.0])  # sigmoid ~ step function
    y_pred = (X[:, 0] > 0).astype(int)
    mf = MetricFrame(metrics=true_positive_rate, y_true=Y01, y_pred=y_pred, sensitive_features=A)
    expected = [mf.by_group[g] - mf.overall for g in ["a", "b"]]
    np.testing.assert_allclose(bound.value(theta), expected, atol=1e-9)


def test_robustness_gap_is_the_worst_case_loss_increase():
    bound = _bind(Robustness(0.3), LogisticLoss(), Y01)
    theta = np.array([0.5, -0.2, 0.3, 0.1])
    w = theta[:3]
    delta = -0.3 * w / np.linalg.norm(w)  # worst case pushes the score against the label
    s = 2 * Y01 - 1
    loss = LogisticLoss()
    z = X @ w + theta[3]
    adv = loss.value(z + s * (delta @ w), Y01)
    np.testing.assert_allclose(bound.value(theta), [np.mean(adv - loss.value(z, Y01))])
    assert bound.value(theta)[0] > 0


def test_registry():
    assert {"demographic_parity", "equalized_odds", "robustness", "true_positive_rate_parity",
            "loss_equal_opportunity", "paper_robustness", "utility"} <= set(available_objectives())
    with pytest.raises(ValueError, match="Unknown objective"):
        get_objective("fairness")


def test_groups_need_two_members():
    with pytest.raises(ValueError, match="single group"):
        get_objective("demographic_parity").bind(
            Design(X, True), Y01, encode_groups(np.zeros(200), 200), LogisticLoss())


def test_empty_group_within_a_subset_is_reported():
    groups = encode_groups(pd.Series(np.where(Y01 == 1, "pos", "neg")), 200)
    with pytest.raises(ValueError, match="have none"):
        get_objective("equal_opportunity").bind(Design(X, True), Y01, groups, LogisticLoss())


def _log_loss(z, y):
    return np.logaddexp(0.0, z) - y * z


def test_loss_equal_opportunity_is_the_papers_gap_between_groups():
    """Mean log-loss among y = 1 rows of each group minus the largest group's (Li & Liu's FERM)."""
    bound = _bind("loss_equal_opportunity", LogisticLoss(), Y01)
    theta = np.array([0.5, -0.2, 0.3, 0.1])
    loss = _log_loss(X @ theta[:3] + theta[3], Y01)
    positive = Y01 == 1
    sizes = {g: np.sum(positive & (A == g)) for g in "abc"}
    largest = max(sizes, key=sizes.get)
    others = [g for g in "abc" if g != largest]
    expected = [loss[positive & (A == g)].mean() - loss[positive & (A == largest)].mean()
                for g in others]
    np.testing.assert_allclose(bound.value(theta), expected, rtol=1e-12)
    assert bound.row_names == [f"loss_equal_opportunity[y=1:{g} - {largest}]" for g in others]


def test_loss_equal_opportunity_hard_metric_is_the_tpr_difference():
    objective = get_objective("loss_equal_opportunity")
    assert objective.metric_name(is_classifier=True) == "true_positive_rate_difference"
    y_pred = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)
    codes, labels = encode_groups(A, 200)
    ours = objective.hard_metric(Y01, y_pred, codes, len(labels))
    assert ours == pytest.approx(
        true_positive_rate_difference(Y01, y_pred, sensitive_features=A), abs=1e-12)


def test_fixed_point_robustness_is_the_loss_on_points_moved_past_the_original_boundary():
    """F from explicitly formed points x' = x - 1.3 (w0.x + b0) / |w0|^2 w0; theta0 != theta."""
    theta0 = np.array([0.5, -0.2, 0.3, 0.1])
    theta = np.array([0.2, 0.4, -0.1, -0.3])
    bound = FixedPointRobustness().bind(Design(X, True), Y01, None, LogisticLoss()).anchor(theta0)
    w0, b0 = theta0[:3], theta0[3]
    X_adv = X - 1.3 * ((X @ w0 + b0) / (w0 @ w0))[:, None] * w0
    z_adv = X_adv @ theta[:3] + theta[3]
    np.testing.assert_allclose(bound.value(theta), [_log_loss(z_adv, Y01).mean()], rtol=1e-12)
    # the gradient holds the points fixed: finite differences around theta, anchor theta0
    h = 1e-6
    fd = [(bound.value(theta + h * e) - bound.value(theta - h * e))[0] / (2 * h)
          for e in np.eye(4)]
    np.testing.assert_allclose(bound.jacobian(theta)[0], fd, rtol=1e-6, atol=1e-9)
    measures = bound.diagnostics(theta, is_classifier=True)
    assert measures["fixed_point_accuracy"] == pytest.approx(np.mean((z_adv > 0) == Y01))
    # at the original model every fixed point is on the wrong side of its boundary
    z0 = X @ w0 + b0
    at_anchor = bound.diagnostics(theta0, is_classifier=True)["fixed_point_accuracy"]
    assert at_anchor == pytest.approx(1.0 - np.mean((z0 > 0) == Y01))


def test_fixed_point_robustness_anchors_at_its_first_evaluation():
    theta0 = np.array([0.5, -0.2, 0.3, 0.1])
    first = FixedPointRobustness().bind(Design(X, True), Y01, None, LogisticLoss())
    first.value(theta0)
    explicit = FixedPointRobustness().bind(Design(X, True), Y01, None, LogisticLoss())
    explicit.anchor(theta0)
    theta = np.array([0.2, 0.4, -0.1, -0.3])
    np.testing.assert_array_equal(first.value(theta), explicit.value(theta))
    with pytest.raises(ValueError, match="coefficients are all zero"):
        FixedPointRobustness().bind(Design(X, True), Y01, None, LogisticLoss()).value(
            np.array([0.0, 0.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="factor must be a positive number"):
        FixedPointRobustness(factor=-1).bind(Design(X, True), Y01, None, LogisticLoss())


@pytest.mark.parametrize("radius", [0.05, 0.5])
def test_worst_case_accuracy_against_the_explicit_attack(radius):
    """The closed form against each input moved by radius along -sign(y) w / |w|."""
    theta = np.array([0.5, -0.2, 0.3, 0.1])
    w = theta[:3]
    s = 2 * Y01 - 1
    X_attacked = X - radius * s[:, None] * w / np.linalg.norm(w)
    expected = np.mean(((X_attacked @ w + theta[3]) > 0) == Y01)
    ours = worst_case_accuracy(Design(X, True), Y01, theta, radius, np.full(200, 1 / 200))
    assert ours == pytest.approx(expected)
    assert ours < np.mean(((X @ w + theta[3]) > 0) == Y01)
    bound = Robustness(radius).bind(Design(X, True), Y01, None, LogisticLoss())
    assert bound.diagnostics(theta, True) == {f"worst_case_accuracy[r={radius:g}]": ours}
    assert bound.diagnostics(theta, False) == {}
