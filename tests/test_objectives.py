"""Targets: values against their definitions, Jacobians against finite differences."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, true_positive_rate

from skunlearn._groups import encode_groups
from skunlearn._linalg import Design
from skunlearn.losses import LogisticLoss, SquaredLoss
from skunlearn.objectives import EvaluationLoss, Robustness, available_objectives, get_objective

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
CASES += [(EvaluationLoss(), LogisticLoss(), Y01)]


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
    assert {"demographic_parity", "equalized_odds", "robustness", "true_positive_rate_parity"} <= set(
        available_objectives())
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
