"""Draw the unlearning frontier (matplotlib is an optional dependency: ``pip install skunlearn[plot]``)."""

import numpy as np

from .frontier import metric_columns


def plot_frontier(frontier, *, ax=None, bound=None, label="skunlearn path", color=None,
                  metric=None):
    """Score against the fairness metric along the unlearning path.

    One marker per path point (hollow where the model is degenerate: a single
    predicted class, or worse than the constant predictor), the selected point
    ringed, the constant predictor's score as a dotted horizontal line and the
    bound, if any, as a dashed vertical one. The axes are those of
    :func:`fairlearn.metrics.plot_model_comparison` (fairness metric on x, score
    on y), so both can share an ``ax``.

    Parameters
    ----------
    frontier : SoftUnlearner or pandas.DataFrame
        A fitted :class:`~skunlearn.SoftUnlearner` or its ``frontier_``.
    ax : matplotlib.axes.Axes, default=None
        Where to draw; a new figure when ``None``.
    bound : float, default=None
        Vertical line at the bound; taken from the unlearner's
        ``difference_bound`` (the plotted objective's, for several objectives)
        when a SoftUnlearner is given.
    label : str, default="skunlearn path"
        Legend label of the path.
    color : color, default=None
        Colour of the path (matplotlib's next colour when ``None``).
    metric : str, default=None
        Column of ``frontier_`` on x. ``None``: ``"metric"``, or, for several
        objectives, the first bounded ``"metric[name]"`` column (else the first).

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skunlearn import SoftUnlearner
    >>> from skunlearn.plotting import plot_frontier
    >>> rng = np.random.default_rng(0)
    >>> A = rng.integers(0, 2, 500)
    >>> X = rng.normal(size=(500, 2)) + A[:, None]
    >>> y = (X.sum(axis=1) + rng.normal(size=500) > 1).astype(int)
    >>> su = SoftUnlearner(LogisticRegression(), n_steps=4).fit(X, y, sensitive_features=A)
    >>> ax = plot_frontier(su)
    >>> ax.get_xlabel()
    'demographic_parity_difference (the training rows)'
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
        raise ImportError(
            "plot_frontier needs matplotlib: pip install 'skunlearn[plot]'."
        ) from exc
    selected, given = None, False
    if hasattr(frontier, "frontier_"):
        unlearner = frontier
        frontier = unlearner.frontier_
        selected = unlearner.selected_step_
        given = True
    names = frontier.attrs.get("metric")
    bounds = frontier.attrs.get("bounds", {})
    if metric is None:
        columns = metric_columns(frontier)
        metric = next((c for c in columns if c in bounds), columns[0])
    if metric not in frontier.columns:
        raise ValueError(
            f"metric must be one of the frontier's metric columns "
            f"{metric_columns(frontier)}, got {metric!r}."
        )
    if bound is None and given:
        bound = bounds.get(metric) if isinstance(names, dict) else unlearner.difference_bound
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    x = frontier[metric].to_numpy(dtype=float)
    y = frontier["score"].to_numpy(dtype=float)
    degenerate = frontier["degenerate"].to_numpy(dtype=bool)
    (line,) = ax.plot(x, y, "-", color=color, lw=1.2, label=label)
    color = line.get_color()
    ax.plot(x[~degenerate], y[~degenerate], "o", color=color, ms=4)
    if degenerate.any():
        ax.plot(x[degenerate], y[degenerate], "o", mfc="none", color=color, ms=5,
                label="degenerate (worse than constant)")
    ax.plot(x[0], y[0], "k*", ms=10, label="original model")
    if selected is not None:
        ax.plot(x[selected], y[selected], "o", mfc="none", mec="k", ms=12, mew=1.5,
                label=f"selected (strength {frontier['strength'].iloc[selected]:g})")
    baseline = frontier.attrs.get("baseline_score")
    if baseline is not None:
        ax.axhline(baseline, color="grey", lw=0.8, ls=":", label="constant predictor")
    if bound is not None:
        ax.axvline(bound, color="grey", lw=0.8, ls="--", label=f"bound {bound:g}")
    # zoom on the non-degenerate points: the collapsed ones would set the scale
    shown = ~degenerate if (~degenerate).sum() >= 2 else np.ones_like(degenerate)
    span_y = np.ptp(y[shown]) or 0.01
    ax.set_ylim(min(y[shown].min(), baseline if baseline is not None else np.inf)
                - 0.1 * span_y, y[shown].max() + 0.1 * span_y)
    name = (names.get(metric) if isinstance(names, dict) else names) or metric
    where = frontier.attrs.get("evaluation")
    ax.set_xlabel(f"{name} ({where})" if where else name)
    ax.set_ylabel(frontier.attrs.get("score") or "score")
    ax.legend(fontsize=8)
    return ax
