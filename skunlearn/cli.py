"""``skunlearn audit``: original model vs hard vs soft unlearning, side by side.

Run ``skunlearn audit --help`` (or ``python -m skunlearn --help``) for the options.
"""

import argparse
import os
import sys
import time
import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
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
from .objectives import available_objectives

DATASETS = {
    "adult": (load_adult, "sex"),
    "compas": (load_compas, "race"),
    "german": (load_german_credit, "sex"),
    "bank": (load_bank_marketing, "age"),
}
STRENGTHS = (0.2, 0.4, 0.6, 0.8, 1.0)
# A numeric sensitive column with more values than this is refused: every value
# would be a group, most of them tiny.
_MAX_NUMERIC_GROUPS = 10


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class _Progress:
    """Prints what is being done to stderr, with its duration once it took over a second."""

    open_line = False  # a progress line awaits its " done": an error must start anew

    def __init__(self, quiet):
        self.quiet = quiet

    @contextmanager
    def step(self, what):
        if not self.quiet:
            print(f"{what} ...", end="", file=sys.stderr, flush=True)
            _Progress.open_line = True
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        if not self.quiet:
            print(f" done ({elapsed:.1f} s)" if elapsed > 1 else " done", file=sys.stderr)
            _Progress.open_line = False

    def say(self, message):
        """A line of information on stderr (unless quiet)."""
        if not self.quiet:
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
        "hard and soft (influence-weighted) unlearning.",
    )
    parser.add_argument("--version", action="version", version=f"skunlearn {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    audit = sub.add_parser(
        "audit", help="compare original, hard and soft unlearning",
        description="Fit a LogisticRegression on a training split, correct it by hard "
        "deletion, soft and curvature-aware unlearning (same path, same bound), and "
        "compare accuracy, demographic parity and equalized odds differences and time "
        "on the held-out split.",
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
                        choices=[o for o in available_objectives() if o != "robustness"],
                        help="fairness target to unlearn (default: demographic_parity)")
    parser.add_argument("--strength", type=float, default=1.0,
                        help="fraction of the gap to remove, in (0, 1] (default: 1)")
    parser.add_argument("--bound", type=float, default=None, metavar="B",
                        help="instead of --strength: the objective's fairlearn metric to "
                        "reach (difference_bound), chosen by cross-fitting on the "
                        "training split; every method gets the same bound")
    parser.add_argument("--output", metavar="PLOT.png", default="skunlearn-audit.png",
                        help="where to write the trade-off plot (needs matplotlib); "
                        "'none' to skip")
    parser.add_argument("--test-size", type=float, default=0.3,
                        help="held-out fraction (default: 0.3)")
    parser.add_argument("--seed", type=int, default=0, help="split seed (default: 0)")
    parser.add_argument("--keep-sensitive", action="store_true",
                        help="keep the sensitive column among the model's features "
                        "(by default it is dropped: predictions do not use it)")
    parser.add_argument("--quiet", action="store_true", help="no progress messages")


def _load(args, progress):
    if args.data is None:
        if args.target is not None:
            raise ValueError("--target goes with --data")
        loader, default_sensitive = DATASETS[args.dataset]
        bunch = loader()
        sensitive = args.sensitive or default_sensitive
        if sensitive not in bunch.sensitive_features:
            raise ValueError(
                f"--sensitive for {args.dataset} must be one of {bunch.sensitive_names}")
        return bunch.data, bunch.target.to_numpy(), bunch.sensitive_features[sensitive], args.dataset
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
    labels = np.unique(frame[args.target])
    if len(labels) != 2:
        raise ValueError(f"--target must have two classes, {args.target!r} has {len(labels)}")
    progress.say(f"Positive label: {args.target} = {labels[1]!r} (vs {labels[0]!r}).")
    y = (frame[args.target] == labels[1]).astype(int).to_numpy()
    X = frame.drop(columns=[args.target])
    return X, y, frame[args.sensitive], args.data


def _metrics(y, y_pred, A):
    return (
        float(np.mean(y_pred == y)),
        float(demographic_parity_difference(y, y_pred, sensitive_features=A)),
        float(equalized_odds_difference(y, y_pred, sensitive_features=A)),
    )


def run_audit(args, out=None):
    """Run the audit described by parsed ``args``; returns the comparison table.

    Examples
    --------
    >>> import io
    >>> from skunlearn.cli import build_parser, run_audit
    >>> args = build_parser().parse_args(["--dataset", "german", "--quiet", "--output", "none"])
    >>> table = run_audit(args, out=io.StringIO())
    >>> list(table.index)
    ['original', 'hard unlearning', 'soft unlearning', 'soft (curvature)']
    """
    out = sys.stdout if out is None else out
    if not 0 < args.strength <= 1:
        raise ValueError(f"--strength must be in (0, 1], got {args.strength}")
    if args.output.lower() != "none":  # fail now, not after the whole run
        folder = os.path.dirname(os.path.abspath(args.output))
        if os.path.isdir(args.output) or not os.path.isdir(folder):
            raise ValueError(f"--output {args.output}: not a file in an existing directory")
    progress = _Progress(args.quiet)
    with progress.step("Loading data"):
        X, y, A, name = _load(args, progress)
    if A.name in X.columns and not args.keep_sensitive:
        X = X.drop(columns=[A.name])
        progress.say(f"The sensitive column {A.name!r} is not a model input "
                     "(--keep-sensitive keeps it).")
    Xtr, Xte, ytr, yte, Atr, Ate = train_test_split(
        X, y, A, test_size=args.test_size, random_state=args.seed, stratify=y)
    preprocessor = make_preprocessor(X).fit(Xtr)
    Ztr, Zte = preprocessor.transform(Xtr), preprocessor.transform(Xte)

    rows, sweep = [], []
    with progress.step(f"Fitting LogisticRegression on {Ztr.shape[0]} rows x {Ztr.shape[1]} features"):
        start = time.perf_counter()
        base = LogisticRegression(max_iter=1000).fit(Ztr, ytr)
        rows.append(("original", *_metrics(yte, base.predict(Zte), Ate), time.perf_counter() - start))

    # Like for like: every method follows the same path update and, with --bound,
    # the same difference_bound selection; only the weighting differs.
    methods = {
        "hard unlearning": dict(weighting="hard"),
        "soft unlearning": dict(weighting="soft"),
        "soft (curvature)": dict(weighting="curvature"),
    }
    said = []  # each distinct warning once, after the table
    for label, params in methods.items():
        with progress.step(f"Unlearning: {label}"), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            su = SoftUnlearner(FrozenEstimator(base), objective=args.objective,
                               strength=args.strength, difference_bound=args.bound, **params)
            start = time.perf_counter()
            su.fit(Ztr, ytr, sensitive_features=Atr)
            elapsed = time.perf_counter() - start
            chosen = su.selected_step_
            rows.append((label, *_metrics(yte, su.predict(Zte), Ate), elapsed))
            for step, strength in enumerate(su.frontier_["strength"]):  # no refit: the path
                if step and np.isclose(STRENGTHS, strength).any():
                    su.select(step)
                    sweep.append((label, strength, *_metrics(yte, su.predict(Zte), Ate)))
            su.select(chosen)
        for warning in caught:
            text = f"{label}: {' '.join(str(warning.message).split())}"
            if warning.category.__module__.startswith(("pandas", "fairlearn")):
                continue  # the libraries' own deprecations, not about this audit
            if text not in said:
                said.append(text)

    table = pd.DataFrame(rows, columns=["method", "accuracy", "demographic_parity_diff",
                                        "equalized_odds_diff", "seconds"]).set_index("method")
    knob = (f"difference_bound {args.bound:g}" if args.bound is not None
            else f"strength {args.strength:g}")
    print(f"\nskunlearn audit: {name}, sensitive attribute {A.name!r}, objective "
          f"{args.objective}, {knob}; held-out test set of "
          f"{len(yte)} rows. 'seconds' is the fit time for the original model and the "
          "unlearning time for the others.\n", file=out)
    print(table.to_string(float_format=lambda v: f"{v:.4f}"), file=out)
    sweep = pd.DataFrame(sweep, columns=["method", "strength", "accuracy", "dp", "eo"])
    trade_off = sweep.pivot(index="strength", columns="method", values=["accuracy", "dp"])
    print("\nTrade-off along each unlearning path (test accuracy, demographic parity "
          "difference):\n", file=out)
    print(trade_off.swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)
          .to_string(float_format=lambda v: f"{v:.4f}"), file=out)
    if said:
        print("\nWarnings:", *[f"- {text}" for text in said], sep="\n", file=out)
    if args.output.lower() != "none":
        _plot(sweep, rows[0], args, out)
    return table


def _plot(sweep, original, args, out):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\n(matplotlib is not installed: no plot; pip install 'skunlearn[plot]')", file=out)
        return
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.scatter([original[2]], [original[1]], color="black", zorder=3, label="original")
    for method, group in sweep.groupby("method", sort=False):
        ax.plot(group["dp"], group["accuracy"], marker="o", label=method)
        for _, row in group.iterrows():
            ax.annotate(f"{row['strength']:g}", (row["dp"], row["accuracy"]), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("demographic parity difference (test)")
    ax.set_ylabel("accuracy (test)")
    ax.set_title(f"{args.objective}: test trade-off (labels: strength)", fontsize=10)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    plt.close(fig)
    print(f"\nTrade-off plot written to {args.output}", file=out)


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
