"""Several targets at once: ``objective=[...]`` with per-objective strengths or bounds."""

import warnings

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference, true_positive_rate_difference
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge

from skunlearn import SoftUnlearner
from skunlearn._groups import encode_groups
from skunlearn._linalg import Design
from skunlearn.correction import Schedule
from skunlearn.losses import LogisticLoss
from skunlearn.objectives import Objectives, Robustness, get_objective

from .test_bound import _data
from .test_bound import test_bad_settings as _refused

DP_ROB = ["demographic_parity", "robustness"]
DP_EO = ["demographic_parity", "equal_opportunity"]


def _requests(su, strengths):
    """Per target row: the fraction of F_0 its objective asked to remove."""
    names = su.objective_before_.index
    share = [next(t for obj, t in strengths.items() if row.startswith(obj + "["))
             for row in names]
    return np.array(share)


def _fit(su, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return su.fit(*args, **kwargs)


def test_stacked_objective_values_and_jacobian():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (rng.random(300) < 0.4).astype(float)
    groups = encode_groups(rng.choice(["a", "b", "c"], 300), 300)
    design, loss = Design(X, True), LogisticLoss()
    both = get_objective(["equalized_odds", Robustness(0.2)])
    bound = both.bind(design, y, groups, loss)
    parts = [get_objective("equalized_odds").bind(design, y, groups, loss),
             Robustness(0.2).bind(design, y, groups, loss)]
    theta = np.array([0.4, -0.3, 0.2, 0.1])
    np.testing.assert_array_equal(
        bound.value(theta), np.concatenate([p.value(theta) for p in parts]))
    assert bound.row_names == parts[0].row_names + parts[1].row_names
    assert [name for name, _ in bound.blocks] == ["equalized_odds", "robustness"]
    h = 1e-6
    fd = np.column_stack([(bound.value(theta + h * e) - bound.value(theta - h * e)) / (2 * h)
                          for e in np.eye(4)])
    np.testing.assert_allclose(bound.jacobian(theta), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("objectives", [DP_ROB, DP_EO], ids="+".join)
@pytest.mark.parametrize("weighting", ["soft", "curvature"])
def test_weights_move_each_target_as_asked_to_first_order(objectives, weighting):
    """From the weights alone: influence_ . weights_ = -t_j F_0,j for every row of target j."""
    X, y, A = _data(2000, seed=0)
    strengths = dict(zip(objectives, [1.0, 0.4]))
    su = _fit(SoftUnlearner(LogisticRegression(), objectives, strength=strengths,
                            weighting=weighting, update="newton"),
              X, y, sensitive_features=A)
    F0 = su.objective_before_
    moved = su.influence_[F0.index].to_numpy().T @ su.weights_
    np.testing.assert_allclose(moved, -_requests(su, strengths) * F0.to_numpy(),
                               rtol=0, atol=1e-8)
    assert len(set(_requests(su, strengths))) == 2  # the two requests differ


@pytest.mark.parametrize("objectives, strength", [
    (DP_ROB, [1.0, 0.5]),
    (DP_EO, {"demographic_parity": 0.8, "equal_opportunity": 0.4}),
], ids=["dp+robustness", "dp+equal_opportunity"])
def test_the_path_reaches_every_target(objectives, strength):
    X, y, A = _data(2000, seed=1)
    su = SoftUnlearner(LogisticRegression(), objectives, strength=strength, n_steps=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no target missed
        su.fit(X, y, sensitive_features=A)
    strengths = dict(zip(objectives, strength)) if isinstance(strength, list) else strength
    F0, F = su.objective_before_, su.objective_after_
    goal = (1 - _requests(su, strengths)) * F0
    for name in objectives:  # each target within tol of its own ||F_0||
        rows = [r for r in F0.index if r.startswith(name + "[")]
        assert np.linalg.norm(F[rows] - goal[rows]) <= su.tol * np.linalg.norm(F0[rows])
    frame = su.frontier_
    assert frame["reached"].all()
    top = max(strengths.values())
    np.testing.assert_allclose(frame["strength"], np.linspace(0, top, 6))
    for name, t in strengths.items():  # both requests grow in proportion
        np.testing.assert_allclose(frame[f"strength[{name}]"], frame["strength"] * t / top)
    metric_columns = [c for c in frame.columns if c.startswith("metric[")]
    assert "metric" not in frame.columns
    assert metric_columns == [f"metric[{o}]" for o in objectives if o != "robustness"]


def test_bounds_on_two_metrics_hold_on_the_eval_set():
    X, y, A = _data(3000, seed=0)
    Xv, yv, Av = _data(3000, seed=1)
    bound = {"demographic_parity": 0.03, "equal_opportunity": 0.03}
    su = _fit(SoftUnlearner(LogisticRegression(), DP_EO, difference_bound=bound),
              X, y, sensitive_features=A, eval_set=(Xv, yv, Av))
    frame = su.frontier_
    pred = su.predict(Xv)
    dp = demographic_parity_difference(yv, pred, sensitive_features=Av)
    eo = true_positive_rate_difference(yv, pred, sensitive_features=Av)
    assert dp <= 0.03 and eo <= 0.03
    row = frame.iloc[su.selected_step_]
    assert row["metric[demographic_parity]"] == pytest.approx(dp, abs=1e-12)
    assert row["metric[equal_opportunity]"] == pytest.approx(eo, abs=1e-12)
    # the original model meets neither bound; the selected point is the most accurate that
    # meets both, and a point meeting one bound only is not a candidate
    assert frame["metric[demographic_parity]"].iloc[0] > 0.03
    assert frame["metric[equal_opportunity]"].iloc[0] > 0.03
    meets = ((frame["metric[demographic_parity]"] <= 0.03)
             & (frame["metric[equal_opportunity]"] <= 0.03) & ~frame["degenerate"])
    pd.testing.assert_series_equal(frame["meets_bound"], meets, check_names=False)
    assert row["score"] == frame.loc[meets, "score"].max()
    one_only = (frame["metric[demographic_parity]"] <= 0.03) & ~meets
    assert not one_only.any() or frame.loc[one_only, "score"].max() != row["score"]
    assert frame.attrs["bounds"] == {"metric[demographic_parity]": 0.03,
                                     "metric[equal_opportunity]": 0.03}
    assert frame.attrs["metric"]["metric[equal_opportunity]"] == "true_positive_rate_difference"


def test_bounded_targets_move_at_the_speeds_of_their_strengths():
    X, y, A = _data(2000, seed=4)
    Xv, yv, Av = _data(2000, seed=5)
    su = _fit(SoftUnlearner(LogisticRegression(), DP_EO, n_steps=4, difference_bound=0.0,
                            strength={"demographic_parity": 0.8, "equal_opportunity": 0.4}),
              X, y, sensitive_features=A, eval_set=(Xv, yv, Av))
    frame = su.frontier_
    np.testing.assert_allclose(frame["strength[demographic_parity]"], frame["strength"])
    np.testing.assert_allclose(frame["strength[equal_opportunity]"], 0.5 * frame["strength"])
    reached = frame[frame["reached"]].iloc[1:]
    assert len(reached) >= 3
    for objective, rate in [("demographic_parity[", 1.0), ("equal_opportunity[", 0.5)]:
        name = next(c for c in su.objective_before_.index if c.startswith(objective))
        F0 = frame[name].iloc[0]
        goal = (1 - rate * reached["strength"]) * F0
        assert np.all(np.abs(reached[name] - goal) <= su.tol * abs(F0))


def test_a_bound_and_a_strength_together():
    """DP under a bound while robustness is halved at every candidate point."""
    X, y, A = _data(3000, seed=2)
    Xv, yv, Av = _data(3000, seed=3)
    su = _fit(SoftUnlearner(LogisticRegression(), DP_ROB,
                            difference_bound=[0.03, None], strength=[1.0, 0.5]),
              X, y, sensitive_features=A, eval_set=(Xv, yv, Av))
    frame = su.frontier_
    F0 = frame["robustness[r=0.1]"].iloc[0]
    moved = frame.iloc[1:]
    # robustness asked for (1 - 0.5) F_0 from the first point on, DP along the path
    np.testing.assert_allclose(moved["strength[robustness]"], 0.5)
    np.testing.assert_allclose(moved["strength[demographic_parity]"], moved["strength"])
    assert np.all(np.abs(moved["robustness[r=0.1]"] - 0.5 * F0) <= su.tol * F0)
    assert demographic_parity_difference(yv, su.predict(Xv), sensitive_features=Av) <= 0.03
    assert su.selected_step_ > 0 and frame["meets_bound"].iloc[su.selected_step_]
    assert list(frame.attrs["bounds"]) == ["metric[demographic_parity]"]


def test_a_held_target_keeps_the_original_model_out():
    """The original model meets the DP bound, but robustness asked to move: it is not kept."""
    X, y, A = _data(1500, seed=5, shift=0.05)
    base = LogisticRegression().fit(X, y)
    su = SoftUnlearner(FrozenEstimator(base), DP_ROB, cv=None,
                       difference_bound={"demographic_parity": 0.5},
                       strength={"robustness": 0.3})
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no "already meets" warning
        warnings.simplefilter("ignore", RuntimeWarning)
        su.fit(X, y, sensitive_features=A)
    assert su.frontier_["metric[demographic_parity]"].iloc[0] <= 0.5
    assert not su.frontier_["meets_bound"].iloc[0]
    assert su.selected_step_ >= 1
    before, after = su.objective_before_.iloc[1], su.objective_after_.iloc[1]
    assert abs(after - 0.7 * before) <= su.tol * before
    # a candidate meets the bound and the held request: unreached points are not candidates
    frame = su.frontier_
    candidates = frame.loc[frame["meets_bound"], "robustness[r=0.1]"]
    assert len(candidates) and np.all(np.abs(candidates - 0.7 * before) <= su.tol * before)


def test_cross_fitted_bound_with_a_held_target():
    """No eval_set: each fold follows the same schedule (DP along the path, robustness held)."""
    X, y, A = _data(4000, seed=2)
    Xt, yt, At = _data(20000, seed=3)
    su = SoftUnlearner(LogisticRegression(), DP_ROB, difference_bound=[0.03, None],
                       strength=[1.0, 0.2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every point reached, the bound met
        su.fit(X, y, sensitive_features=A)
    frame = su.frontier_
    row = frame.iloc[su.selected_step_]
    assert "cross-fitting" in frame.attrs["evaluation"]
    assert row["meets_bound"] and row["metric[demographic_parity]"] <= 0.03
    F0 = frame["robustness[r=0.1]"].iloc[0]
    assert abs(row["robustness[r=0.1]"] - 0.8 * F0) <= su.tol * F0
    # on 20,000 unseen rows: the bound (+0.015)
    pred = su.predict(Xt)
    assert demographic_parity_difference(yt, pred, sensitive_features=At) <= 0.045


@pytest.mark.parametrize("weighting, update", [("soft", "newton"), ("curvature", "newton"),
                                               ("curvature", "path"), ("soft", "path")])
def test_contradictory_requests_take_the_least_squares_compromise(weighting, update):
    """equal_opportunity and equalized_odds share the TPR row; asked 100% and 30% of it."""
    X, y, A = _data(1500, seed=8)
    su = SoftUnlearner(LogisticRegression(), ["equal_opportunity", "equalized_odds"],
                       strength=[1.0, 0.3], weighting=weighting, update=update, n_steps=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        su.fit(X, y, sensitive_features=A)
    messages = [str(w.message) for w in caught]
    conflict = [m for m in messages if "contradictory requests" in m]
    assert conflict, messages
    assert "'equal_opportunity[tpr:0]', 'equalized_odds[tpr:0]'" in conflict[0]
    assert "least-squares compromise" in conflict[0]
    if update == "newton":  # first order: both TPR rows move by the mean of their requests
        F0 = su.objective_before_.to_numpy()
        moved = su.influence_[su.objective_before_.index].to_numpy().T @ su.weights_
        np.testing.assert_allclose(moved[:2], -0.65 * F0[:2], rtol=1e-8)
        np.testing.assert_allclose(moved[2], -0.3 * F0[2], rtol=1e-8)
    else:  # the path ends between the two requests, a warning says it stopped short
        tpr = su.objective_after_.iloc[0]
        F0 = su.objective_before_.iloc[0]
        assert abs(tpr) < 0.7 * abs(F0) and abs(tpr) > 0.05 * abs(F0)
        assert any("stopped short" in m for m in messages)


def test_a_list_of_one_is_that_objective():
    X, y, A = _data(800, seed=9)
    single = SoftUnlearner(LogisticRegression(), "demographic_parity", strength=0.5,
                           n_steps=3).fit(X, y, sensitive_features=A)
    listed = SoftUnlearner(LogisticRegression(), ["demographic_parity"], strength=[0.5],
                           n_steps=3).fit(X, y, sensitive_features=A)
    pd.testing.assert_frame_equal(single.frontier_, listed.frontier_)
    np.testing.assert_array_equal(single.coef_, listed.coef_)


def test_hard_deletion_moves_both_targets():
    X, y, A = _data(2000, seed=10)
    su = _fit(SoftUnlearner(LogisticRegression(), DP_ROB, strength=[1.0, 0.5],
                            weighting="hard", n_steps=4), X, y, sensitive_features=A)
    before, after = su.objective_before_.abs(), su.objective_after_.abs()
    assert np.all(after < 0.9 * before), (before, after)
    assert set(np.unique(su.weights_)) <= {-1.0, 0.0}


def test_unlearn_and_select_with_several_objectives():
    X, y, A = _data(1000, seed=11)
    su = SoftUnlearner(LogisticRegression(), DP_ROB, strength=0.5, n_steps=2)
    su.fit(X, y, sensitive_features=A)
    first = su.frontier_.copy()
    su.set_params(strength={"robustness": 0.2}).unlearn(X, y, sensitive_features=A)
    assert first["strength[robustness]"].iloc[-1] == 0.5
    assert su.frontier_["strength[robustness]"].iloc[-1] == pytest.approx(0.2)
    assert su.frontier_["strength[demographic_parity]"].iloc[-1] == 1.0
    su.select(1)
    row = su.frontier_.iloc[1][su.objective_before_.index].astype(float)
    np.testing.assert_allclose(su.objective_after_, row)


def test_plot_frontier_of_several_objectives():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from skunlearn.plotting import plot_frontier

    X, y, A = _data(1000, seed=12)
    Xv, yv, Av = _data(1000, seed=13)
    su = _fit(SoftUnlearner(LogisticRegression(), DP_EO, n_steps=4,
                            difference_bound={"equal_opportunity": 0.05}),
              X, y, sensitive_features=A, eval_set=(Xv, yv, Av))
    ax = plot_frontier(su)  # the bounded metric by default, with its bound
    assert ax.get_xlabel() == "true_positive_rate_difference (the evaluation data)"
    assert 0.05 in [line.get_xdata()[0] for line in ax.get_lines()]
    ax = plot_frontier(su, metric="metric[demographic_parity]")
    assert ax.get_xlabel().startswith("demographic_parity_difference")
    with pytest.raises(ValueError, match="metric must be one of"):
        plot_frontier(su, metric="metric")


@pytest.mark.parametrize("kwargs, match", [
    (dict(objective=[]), "empty list"),
    (dict(objective=["demographic_parity", "demographic_parity"]), "more than once"),
    (dict(objective=[Robustness(0.1), Robustness(0.3)]), r"\['robustness'\] appear"),
    (dict(objective=DP_ROB, strength=[1.0, 0.5, 0.2]), "3 values for 2 objective"),
    (dict(objective=DP_ROB, strength={"robustnes": 0.5}), r"names \['robustnes'\]"),
    (dict(objective=DP_ROB, strength=[1.0, 0.0]), r"strength for 'robustness' must be"),
    (dict(objective=DP_ROB, difference_bound=0.05), "Give difference_bound per objective"),
    (dict(objective=DP_EO, difference_bound=[0.05, -1]),
     "difference_bound for 'equal_opportunity' must be a non-negative"),
    (dict(objective=DP_EO, difference_bound=[0.05]), "1 values for 2 objective"),
    (dict(objective=DP_EO, difference_bound=[0.05, None], update="newton"),
     "use update='path'"),
    (dict(objective=["demographic_parity", ["robustness"]]), "names or Objective instances"),
])
def test_bad_settings_of_several_objectives(kwargs, match):
    _refused(kwargs, match)


def test_a_classifier_objective_in_the_list_of_a_regressor_is_refused():
    X, y, A = _data(200, seed=15)
    with pytest.raises(ValueError, match="objective='equal_opportunity' reads class labels"):
        SoftUnlearner(Ridge(), ["demographic_parity", "equal_opportunity"]).fit(
            X, y.astype(float), sensitive_features=A)


def test_a_target_already_met_is_named():
    X, y, _ = _data(150, seed=16)
    X, y, A = np.vstack([X, X]), np.r_[y, y], np.repeat([0, 1], 150)  # each row in both groups
    with pytest.raises(ValueError, match="'demographic_parity' is already met .* Leave it out"):
        SoftUnlearner(LogisticRegression(), DP_ROB).fit(X, y, sensitive_features=A)


def test_objectives_refuse_what_is_not_a_list_of_two():
    with pytest.raises(ValueError, match="at least two"):
        Objectives(["demographic_parity"])
    with pytest.raises(ValueError, match="takes a list"):
        Objectives("demographic_parity")
    with pytest.raises(ValueError, match="cannot be nested"):
        Objectives([Objectives(DP_ROB), "equal_opportunity"])


def test_schedule_rows_and_distances():
    schedule = Schedule([slice(0, 2), slice(2, 3)], rates=[1.0, 0.25], held=[False, True])
    F0 = np.array([0.3, -0.4, 0.02])
    np.testing.assert_allclose(schedule.goal(F0, 0.0), F0)  # held only once t > 0
    np.testing.assert_allclose(schedule.goal(F0, 0.2), [0.24, -0.32, 0.015])
    # a gap of 0.01 is 2% of the first block but 50% of the second
    np.testing.assert_allclose(schedule.distances(F0, [0.0, 0.01, 0.01]), [0.02, 0.5])
    with pytest.raises(ValueError, match="one rate and one held flag per block"):
        Schedule([slice(0, 2)], rates=[1.0, 0.5])
