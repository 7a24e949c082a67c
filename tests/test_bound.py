"""difference_bound, the frontier, degenerate models and numerical fallbacks."""

import warnings

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    false_positive_rate_difference,
    mean_prediction,
    true_positive_rate_difference,
    zero_one_loss_difference,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import mean_squared_error

from skunlearn import SoftUnlearner
from skunlearn.objectives import get_objective

from .test_path_stress import shifted_family


def _data(n, seed, shift=0.6, d=5):
    """A gap the features partly explain: room for a fair and accurate linear model."""
    rng = np.random.default_rng(seed)
    A = rng.integers(0, 2, n)
    X = rng.normal(size=(n, d))
    X[:, 0] += shift * A
    y = (X @ np.linspace(1.0, 0.2, d) + 0.5 * rng.normal(size=n) > 0.3).astype(int)
    return X, y, A


FAIRLEARN = {
    "demographic_parity": demographic_parity_difference,
    "equal_opportunity": true_positive_rate_difference,
    "false_positive_rate_parity": false_positive_rate_difference,
    "equalized_odds": equalized_odds_difference,
    "error_rate_parity": zero_one_loss_difference,
}


@pytest.mark.parametrize("name", sorted(FAIRLEARN))
@pytest.mark.parametrize("weighted", [False, True])
def test_hard_metric_is_fairlearns(name, weighted):
    rng = np.random.default_rng(0)
    y, pred = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    groups = rng.choice(["a", "b", "c"], 300)
    w = rng.uniform(0.5, 2.0, 300) if weighted else None
    codes = np.unique(groups, return_inverse=True)[1]
    objective = get_objective(name)
    ours = objective.hard_metric(y, pred, codes, 3, w, is_classifier=True)
    theirs = FAIRLEARN[name](y, pred, sensitive_features=groups, sample_weight=w)
    assert ours == pytest.approx(theirs, abs=1e-12)
    assert objective.metric_name(True) in (FAIRLEARN[name].__name__, "equalized_odds_difference")


def test_regression_metrics_are_fairlearn_group_differences():
    rng = np.random.default_rng(1)
    y, pred = rng.normal(size=200), rng.normal(size=200)
    groups = rng.integers(0, 3, 200)
    for name, metric in [("demographic_parity", mean_prediction),
                         ("error_rate_parity", mean_squared_error)]:
        ours = get_objective(name).hard_metric(y, pred, groups, 3, is_classifier=False)
        frame = MetricFrame(metrics=metric, y_true=y, y_pred=pred, sensitive_features=groups)
        assert ours == pytest.approx(frame.difference(), abs=1e-12)


@pytest.mark.parametrize("objective", ["demographic_parity", "equalized_odds"])
def test_bound_on_an_eval_set_picks_the_most_accurate_point_meeting_it(objective):
    X, y, A = _data(3000, seed=0)
    Xv, yv, Av = _data(3000, seed=1)
    bound = 0.03
    su = SoftUnlearner(LogisticRegression(), objective, difference_bound=bound)
    su.fit(X, y, sensitive_features=A, eval_set=(Xv, yv, Av))
    frame = su.frontier_
    assert frame.attrs["evaluation"] == "the evaluation data"
    # the frontier's metric and score are fairlearn's on the eval rows, point by point
    for step in (0, su.selected_step_, len(frame) - 1):
        su.select(step)
        pred = su.predict(Xv)
        assert frame["metric"].iloc[step] == pytest.approx(
            FAIRLEARN[objective](yv, pred, sensitive_features=Av), abs=1e-12)
        assert frame["score"].iloc[step] == pytest.approx(su.score(Xv, yv), abs=1e-12)
    su.fit(X, y, sensitive_features=A, eval_set=(Xv, yv, Av))  # select() moved it
    best = su.selected_step_
    assert frame["metric"].iloc[best] <= bound
    assert frame["score"].iloc[best] == frame.loc[frame["meets_bound"], "score"].max()
    assert frame["score"].iloc[best] >= frame.attrs["baseline_score"]


def test_cross_fitted_bound_holds_on_unseen_data():
    """No eval_set: the strength is chosen on out-of-fold predictions of the training rows."""
    X, y, A = _data(4000, seed=2)
    Xt, yt, At = _data(20000, seed=3)
    base = LogisticRegression().fit(X, y)
    dp0 = demographic_parity_difference(yt, base.predict(Xt), sensitive_features=At)
    su = SoftUnlearner(FrozenEstimator(base), difference_bound=0.02).fit(
        X, y, sensitive_features=A)
    assert "cross-fitting" in su.frontier_.attrs["evaluation"]
    row = su.frontier_.iloc[su.selected_step_]
    assert row["meets_bound"] and row["metric"] <= 0.02
    dp = demographic_parity_difference(yt, su.predict(Xt), sensitive_features=At)
    assert dp0 > 0.15 and dp <= 0.03  # the bound (+0.01) on 20,000 unseen rows
    assert su.score(Xt, yt) > max(yt.mean(), 1 - yt.mean())


def test_bound_may_go_past_the_surrogate_zero():
    X, y, A = _data(3000, seed=4, shift=1.0)
    su = SoftUnlearner(LogisticRegression(), difference_bound=0.0, n_steps=5)
    with pytest.warns(UserWarning, match="No point of the unlearning path meets"):
        su.fit(X, y, sensitive_features=A)
    assert su.frontier_["strength"].max() > 1.0  # it looked beyond the surrogate's zero


def test_unreachable_bound_warns_and_returns_the_closest_point():
    X, y, A = shifted_family(n=600, seed=0, shift=1.5)
    su = SoftUnlearner(LogisticRegression(), "equalized_odds", difference_bound=0.001)
    with pytest.warns(UserWarning, match=r"closest has equalized_odds_difference (\d\.\d+)"):
        su.fit(X, y, sensitive_features=A)
    frame = su.frontier_
    usable = frame[~frame["degenerate"]]
    assert frame["metric"].iloc[su.selected_step_] == usable["metric"].min()
    assert not frame["degenerate"].iloc[su.selected_step_]


def test_original_model_meeting_the_bound_is_returned_unchanged():
    X, y, A = _data(2000, seed=5, shift=0.05)
    base = LogisticRegression().fit(X, y)
    su = SoftUnlearner(FrozenEstimator(base), difference_bound=0.5)
    with pytest.warns(UserWarning, match="already meets difference_bound=0.5"):
        su.fit(X, y, sensitive_features=A)
    assert su.selected_step_ == 0
    np.testing.assert_array_equal(su.coef_, base.coef_)  # the user's model itself
    np.testing.assert_array_equal(su.predict(X), base.predict(X))
    assert not np.any(su.weights_)


def test_degenerate_result_warns_in_strength_mode_and_is_avoided_with_a_bound():
    """The group shift lies along the label direction: zero DP leaves one class predicted."""
    X, y, A = shifted_family(n=400, seed=3)
    su = SoftUnlearner(LogisticRegression())
    with pytest.warns(UserWarning, match=r"degenerate on the training rows: accuracy 0\.\d+ "
                      r"against 0\.\d+ for always predicting the majority class"):
        su.fit(X, y, sensitive_features=A)
    assert su.frontier_["degenerate"].iloc[-1]
    assert len(np.unique(su.predict(X))) == 1
    Xv, yv, Av = shifted_family(n=2000, seed=30)
    bounded = SoftUnlearner(LogisticRegression(), difference_bound=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        bounded.fit(X, y, sensitive_features=A, eval_set=(Xv, yv, Av))
    assert not bounded.frontier_["degenerate"].iloc[bounded.selected_step_]
    assert len(np.unique(bounded.predict(Xv))) == 2
    assert bounded.score(Xv, yv) > max(yv.mean(), 1 - yv.mean())


def test_frontier_columns_and_select():
    X, y, A = _data(1000, seed=6)
    X = pd.DataFrame(X, columns=list("abcde"), index=np.arange(1000) + 5000)
    su = SoftUnlearner(LogisticRegression(), n_steps=4).fit(X, y, sensitive_features=A)
    frame = su.frontier_
    assert list(frame["strength"]) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert {"reached", "utility", "metric", "score", "degenerate", "weight_norm",
            "deleted", "demographic_parity[0]"} <= set(frame.columns)
    assert frame.attrs["metric"] == "demographic_parity_difference"
    assert frame["weight_norm"].is_monotonic_increasing
    # weights_ and influence_ keep X's index
    assert list(su.weights_.index[:2]) == [5000, 5001]
    assert su.influence_.index.equals(X.index)
    last = su.coef_.copy()
    su.select(2)
    assert su.selected_step_ == 2 and not np.allclose(su.coef_, last)
    assert su.objective_after_.iloc[0] == pytest.approx(frame["demographic_parity[0]"].iloc[2])
    with pytest.raises(ValueError, match="step must be an integer"):
        su.select(99)


@pytest.mark.parametrize("kwargs, match", [
    (dict(objective="robustness", difference_bound=0.1), "has none"),
    (dict(difference_bound=0.1, update="newton"), "use update='path'"),
    (dict(difference_bound=-1), "non-negative"),
    (dict(tol=0), "tol must be"),
    (dict(cv=1), "cv must be"),
    (dict(weighting="hard", hard_fraction=0.1), "hard_fraction deletes"),
])
def test_bad_settings(kwargs, match):
    X, y, A = _data(200, seed=7)
    with pytest.raises(ValueError, match=match):
        SoftUnlearner(LogisticRegression(), **kwargs).fit(X, y, sensitive_features=A)


def test_polishing_that_cannot_converge_warns_with_the_gradient_norms():
    # separable classes and no penalty: the training objective has no finite optimum
    X, _, A = _data(200, seed=9)
    y = (X[:, 1] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        base = LogisticRegression(C=np.inf, max_iter=5).fit(X, y)
    with pytest.warns(ConvergenceWarning, match=r"gradient norm .* after \d+ iterations"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            SoftUnlearner(FrozenEstimator(base)).fit(X, y, sensitive_features=A)


def test_loose_fit_is_polished_without_a_warning():
    X, y, A = _data(400, seed=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        base = LogisticRegression(max_iter=1).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        su = SoftUnlearner(FrozenEstimator(base)).fit(X, y, sensitive_features=A)
    assert su.polish_["converged"] and su.polish_["grad_norm_after"] < 1e-8


def test_curvature_weights_fall_back_instead_of_raising_on_singular_systems():
    """d > n: LinearRegression interpolates, every influence is zero; a warning, no LinAlgError."""
    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15).astype(float)
    su = SoftUnlearner(LinearRegression(), objective="robustness", strength=0.2)
    with pytest.warns(RuntimeWarning, match="does not move the target"):
        su.fit(X, y)
    assert np.all(np.isfinite(su.coef_))


def test_hard_deletion_never_empties_a_group():
    X, y, A = shifted_family(n=500, seed=1, shift=1.5, share=0.1)
    su = SoftUnlearner(LogisticRegression(), weighting="hard")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        su.fit(X, y, sensitive_features=A)
    kept = su.weights_ > -1
    for group in (0, 1):
        for label in (0, 1):
            cell = (A == group) & (y == label)
            assert kept[cell].sum() >= max(1, np.ceil(0.1 * cell.sum()))


def test_hard_deletion_follows_the_same_path_and_bound():
    X, y, A = _data(2000, seed=11)
    Xv, yv, Av = _data(2000, seed=12)
    su = SoftUnlearner(LogisticRegression(), weighting="hard", difference_bound=0.03)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        su.fit(X, y, sensitive_features=A, eval_set=(Xv, yv, Av))
    assert set(np.unique(su.weights_)) <= {-1.0, 0.0}
    row = su.frontier_.iloc[su.selected_step_]
    assert row["metric"] <= 0.03 and not row["degenerate"]
    assert row["deleted"] == int(np.sum(su.weights_ == -1.0))


def test_ridge_bound_on_mean_prediction_difference():
    rng = np.random.default_rng(13)
    A = rng.integers(0, 2, 1500)
    X = rng.normal(size=(1500, 3)) + 0.5 * A[:, None]
    y = X @ [1.0, 0.5, -0.5] + A + rng.normal(size=1500)
    su = SoftUnlearner(Ridge(), difference_bound=0.1).fit(X, y, sensitive_features=A)
    assert su.frontier_.attrs["metric"] == "mean_prediction_difference"
    assert su.frontier_.attrs["score"] == "r2"
    assert su.frontier_["metric"].iloc[su.selected_step_] <= 0.1


def test_fitted_unlearner_does_not_keep_the_training_data():
    import pickle

    X, y, A = _data(3000, seed=14, d=40)
    su = SoftUnlearner(LogisticRegression(), difference_bound=0.05).fit(
        X, y, sensitive_features=A)
    size = len(pickle.dumps(su))
    # the path points (at most 16 x n weights) are kept for select(); X (n x 40) is not
    assert size < X.nbytes, size
    assert pickle.loads(pickle.dumps(su)).select(1).selected_step_ == 1


def test_small_groups_are_not_left_implicit():
    """Bank's three age groups, one small: meeting the surrogate must shrink its gap too.

    When the small group's row was the one left implicit, hard deletion met the
    kept rows within 1% while the hard DP difference grew from 0.228 to 0.246.
    """
    from skunlearn.datasets import load_bank_marketing, make_preprocessor

    bank = load_bank_marketing()
    A = bank.sensitive_features["age"].to_numpy()
    Z = make_preprocessor(bank.data).fit_transform(bank.data)
    y = bank.target.to_numpy()
    su = SoftUnlearner(LogisticRegression(max_iter=1000), weighting="hard", n_steps=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        su.fit(Z, y, sensitive_features=A)
    largest = pd.Series(A).value_counts().idxmax()
    assert all(largest not in name for name in su.objective_before_.index)
    dp = su.frontier_["metric"]
    assert dp.iloc[-1] < 0.5 * dp.iloc[0], dp.tolist()


def test_hard_deletion_leaves_rows_outside_the_objective_alone():
    """A fold's held-out rows (weight 0) are neither deleted nor counted as kept."""
    from skunlearn.correction import Continuation, protected_cells
    from skunlearn.models import LogisticRegressionAdapter as adapter
    from skunlearn.objectives import EvaluationLoss

    X, y, A = shifted_family(n=600, seed=2, shift=1.5, share=0.2)
    model = adapter.build(LogisticRegression().fit(X, y), X, y, None)
    mask = (np.arange(600) % 5 != 0).astype(float)  # every fifth row held out
    fold = model.reweighted(mask)
    theta, info = fold.polish(np.zeros(4))
    target = get_objective("demographic_parity").bind(
        fold.design, fold.y, (A, ["0", "1"]), fold.loss, mask)
    utility = EvaluationLoss().bind(fold.design, fold.y, None, fold.loss, mask)
    cells, floor = protected_cells(A, y)
    path = Continuation(fold, theta, info["solver"], target, utility, weighting="hard",
                        keep=(cells, floor))
    for t in (0.5, 1.0):
        path.advance(t)
    eps = path.points[-1].eps
    assert np.all(eps[mask == 0] == 0) and np.any(eps == -1)
    kept = (eps > -1) & (mask > 0)
    assert np.all(np.bincount(cells, weights=kept, minlength=len(floor)) >= floor)


def test_cross_fitting_accepts_groups_smaller_than_the_folds():
    """A group with 3 rows per class still gets a cross-fitted bound (5 folds); 1 row cannot."""
    from tests.conftest import make_group_data

    X, y, A = make_group_data(n=300, seed=1)
    A = A.astype(object)
    small = np.r_[np.flatnonzero(y == 0)[:3], np.flatnonzero(y == 1)[:3]]
    A[small] = "small"
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no StratifiedKFold complaint
        warnings.filterwarnings("ignore", "No point of the unlearning path", UserWarning)
        su = SoftUnlearner(LogisticRegression(), difference_bound=0.1, n_steps=4)
        su.fit(X, y, sensitive_features=A)
    assert su.frontier_["metric"].notna().all()
    A[small[1:3]] = 0  # the group keeps one row with y = 0
    with pytest.raises(ValueError, match="at least 2 training rows in every group"):
        SoftUnlearner(LogisticRegression(), difference_bound=0.1).fit(
            X, y, sensitive_features=A)
