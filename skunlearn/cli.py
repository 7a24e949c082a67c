"""``skunlearn audit``: who a fitted model treats unequally, how far from the goal, what fixing it costs.

The audit fits preprocessing + ``LogisticRegression`` on a training split,
corrects it with :class:`~skunlearn.SoftUnlearner` (the default curvature-aware
weights, the paper's soft weights and hard deletion, all on the same path with
the same bound) and measures every model on the held-out rows with fairlearn's
metrics (:mod:`skunlearn.report`). Run ``skunlearn audit --help`` (or
``python -m skunlearn --help``) for the options.
"""

import argparse
import os
import sys
import time
import warnings
from contextlib import contextmanager
from types import SimpleNamespace

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from . import SoftUnlearner, __version__
from .datasets import (
    load_adult,
    load_bank_marketing,
    load_compas,
    load_german_credit,
    make_preprocessor,
)
from .objectives import available_objectives, get_objective
from .report import (
    audit_figure,
    compare_models,
    compared_rates,
    fairness_metrics,
    figure_png,
    group_rates,
    html_report,
    metric_family,
)

DATASETS = {
    "adult": (load_adult, "sex"),
    "compas": (load_compas, "race"),
    "german": (load_german_credit, "sex"),
    "bank": (load_bank_marketing, "age"),
}
DEFAULT_BOUND = 0.02
# The skunlearn default first: its model is the one the audit recommends.
METHODS = {"skunlearn default": "curvature", "skunlearn soft": "soft", "hard deletion": "hard"}
CHOSEN = "skunlearn default"
# A numeric sensitive column with more values than this is refused: every value
# would be a group, most of them tiny.
_MAX_NUMERIC_GROUPS = 10
# ExponentiatedGradient's constraint for each fairlearn metric family.
_EG_CONSTRAINTS = {
    "demographic_parity": "DemographicParity",
    "equalized_odds": "EqualizedOdds",
    "true_positive_rate": "TruePositiveRateParity",
    "false_positive_rate": "FalsePositiveRateParity",
    "zero_one_loss": "ErrorRateParity",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class _Progress:
    """Prints what is being done to stderr, with its duration once it took over a second."""

    open_line = False  # a progress line awaits its " done": an error must start anew

    def __init__(self, quiet):
        self.quiet = quiet
        self.pending = []  # messages said while a line is open: printed after it

    @contextmanager
    def step(self, what):
        """Time a step; the yielded object's ``seconds`` is what the line prints."""
        if not self.quiet:
            print(f"{what} ...", end="", file=sys.stderr, flush=True)
            _Progress.open_line = True
        timer = SimpleNamespace(seconds=None)
        start = time.perf_counter()
        yield timer
        timer.seconds = time.perf_counter() - start
        if not self.quiet:
            print(f" done ({timer.seconds:.1f} s)", file=sys.stderr)
            _Progress.open_line = False
            for message in self.pending:
                print(message, file=sys.stderr)
            self.pending = []

    def say(self, message):
        """A line of information on stderr (unless quiet)."""
        if self.quiet:
            return
        if _Progress.open_line:
            self.pending.append(message)
        else:
            print(message, file=sys.stderr)


def build_parser():
    """The argument parser of the ``skunlearn`` command.

    Examples
    --------
    >>> from skunlearn.cli import build_parser
    >>> args = build_parser().parse_args(["audit", "--dataset", "german", "--strength", "0.5"])
    >>> args.command, args.dataset, args.strength
    ('audit', 'german', 0.5)
    """
    parser = _Parser(
        prog="skunlearn",
        description="Audit a logistic regression for group fairness and correct it by "
        "soft-weighted unlearning, beside hard deletion and the baselines.",
    )
    parser.add_argument("--version", action="version", version=f"skunlearn {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    audit = sub.add_parser(
        "audit", help="audit a model by group and correct it",
        description="Fit a LogisticRegression on a training split and correct it to a "
        "bound on the objective's fairlearn metric (skunlearn's default weights, soft "
        "weights and hard deletion: same path, same bound). Prints, on the held-out "
        "split: rates per group before and after, the objective's metric (difference "
        "and ratio) with demographic parity and equalized odds, accuracy and time "
        "against the majority class, the trade-off along each path, and the Python "
        "lines that reproduce the corrected model.",
    )
    add_audit_arguments(audit)
    add_audit_arguments(parser)  # `python -m skunlearn` alone runs the audit
    return parser


def add_audit_arguments(parser):
    """Add the audit options to an ``argparse`` parser.

    Examples
    --------
    >>> import argparse
    >>> from skunlearn.cli import add_audit_arguments
    >>> parser = argparse.ArgumentParser()
    >>> add_audit_arguments(parser)
    >>> parser.parse_args([]).objective
    'demographic_parity'
    """
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="adult",
                        help="embedded dataset (default: adult, sensitive attribute sex)")
    parser.add_argument("--data", metavar="FILE.csv", help="your own CSV instead of --dataset")
    parser.add_argument("--target", metavar="COL", help="label column of --data (binary)")
    parser.add_argument("--sensitive", metavar="COL",
                        help="sensitive column (required with --data; default per dataset)")
    parser.add_argument("--objective", default="demographic_parity",
                        choices=[o for o in available_objectives()  # the group targets
                                 if get_objective(o).metric_name(is_classifier=True)],
                        help="fairness target to unlearn (default: demographic_parity)")
    parser.add_argument("--bound", type=float, default=None, metavar="B",
                        help="the objective's fairlearn difference to reach (difference_bound), "
                        "chosen on cross-fitted predictions of the training split; every "
                        f"method gets the same bound (default: {DEFAULT_BOUND:g})")
    parser.add_argument("--strength", type=float, default=None, metavar="S",
                        help="instead of --bound: remove this fraction of the gap, in (0, 1]; "
                        "also corrects a model that already meets the bound")
    parser.add_argument("--compare", action="append", default=[],
                        choices=["exponentiated-gradient"],
                        help="also fit fairlearn's ExponentiatedGradient with the same "
                        "bound, timed in the same run")
    parser.add_argument("--output", metavar="PLOT.png", default="skunlearn-audit.png",
                        help="where to write the picture (needs matplotlib); 'none' to skip")
    parser.add_argument("--report", metavar="FILE.html", default=None,
                        help="also write a self-contained HTML page: tables and picture")
    parser.add_argument("--test-size", type=float, default=0.3,
                        help="held-out fraction (default: 0.3)")
    parser.add_argument("--seed", type=int, default=0, help="split seed (default: 0)")
    parser.add_argument("--keep-sensitive", action="store_true",
                        help="keep the sensitive column among the model's features "
                        "(by default it is dropped: predictions do not use it)")
    parser.add_argument("--quiet", action="store_true", help="no progress messages")


def _load(args, progress):
    """Features, 0/1 target, sensitive column, data name and the positive label (column, value)."""
    if args.data is None:
        if args.target is not None:
            raise ValueError("--target goes with --data")
        loader, default_sensitive = DATASETS[args.dataset]
        bunch = loader()
        sensitive = args.sensitive or default_sensitive
        if sensitive not in bunch.sensitive_features:
            raise ValueError(
                f"--sensitive for {args.dataset} must be one of {bunch.sensitive_names}")
        progress.say(f"Positive label: {bunch.target.name} = 1.")
        return (bunch.data, bunch.target.to_numpy(), bunch.sensitive_features[sensitive],
                args.dataset, (bunch.target.name, 1))
    if args.target is None or args.sensitive is None:
        raise ValueError("--data needs --target COL and --sensitive COL")
    if os.path.isdir(args.data):
        raise ValueError(f"--data {args.data} is a directory; give a CSV file")
    try:
        frame = pd.read_csv(args.data)
    except pd.errors.EmptyDataError:
        raise ValueError(f"--data {args.data} is empty") from None
    for option, column in (("--target", args.target), ("--sensitive", args.sensitive)):
        if column not in frame:
            raise ValueError(
                f"{option} column {column!r} is not in {args.data}; its columns are "
                f"{', '.join(map(str, frame.columns))}")
    n_rows = len(frame)
    frame = frame.dropna()
    dropped = n_rows - len(frame)
    if dropped:
        progress.say(f"Dropped {dropped} of {n_rows} rows with missing values.")
    if len(frame) < 2:
        raise ValueError(f"{args.data} has {len(frame)} complete rows; the audit needs more")
    values = frame[args.sensitive]
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > _MAX_NUMERIC_GROUPS:
        smallest = int(values.value_counts().min())
        raise ValueError(
            f"--sensitive column {args.sensitive!r} is numeric with {values.nunique()} "
            f"distinct values (the smallest group has {smallest} rows); bin it into a few "
            "groups first (e.g. pandas.cut) and pass the binned column")
    labels = [getattr(v, "item", lambda v=v: v)() for v in np.unique(frame[args.target])]
    if len(labels) != 2:
        raise ValueError(f"--target must have two classes, {args.target!r} has {len(labels)}")
    progress.say(f"Positive label: {args.target} = {labels[1]!r} (vs {labels[0]!r}).")
    y = (frame[args.target] == labels[1]).astype(int).to_numpy()
    X = frame.drop(columns=[args.target])
    return X, y, frame[args.sensitive], args.data, (args.target, labels[1])


def _knob(args):
    """(bound, strength): --bound by default, --strength when asked for."""
    if args.bound is not None and args.strength is not None:
        raise ValueError("give --bound or --strength, not both")
    if args.strength is not None:
        if not 0 < args.strength <= 1:
            raise ValueError(f"--strength must be in (0, 1], got {args.strength}")
        return None, args.strength
    bound = DEFAULT_BOUND if args.bound is None else args.bound
    if not 0 <= bound < 1:
        raise ValueError(f"--bound must be in [0, 1), got {bound}")
    return bound, 1.0


def _check_cells(A, y):
    """A bound is judged on cross-fitted folds: each group needs 2 training rows per class."""
    cells = pd.crosstab(np.asarray(A), np.asarray(y)).stack()
    cells = cells[cells > 0]
    group, label = cells.idxmin()
    if cells[(group, label)] < 2:
        raise ValueError(
            f"group {group!r} has {cells[(group, label)]} training row(s) with label "
            f"{label}: too few to judge a bound on cross-fitted folds; merge it into "
            "another group, or use --strength S")


def _small_groups(rates, threshold=30):
    """A remark naming the groups too small for their rates to mean much."""
    counts = rates[("count", "")]
    small = counts[counts < threshold]
    if small.empty:
        return []
    named = ", ".join(f"{group!r} {count}" for group, count in small.items())
    return [f"Fewer than {threshold} held-out rows: {named}. Their rates, and every "
            "difference or ratio they enter, are mostly noise."]


def _check_output(option, path):
    """Fail now, not after the whole run."""
    if path is None or path.lower() == "none":
        return None
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(folder):
        raise ValueError(f"{option} {path}: not a file in an existing directory")
    return path


@contextmanager
def _collected(label, said):
    """Record the warnings of a step; each distinct one joins ``said`` once, tagged ``label``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    for warning in caught:
        if warning.category.__module__.startswith(("pandas", "fairlearn")):
            continue  # the libraries' own deprecations, not about this audit
        text = f"{label}: {' '.join(str(warning.message).split())}"
        if text not in said:
            said.append(text)


def _test_path(unlearner, Z, y, A, difference, majority):
    """Held-out accuracy and the objective's difference at every point of a fitted path."""
    chosen, rows = unlearner.selected_step_, []
    for step, strength in enumerate(unlearner.frontier_["strength"]):
        y_pred = unlearner.select(step).predict(Z)
        accuracy = float(np.mean(y_pred == y))
        rows.append((strength, accuracy, float(difference(y, y_pred, sensitive_features=A)),
                     len(np.unique(y_pred)) < 2 or accuracy < majority))
    unlearner.select(chosen)
    path = pd.DataFrame(rows, columns=["strength", "accuracy", "metric", "degenerate"])
    path.attrs["selected"] = chosen
    return path


def _exponentiated_gradient(objective, bound, seed, Z, y, A, Z_test):
    """Held-out predictions of fairlearn's ExponentiatedGradient under the objective's constraint.

    Its prediction is randomised over the ensemble: ``random_state`` fixes it.
    """
    from fairlearn import reductions

    family, _ = metric_family(objective)
    constraint = getattr(reductions, _EG_CONSTRAINTS[family])(difference_bound=bound)
    model = reductions.ExponentiatedGradient(LogisticRegression(max_iter=1000), constraint)
    model.fit(Z, y, sensitive_features=A)
    return model.predict(Z_test, random_state=seed)


def reproduce_code(args, sensitive, dropped, bound, strength, positive=1):
    """The Python lines that rebuild the audit's recommended model (skunlearn default).

    ``positive`` is the value of ``--target`` read as the positive class (with ``--data``).

    Examples
    --------
    >>> from skunlearn.cli import build_parser, reproduce_code
    >>> args = build_parser().parse_args(["--dataset", "german"])
    >>> print(reproduce_code(args, "sex", False, 0.02, 1.0).splitlines()[6])
    data = load_german_credit()
    """
    knob = f"difference_bound={bound!r}" if bound is not None else f"strength={strength!r}"
    lines = [
        "from sklearn.linear_model import LogisticRegression",
        "from sklearn.model_selection import train_test_split",
        "from sklearn.pipeline import make_pipeline",
        "from skunlearn import SoftUnlearner",
    ]
    drop = [sensitive] if dropped else []
    if args.data is None:
        loader = DATASETS[args.dataset][0].__name__
        lines += [
            f"from skunlearn.datasets import {loader}, make_preprocessor", "",
            f"data = {loader}()",
            f"X, y = data.data.drop(columns={drop!r}), data.target" if drop
            else "X, y = data.data, data.target",
            f"A = data.sensitive_features[{sensitive!r}]",
        ]
    else:
        lines[:0] = ["import pandas as pd"]
        lines += [
            "from skunlearn.datasets import make_preprocessor", "",
            f"frame = pd.read_csv({os.path.abspath(args.data)!r}).dropna()",
            f"y = (frame[{args.target!r}] == {positive!r}).astype(int)",
            f"X = frame.drop(columns={[args.target] + drop!r})",
            f"A = frame[{sensitive!r}]",
        ]
    lines += [
        "X_train, X_test, y_train, y_test, A_train, A_test = train_test_split(",
        f"    X, y, A, test_size={args.test_size!r}, random_state={args.seed!r}, stratify=y)",
        "model = make_pipeline(",
        "    make_preprocessor(X),",
        "    SoftUnlearner(LogisticRegression(max_iter=1000),",
        f"                  objective={args.objective!r}, {knob}),",
        ")",
        "model.fit(X_train, y_train, softunlearner__sensitive_features=A_train)",
        "y_pred = model.predict(X_test)  # model[-1].frontier_: every path point",
    ]
    return "\n".join(lines)


def _extremes(rates, objective, models):
    """One sentence per compared rate: which group gets the most and the least, per model."""
    sentences = []
    for rate in compared_rates(objective):
        parts = []
        for model in models:
            column = rates[(rate, model)]
            parts.append(f"{model}: highest {column.idxmax()!r} ({column.max():.4f}), "
                         f"lowest {column.idxmin()!r} ({column.min():.4f})")
        sentences.append(f"{rate} - " + "; ".join(parts) + ".")
    return sentences


def _trade_off(paths, short):
    """Held-out accuracy and difference at path strengths 0, 0.2, 0.4, ... and the selected one."""
    columns = {}
    for label, path in paths.items():
        on_grid = np.isclose(path["strength"] * 5, np.round(path["strength"] * 5))
        on_grid[path.attrs["selected"]] = True
        shown = path[on_grid].set_index("strength")
        columns[(label, "accuracy")] = shown["accuracy"]
        columns[(label, f"{short} difference")] = shown["metric"]
    table = pd.DataFrame(columns)
    table.index.name = "strength"
    return table


def _side_effects(table, short, model):
    """A sentence for each other fairness difference that the correction widened."""
    if model not in table.index:
        return []
    sentences = []
    for column in table.columns:
        if column.endswith(" difference") and not column.startswith(f"{short} "):
            before, after = table.loc["original", column], table.loc[model, column]
            if after > before + 0.02:
                sentences.append(
                    f"Side effect: {column} grew from {before:.4f} to {after:.4f} with "
                    f"{model}; the objectives conflict on this data, so choose the one "
                    "you mean (--objective).")
    return sentences


def run_audit(args, out=None):
    """Run the audit described by parsed ``args``; returns the comparison table.

    Examples
    --------
    >>> import io
    >>> from skunlearn.cli import build_parser, run_audit
    >>> args = build_parser().parse_args(["--dataset", "german", "--quiet", "--output", "none"])
    >>> table = run_audit(args, out=io.StringIO())
    >>> list(table.index)
    ['majority class', 'original', 'skunlearn default', 'skunlearn soft', 'hard deletion']
    """
    out = sys.stdout if out is None else out
    bound, strength = _knob(args)
    plot_path = _check_output("--output", args.output)
    report_path = _check_output("--report", args.report)
    family, short = metric_family(args.objective)
    difference = fairness_metrics(args.objective)[f"{short} difference"]
    progress = _Progress(args.quiet)
    with progress.step("Loading data"):
        X, y, A, name, positive = _load(args, progress)
    dropped = A.name in X.columns and not args.keep_sensitive
    if dropped:
        X = X.drop(columns=[A.name])
        progress.say(f"The sensitive column {A.name!r} is not a model input "
                     "(--keep-sensitive keeps it).")
    Xtr, Xte, ytr, yte, Atr, Ate = train_test_split(
        X, y, A, test_size=args.test_size, random_state=args.seed, stratify=y)
    preprocessor = make_preprocessor(X).fit(Xtr)
    Ztr, Zte = preprocessor.transform(Xtr), preprocessor.transform(Xte)

    if bound is not None:
        _check_cells(Atr, ytr)
    shape = f"{Ztr.shape[0]} rows x {Ztr.shape[1]} features"
    with progress.step(f"Fitting LogisticRegression on {shape}") as timer:
        base = LogisticRegression(max_iter=1000).fit(Ztr, ytr)
    majority = DummyClassifier().fit(Ztr, ytr)
    predictions = {"majority class": majority.predict(Zte), "original": base.predict(Zte)}
    seconds = {"majority class": np.nan, "original": timer.seconds}
    majority_accuracy = float(np.mean(predictions["majority class"] == yte))

    paths, said, notes = {}, [], []
    for label, weighting in METHODS.items():
        with progress.step(f"Unlearning: {label}") as timer, _collected(label, said):
            su = SoftUnlearner(FrozenEstimator(base), objective=args.objective,
                               strength=strength, difference_bound=bound, weighting=weighting)
            su.fit(Ztr, ytr, sensitive_features=Atr)
        paths[label] = _test_path(su, Zte, yte, Ate, difference, majority_accuracy)
        met_already = bound is not None and su.selected_step_ == 0 and bool(
            su.frontier_["meets_bound"].iloc[0])
        if met_already:
            # Said below in the audit's own words; the unlearner's warning would repeat it.
            said[:] = [text for text in said if not text.startswith(f"{label}:")]
            notes.append(
                f"The original model already meets difference_bound {bound:g} on "
                f"cross-fitted predictions of the training rows ({short} difference "
                f"{su.frontier_['metric'].iloc[0]:.4f}): nothing was changed. Pass "
                "--strength S to correct it anyway.")
            break
        predictions[label], seconds[label] = su.predict(Zte), timer.seconds
    if "exponentiated-gradient" in args.compare:
        eg_bound = DEFAULT_BOUND if bound is None else bound
        label = f"ExponentiatedGradient ({eg_bound:g})"
        with progress.step(f"Fitting {label}") as timer, _collected(label, said):
            predictions[label] = _exponentiated_gradient(
                args.objective, eg_bound, args.seed, Ztr, ytr, Atr, Zte)
        seconds[label] = timer.seconds

    table = compare_models(yte, predictions, Ate, args.objective)
    table["seconds"] = pd.Series(seconds)
    if bound is not None:
        table[f"{short} difference <= {bound:g}"] = np.where(
            table[f"{short} difference"] <= bound, "yes", "no")
    models = ["original"] + ([CHOSEN] if CHOSEN in predictions else [])
    rates = group_rates(yte, {m: predictions[m] for m in models}, Ate)
    trade_off = _trade_off(paths, short)
    code = reproduce_code(args, A.name, dropped, bound, strength, positive[1])

    knob = (f"difference_bound {bound:g}, chosen on cross-fitted predictions of the "
            f"{len(ytr)} training rows" if bound is not None else f"strength {strength:g}")
    role = ("dropped from the features" if dropped else "a model input" if A.name in X
            else "not a column of the features")
    header = (f"{name}: sensitive attribute {A.name!r} ({role}), positive label "
              f"{positive[0]} = {positive[1]!r}; objective {args.objective} "
              f"({family}_difference), {knob}. "
              f"Every figure below is measured on the {len(yte)} held-out rows.")
    sections = [
        ("1. Who is affected: rates per group (fairlearn MetricFrame; before: original"
         + (f", after: {CHOSEN})" if len(models) > 1 else ")"),
         rates.rename(columns={"original": "before", CHOSEN: "after"}, level=1),
         _extremes(rates, args.objective, models) + _small_groups(rates)),
        ("2. How far from the goal, at what cost, against which baselines", table,
         [f"{label}: fairlearn.metrics.{fn.__name__}"
          for label, fn in fairness_metrics(args.objective).items()]
         + _side_effects(table, short, CHOSEN)
         + ["seconds: fit time of the original model and of ExponentiatedGradient, "
            "unlearning time of the others (the progress lines' figures)."]),
        ("3. Trade-off along each unlearning path (strength 0 is the original model)",
         trade_off, []),
    ]
    print(f"\nskunlearn audit: {header}", file=out)
    for note in notes:
        print(f"\n{note}", file=out)
    for heading, frame, remarks in sections:
        print(f"\n{heading}\n", file=out)
        missing = "" if frame is trade_off else "n/a"  # a path without that strength
        print(frame.to_string(float_format=lambda v: f"{v:.4f}", na_rep=missing,
                              formatters={"seconds": lambda v: "" if np.isnan(v) else f"{v:.1f}"}
                              if "seconds" in frame else None), file=out)
        for remark in remarks:
            print(remark, file=out)
    print("\n4. Next: these lines reproduce the skunlearn default model\n", file=out)
    print(code, file=out)
    if said:
        print("\nWarnings:", *[f"- {text}" for text in said], sep="\n", file=out)

    png = None
    if plot_path or report_path:
        png = _picture(paths, predictions, table, rates, args.objective, bound,
                       majority_accuracy, f"skunlearn audit: {name}, {A.name}", out)
    if png is not None and plot_path:
        with open(plot_path, "wb") as handle:
            handle.write(png)
        print(f"\nPicture written to {plot_path}", file=out)
    if report_path:
        blocks = [("What was audited", header), *[(h, f) for h, f, _ in sections],
                  ("Reproduce the skunlearn default model", f"```{code}```")]
        blocks[1:1] = [("Note", note) for note in notes]
        if said:
            blocks.append(("Warnings", said))
        with open(report_path, "w", encoding="utf-8") as handle:
            handle.write(html_report(f"skunlearn audit: {name}", blocks, png))
        print(f"Report written to {report_path}", file=out)
    return table


def _picture(paths, predictions, table, rates, objective, bound, majority, title, out):
    """PNG bytes of :func:`skunlearn.report.audit_figure`, or None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\n(matplotlib is not installed: no picture; pip install 'skunlearn[plot]')",
              file=out)
        return None
    _, short = metric_family(objective)
    points = {label: (table.loc[label, f"{short} difference"], table.loc[label, "accuracy"])
              for label in predictions if label == "original" or label.startswith("Exponent")}
    fig = audit_figure(paths, points, rates, objective=objective, bound=bound,
                       majority=majority, title=title, chosen=CHOSEN)
    png = figure_png(fig)
    plt.close(fig)
    return png


def main(argv=None):
    """Entry point of the ``skunlearn`` console script; returns the exit status.

    Examples
    --------
    >>> from skunlearn.cli import main
    >>> main(["--strength", "3", "--quiet"])
    1
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        run_audit(args)
    except (ValueError, OSError, KeyError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if _Progress.open_line:
            print(file=sys.stderr)
            _Progress.open_line = False
        print(f"skunlearn: error: {message}", file=sys.stderr)
        return 1
    return 0
