"""What an audit shows: fairlearn's metrics by model and by group, the picture, an HTML page.

Every model is measured on the same held-out rows with fairlearn's own
functions: the objective's metric first (difference and ratio, e.g.
:func:`fairlearn.metrics.demographic_parity_difference` and
:func:`~fairlearn.metrics.demographic_parity_ratio`), then demographic parity and
equalized odds so that a gain on one is seen beside a loss on the other; per
group, :class:`fairlearn.metrics.MetricFrame` gives counts, selection rates,
true and false positive rates and accuracy. :func:`audit_figure` draws the
trade-off and the group rates (matplotlib, an optional dependency) and
:func:`html_report` puts tables and picture on one self-contained page.
"""

import base64
import html
import io

import fairlearn.metrics as fm
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score

from .objectives import get_objective

# Short column labels of fairlearn's metric families.
_SHORT = {
    "demographic_parity": "DP",
    "equalized_odds": "EO",
    "true_positive_rate": "TPR",
    "false_positive_rate": "FPR",
    "zero_one_loss": "error rate",
}
# The per-group rates each family compares (columns of group_rates).
_RATES = {
    "demographic_parity": ("selection rate",),
    "equalized_odds": ("TPR", "FPR"),
    "true_positive_rate": ("TPR",),
    "false_positive_rate": ("FPR",),
    "zero_one_loss": ("accuracy",),
}
GROUP_METRICS = {
    "count": fm.count,
    "selection rate": fm.selection_rate,
    "TPR": fm.true_positive_rate,
    "FPR": fm.false_positive_rate,
    "accuracy": accuracy_score,
}


def metric_family(objective):
    """fairlearn's metric family of a classification objective and its short label.

    Examples
    --------
    >>> from skunlearn.report import metric_family
    >>> metric_family("equal_opportunity")
    ('true_positive_rate', 'TPR')
    """
    name = get_objective(objective).metric_name(is_classifier=True)
    if name is None or not name.endswith("_difference"):
        raise ValueError(f"objective {objective!r} has no fairlearn group metric")
    family = name.removesuffix("_difference")
    return family, _SHORT[family]


def compared_rates(objective):
    """The per-group rates (columns of :func:`group_rates`) an objective's metric compares.

    Examples
    --------
    >>> from skunlearn.report import compared_rates
    >>> compared_rates("equalized_odds")
    ('TPR', 'FPR')
    """
    return _RATES[metric_family(objective)[0]]


def fairness_metrics(objective):
    """Column label -> fairlearn function: the objective's difference and ratio, then DP and EO.

    Examples
    --------
    >>> from skunlearn.report import fairness_metrics
    >>> list(fairness_metrics("equalized_odds"))
    ['EO difference', 'EO ratio', 'DP difference']
    """
    family, short = metric_family(objective)
    metrics = {
        f"{short} difference": getattr(fm, f"{family}_difference"),
        f"{short} ratio": getattr(fm, f"{family}_ratio"),
    }
    for other in ("demographic_parity", "equalized_odds"):
        if other != family:
            metrics[f"{_SHORT[other]} difference"] = getattr(fm, f"{other}_difference")
    return metrics


def compare_models(y_true, predictions, sensitive_features, objective):
    """One row per model: accuracy and :func:`fairness_metrics` on the same rows.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    predictions : dict of str -> array-like of shape (n_samples,)
        Hard predictions of each model, in row order.
    sensitive_features : array-like of shape (n_samples,)
    objective : str
        Name of the objective whose metric comes first.

    Returns
    -------
    pandas.DataFrame
        Indexed by model. A ratio is NaN when every group's rate is 0 (e.g. a
        model that never predicts the positive class).

    Examples
    --------
    >>> from skunlearn.report import compare_models
    >>> y = [1, 0, 1, 0]; group = ["a", "a", "b", "b"]
    >>> compare_models(y, {"m": [1, 0, 0, 0]}, group, "demographic_parity")
       accuracy  DP difference  DP ratio  EO difference
    m      0.75            0.5       0.0            1.0
    """
    rows = {}
    for name, y_pred in predictions.items():
        row = {"accuracy": accuracy_score(y_true, y_pred)}
        for label, metric in fairness_metrics(objective).items():
            row[label] = float(metric(y_true, y_pred, sensitive_features=sensitive_features))
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def group_rates(y_true, predictions, sensitive_features):
    """Per-group count, selection rate, TPR, FPR and accuracy of each model, side by side.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    predictions : dict of str -> array-like of shape (n_samples,)
    sensitive_features : array-like of shape (n_samples,)

    Returns
    -------
    pandas.DataFrame
        One row per group (``MetricFrame.by_group``); a ``count`` column, then
        one column per (rate, model).

    Examples
    --------
    >>> from skunlearn.report import group_rates
    >>> y = [1, 0, 1, 0]; group = ["a", "a", "b", "b"]
    >>> table = group_rates(y, {"before": [1, 1, 0, 0], "after": [1, 0, 1, 0]}, group)
    >>> table["selection rate"]
                         before  after
    sensitive_feature_0
    a                       1.0    0.5
    b                       0.0    0.5
    """
    frames = {
        name: fm.MetricFrame(metrics=GROUP_METRICS, y_true=np.asarray(y_true),
                             y_pred=np.asarray(y_pred),
                             sensitive_features=sensitive_features).by_group
        for name, y_pred in predictions.items()
    }
    first = next(iter(frames.values()))
    rates = pd.concat({name: frame.drop(columns="count") for name, frame in frames.items()},
                      axis=1)
    rates = rates.swaplevel(axis=1)[[m for m in GROUP_METRICS if m != "count"]]
    count = first[["count"]].astype(int)
    count.columns = pd.MultiIndex.from_tuples([("count", "")])
    return pd.concat([count, rates], axis=1)


def audit_figure(paths, points, rates, *, objective, bound=None, majority=None,
                 title=None, chosen=None):
    """The audit's picture: the accuracy/fairness trade-off and the group rates.

    Left, accuracy against the objective's fairlearn difference, both on the
    held-out rows: one line per unlearning path (markers at the path points, the
    selected point large), single models as labelled markers, the bound as a
    dashed vertical line and the majority-class accuracy as a dotted horizontal
    one. The axes are set by the models worth comparing: points below the
    majority-class accuracy or predicting a single class are left out of the
    limits (and counted in the title). Right, the rates the objective compares,
    per group, for the models of ``rates``.

    Parameters
    ----------
    paths : dict of str -> pandas.DataFrame
        Per method, one row per path point with columns ``metric``, ``accuracy``
        and ``degenerate``; ``attrs["selected"]`` is the selected row.
    points : dict of str -> tuple (metric, accuracy)
        Single models (the original, other baselines).
    rates : pandas.DataFrame
        From :func:`group_rates`.
    objective : str
    bound : float, default=None
    majority : float, default=None
        Accuracy of the majority class.
    title : str, default=None
    chosen : str, default=None
        The method whose selected point is highlighted.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    family, short = metric_family(objective)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.5, 4.6),
                                      gridspec_kw={"width_ratios": [1.25, 1]})
    styles = [("o", "-"), ("s", "--"), ("^", ":"), ("D", "-.")]
    xs, ys, hidden = [], [], 0
    for (label, path), (marker, line) in zip(paths.items(), styles):
        x, y = path["metric"].to_numpy(float), path["accuracy"].to_numpy(float)
        keep = ~path["degenerate"].to_numpy(bool)
        hidden += int((~keep).sum())
        selected = path.attrs.get("selected")
        name = label if selected is None else (
            f"{label} (selected: strength {path['strength'].iloc[selected]:g})")
        (drawn,) = left.plot(x[keep], y[keep], line, marker=marker, ms=4, lw=1.3,
                             alpha=0.9, label=name)
        if selected is not None:
            left.plot(x[selected], y[selected], marker, ms=11 if label == chosen else 8,
                      color=drawn.get_color(), mec="black", mew=1.2, zorder=4)
        xs += list(x[keep]); ys += list(y[keep])
    for (label, (x, y)), marker in zip(points.items(), ["*", "X", "P", "h"]):
        left.plot(x, y, marker, color="black" if marker == "*" else None, ms=12,
                  ls="none", label=label, zorder=5)
        xs.append(x); ys.append(y)
    if majority is not None:
        majority_line = left.axhline(majority, color="grey", lw=0.9, ls=":",
                                     label="majority class")
    if bound is not None:
        left.axvline(bound, color="firebrick", lw=0.9, ls="--", label=f"bound {bound:g}")
        xs.append(bound)
    span_x = max(np.ptp(xs), 0.01)
    span_y = max(np.ptp(ys), 0.005)
    left.set_xlim(max(min(xs) - 0.08 * span_x, -0.005), max(xs) + 0.08 * span_x)
    low = min(ys) - 0.1 * span_y
    if majority is not None and majority > min(ys) - 0.3 * span_y:
        low = min(low, majority - 0.05 * span_y)  # show the baseline when it is near
    left.set_ylim(low, max(ys) + 0.1 * span_y)
    if majority is not None and majority < low:
        majority_line.set_label(f"majority class ({majority:.3f}, below the axes)")
    left.set_xlabel(f"{family}_difference (held-out rows)")
    left.set_ylabel("accuracy (held-out rows)")
    note = f"; {hidden} degenerate path points off scale" if hidden else ""
    left.set_title(f"Trade-off along each path{note}", fontsize=10)
    left.legend(fontsize=7.5, loc="best")
    left.grid(alpha=0.3)

    # Horizontal bars: group names read level and never collide, however many.
    shown = list(compared_rates(objective))
    models = list(rates[shown[0]].columns)
    groups = [str(g) for g in rates.index]
    height = 0.8 / len(models)
    ticks, tick_labels = [], []
    for r, rate in enumerate(shown):
        base = r * (len(groups) + 0.8)
        for m, model in enumerate(models):
            positions = base + np.arange(len(groups)) + (m - (len(models) - 1) / 2) * height
            right.barh(positions, rates[(rate, model)].to_numpy(float), height,
                       color="0.6" if m == 0 else f"C{m - 1}", label=model if r == 0 else None)
        ticks += list(base + np.arange(len(groups)))
        tick_labels += [f"{rate}: {g}" if len(shown) > 1 else g for g in groups]
    right.set_yticks(ticks, tick_labels, fontsize=8 if len(ticks) <= 16 else 6)
    right.invert_yaxis()  # first group on top, as in the table
    right.set_xlabel(" / ".join(shown) + " (held-out rows)")
    right.set_title(f"{short}: what each group gets", fontsize=10)
    right.legend(fontsize=8, loc="lower right")
    right.grid(axis="x", alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def figure_png(fig, dpi=110):
    """PNG bytes of a matplotlib figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from skunlearn.report import figure_png
    >>> figure_png(plt.figure(figsize=(1, 1)))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 72em; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }
img { max-width: 100%; }
"""


def html_report(title, blocks, png=None):
    """One self-contained HTML page: headed blocks of text, tables and code, and a picture.

    Parameters
    ----------
    title : str
    blocks : list of tuple (heading, content)
        ``content`` is a DataFrame (a table), a list of str (a bullet list), a
        str starting with ``"```"`` (code, shown verbatim) or a str (a paragraph).
    png : bytes, default=None
        A PNG embedded as a ``data:`` URI, so the page needs no other file.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> from skunlearn.report import html_report
    >>> page = html_report("Audit", [("Models", pd.DataFrame({"accuracy": [0.8]}))])
    >>> page.startswith("<!DOCTYPE html>") and "<table" in page
    True
    """
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>",
        "<body>", f"<h1>{html.escape(title)}</h1>",
    ]
    for heading, content in blocks:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if isinstance(content, pd.DataFrame):
            parts.append(content.to_html(float_format=lambda v: f"{v:.4f}", na_rep="n/a",
                                         border=0))
        elif isinstance(content, list):
            items = "".join(f"<li>{html.escape(item)}</li>" for item in content)
            parts.append(f"<ul>{items}</ul>")
        elif content.startswith("```"):
            parts.append(f"<pre><code>{html.escape(content.strip('`').strip())}</code></pre>")
        else:
            parts.append(f"<p>{html.escape(content)}</p>")
    if png is not None:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<h2>Picture</h2><img alt="{html.escape(title)}: trade-off and '
                     f'group rates" src="data:image/png;base64,{data}">')
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
