"""skunlearn.report: fairlearn's figures, the audit picture and the HTML page."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    true_positive_rate,
    zero_one_loss_difference,
)

from skunlearn.report import audit_figure, compare_models, group_rates, html_report


@pytest.fixture
def predictions():
    rng = np.random.default_rng(0)
    group = rng.choice(["a", "b", "c", "long group name", "e", "f"], 600)
    y = rng.integers(0, 2, 600)
    return y, group, {"original": rng.integers(0, 2, 600),
                      "skunlearn default": rng.integers(0, 2, 600)}


def test_compare_models_is_fairlearn_with_the_objective_first(predictions):
    y, group, preds = predictions
    table = compare_models(y, preds, group, "equalized_odds")
    assert list(table.columns) == ["accuracy", "EO difference", "EO ratio", "DP difference"]
    p = preds["original"]
    assert table.loc["original", "EO difference"] == equalized_odds_difference(
        y, p, sensitive_features=group)
    assert table.loc["original", "EO ratio"] == equalized_odds_ratio(
        y, p, sensitive_features=group)
    errors = compare_models(y, preds, group, "error_rate_parity")
    assert errors.columns[1] == "error rate difference"
    assert errors.loc["original", "error rate difference"] == zero_one_loss_difference(
        y, p, sensitive_features=group)


def test_group_rates_are_metricframes(predictions):
    y, group, preds = predictions
    table = group_rates(y, preds, group)
    for model, p in preds.items():
        frame = MetricFrame(metrics={"TPR": true_positive_rate, "FPR": false_positive_rate},
                            y_true=y, y_pred=p, sensitive_features=group).by_group
        np.testing.assert_allclose(table[("TPR", model)], frame["TPR"])
        np.testing.assert_allclose(table[("FPR", model)], frame["FPR"])
    assert table[("count", "")].sum() == len(y)


def _overlap(boxes):
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_picture_has_the_bound_and_readable_labels(predictions):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y, group, preds = predictions
    rates = group_rates(y, preds, group)
    path = pd.DataFrame({"strength": [0, 0.5, 1.0, 1.5], "metric": [0.3, 0.2, 0.05, 0.9],
                         "accuracy": [0.85, 0.84, 0.83, 0.40],
                         "degenerate": [False, False, False, True]})
    path.attrs["selected"] = 2
    fig = audit_figure({"skunlearn default": path, "hard deletion": path.assign(
        accuracy=path["accuracy"] - 0.01)}, {"original": (0.3, 0.85)}, rates,
        objective="equalized_odds", bound=0.05, majority=0.5, chosen="skunlearn default")
    left, right = fig.axes
    fig.canvas.draw()
    assert any(line.get_xdata()[0] == 0.05 for line in left.lines)  # the bound
    assert left.get_ylim()[0] > 0.5  # the collapsed point does not set the scale
    assert "1 degenerate" not in left.get_title() and "2 degenerate" in left.get_title()
    renderer = fig.canvas.get_renderer()
    ticks = [t.get_window_extent(renderer) for t in right.get_yticklabels()]
    assert len(ticks) == 12 and not _overlap(ticks)  # 6 groups x (TPR, FPR)
    plt.close(fig)


def test_html_report_escapes_text():
    page = html_report("a <b>", [("x & y", "<script>"), ("list", ["1 < 2"]),
                                 ("code", "```a < b```")])
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<pre><code>a &lt; b</code></pre>" in page
