"""The ``skunlearn audit`` command."""

import subprocess
import sys

import numpy as np
import pytest

from skunlearn.cli import main
from skunlearn.datasets import load_german_credit


def test_audit_prints_the_comparison_and_writes_the_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "audit.png"
    assert main(["audit", "--dataset", "german", "--output", str(plot)]) == 0
    out = capsys.readouterr()
    for method in ("majority class", "original", "skunlearn default", "skunlearn soft",
                   "hard deletion"):
        assert f"\n{method} " in out.out
    for heading in ("1. Who is affected", "2. How far from the goal", "3. Trade-off",
                    "4. Next"):
        assert heading in out.out
    assert "difference_bound 0.02" in out.out  # the bound is the default knob
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000
    assert "Fitting LogisticRegression" in out.err  # progress goes to stderr


def test_audit_on_a_csv_file(tmp_path, capsys):
    german = load_german_credit()
    frame = german.data.assign(sex=german.sensitive_features["sex"],
                               label=german.target.map({1: "good", 0: "bad"}))
    path = tmp_path / "credit.csv"
    frame.to_csv(path, index=False)
    code = main(["--data", str(path), "--target", "label", "--sensitive", "sex",
                 "--objective", "equalized_odds", "--strength", "0.5", "--output", "none",
                 "--quiet"])
    out = capsys.readouterr()
    assert code == 0 and out.err == ""
    assert "objective equalized_odds (equalized_odds_difference), strength 0.5" in out.out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--strength", "2"], "--strength must be in (0, 1]"),
        (["--strength", "0.5", "--bound", "0.1"], "give --bound or --strength, not both"),
        (["--bound", "-0.1"], "--bound must be in [0, 1)"),
        (["--data", "missing.csv", "--target", "y", "--sensitive", "a"], "No such file"),
        (["--data", "x.csv"], "--data needs --target COL and --sensitive COL"),
        (["--dataset", "german", "--sensitive", "race"], "--sensitive for german must be one of"),
    ],
)
def test_bad_arguments_give_one_line_and_non_zero_exit(argv, message, capsys):
    assert main(argv + ["--quiet", "--output", "none"]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_parser_errors_are_one_line():
    result = subprocess.run([sys.executable, "-m", "skunlearn", "--objective", "nope"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "invalid choice: 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_module_entry_point_help():
    result = subprocess.run([sys.executable, "-m", "skunlearn", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "--dataset" in result.stdout


def _run(*argv, cwd=None):
    return subprocess.run([sys.executable, "-m", "skunlearn", *argv], capture_output=True,
                          text=True, cwd=cwd)


@pytest.fixture
def credit_csv(tmp_path):
    german = load_german_credit()
    frame = german.data.assign(sex=german.sensitive_features["sex"],
                               label=german.target.map({1: "good", 0: "bad"}))
    path = tmp_path / "credit.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_version():
    from skunlearn import __version__

    result = _run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"skunlearn {__version__}"


def test_audit_help_has_a_description():
    result = _run("audit", "--help")
    assert result.returncode == 0 and "Fit a LogisticRegression" in result.stdout


@pytest.mark.parametrize("case, message", [
    ("missing column", "--sensitive column 'race' is not in"),
    ("non-binary target", "--target must have two classes"),
    ("empty", "is empty"),
    ("one row", "complete rows; the audit needs more"),
    ("directory", "is a directory"),
    ("bad output", "not a file in an existing directory"),
])
def test_bad_csv_input_fails_on_one_line_of_its_own(tmp_path, credit_csv, case, message):
    path, frame = credit_csv
    argv = ["--data", str(path), "--target", "label", "--sensitive", "sex", "--output", "none"]
    if case == "missing column":
        argv[5] = "race"
    elif case == "non-binary target":
        frame.assign(label=np.arange(len(frame)) % 3).to_csv(path, index=False)
    elif case == "empty":
        path.write_text("")
    elif case == "one row":
        frame.head(1).to_csv(path, index=False)
    elif case == "directory":
        argv[1] = str(tmp_path)
    elif case == "bad output":
        argv[-1] = str(tmp_path / "no" / "such" / "plot.png")
    result = _run(*argv)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith("skunlearn: error:"), result.stderr
    assert message in errors[0]
    assert "Traceback" not in result.stderr
    if case == "missing column":
        assert "its columns are" in errors[0] and "label" in errors[0]


def test_rows_with_missing_values_are_counted_and_the_positive_label_printed(credit_csv):
    path, frame = credit_csv
    frame.loc[frame.index[:7], "sex"] = None
    frame.to_csv(path, index=False)
    result = _run("--data", str(path), "--target", "label", "--sensitive", "sex",
                  "--output", "none")
    assert result.returncode == 0, result.stderr
    assert f"Dropped 7 of {len(frame)} rows with missing values." in result.stderr
    assert "Positive label: label = 'good' (vs 'bad')." in result.stderr


def test_sensitive_column_is_dropped_unless_kept(credit_csv):
    path, frame = credit_csv
    args = ["--data", str(path), "--target", "label", "--sensitive", "sex", "--output", "none"]
    dropped = _run(*args)
    assert "The sensitive column 'sex' is not a model input" in dropped.stderr
    kept = _run(*args, "--keep-sensitive")
    assert kept.returncode == 0 and "not a model input" not in kept.stderr
    import re

    def n_features(stderr):
        return int(re.search(r"rows x (\d+) features", stderr).group(1))

    assert n_features(dropped.stderr) == n_features(kept.stderr) - 2  # sex's two levels


def test_numeric_sensitive_column_with_many_values_is_refused(credit_csv):
    path, frame = credit_csv
    frame.assign(score=np.arange(len(frame)) % 40).to_csv(path, index=False)
    result = _run("--data", str(path), "--target", "label", "--sensitive", "score",
                  "--output", "none")
    assert result.returncode == 1
    assert "numeric with 40 distinct values" in result.stderr and "pandas.cut" in result.stderr


def test_warnings_reach_the_user_once_each(credit_csv):
    path, _ = credit_csv
    result = _run("--data", str(path), "--target", "label", "--sensitive", "sex",
                  "--strength", "1", "--output", "none", "--quiet")
    lines = result.stdout.splitlines()
    # on this data hard deletion cannot land within 1% of a zero gap: it says so
    listed = [line for line in lines[lines.index("Warnings:") + 1:] if line.startswith("- ")]
    assert any(line.startswith("- hard deletion: The unlearning path stopped short")
               for line in listed)
    assert len(listed) == len(set(listed))
    assert "Warning:" not in result.stderr  # shown in the report, not as raw tracebacks


def _section(stdout, number):
    """The lines of the audit's numbered section ``number``."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{number}. "))
    end = next((i for i, line in enumerate(lines[start + 1:], start + 1)
                if line.startswith((f"{number + 1}. ", "Warnings:", "Picture "))), len(lines))
    return lines[start:end]


def test_objective_metric_comes_first_with_its_ratio(capsys):
    assert main(["--dataset", "german", "--objective", "equalized_odds", "--quiet",
                 "--output", "none"]) == 0
    out = capsys.readouterr().out
    header = _section(out, 2)[2].split()
    assert header[:7] == ["accuracy", "EO", "difference", "EO", "ratio", "DP", "difference"]
    assert "EO difference: fairlearn.metrics.equalized_odds_difference" in out
    assert "TPR" in "\n".join(_section(out, 1)) and "FPR" in "\n".join(_section(out, 1))


def test_audit_figures_are_fairlearns():
    import io

    from fairlearn.metrics import MetricFrame, demographic_parity_ratio, selection_rate
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    from skunlearn.cli import build_parser, run_audit
    from skunlearn.datasets import make_preprocessor

    args = build_parser().parse_args(["--dataset", "german", "--quiet", "--output", "none"])
    out = io.StringIO()
    table = run_audit(args, out=out)
    german = load_german_credit()
    X, y, A = german.data, german.target.to_numpy(), german.sensitive_features["sex"]
    Xtr, Xte, ytr, yte, Atr, Ate = train_test_split(X, y, A, test_size=0.3, random_state=0,
                                                    stratify=y)
    pre = make_preprocessor(X).fit(Xtr)
    y_pred = LogisticRegression(max_iter=1000).fit(pre.transform(Xtr), ytr).predict(
        pre.transform(Xte))
    assert table.loc["original", "accuracy"] == pytest.approx(np.mean(y_pred == yte))
    assert table.loc["original", "DP ratio"] == pytest.approx(
        demographic_parity_ratio(yte, y_pred, sensitive_features=Ate))
    assert table.loc["majority class", "accuracy"] == pytest.approx(max(yte.mean(),
                                                                        1 - yte.mean()))
    rates = MetricFrame(metrics=selection_rate, y_true=yte, y_pred=y_pred,
                        sensitive_features=Ate).by_group
    printed = _section(out.getvalue(), 1)
    for group, rate in rates.items():
        row = next(line for line in printed if line.startswith(group))
        assert row.split()[2] == f"{rate:.4f}"  # count, then the original's selection rate


def test_progress_seconds_are_the_tables(credit_csv):
    import re

    path, _ = credit_csv
    result = _run("--data", str(path), "--target", "label", "--sensitive", "sex",
                  "--output", "none")
    assert result.returncode == 0, result.stderr
    lines = _section(result.stdout, 2)
    for method in ("skunlearn default", "skunlearn soft", "hard deletion"):
        progress = re.search(rf"Unlearning: {method} \.\.\. done \(([\d.]+) s\)", result.stderr)
        row = next(line for line in lines if line.startswith(method))
        assert progress.group(1) in row.split()


def test_already_met_bound_changes_nothing_unless_asked(credit_csv):
    path, _ = credit_csv
    argv = ["--data", str(path), "--target", "label", "--sensitive", "sex", "--output",
            "none", "--quiet"]
    met = _run(*argv, "--bound", "0.5")
    assert met.returncode == 0, met.stderr
    assert "The original model already meets difference_bound 0.5" in met.stdout
    assert "nothing was changed" in met.stdout and "--strength" in met.stdout
    rows = [line.split()[0] for line in _section(met.stdout, 2)[3:] if line and
            not line.startswith(("DP ", "EO ", "seconds"))]
    assert rows == ["majority", "original"]
    asked = _run(*argv, "--strength", "1")
    assert "already meets" not in asked.stdout and "\nskunlearn default " in asked.stdout


def test_reproduce_lines_rebuild_the_recommended_model(tmp_path, credit_csv):
    path, _ = credit_csv
    result = _run("--data", str(path), "--target", "label", "--sensitive", "sex",
                  "--output", "none", "--quiet")
    assert result.returncode == 0, result.stderr
    code = "\n".join(_section(result.stdout, 4)[2:]).strip()
    script = tmp_path / "again.py"
    script.write_text(code + "\nprint(repr(float((y_pred == y_test).mean())))\n")
    again = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    row = next(line for line in _section(result.stdout, 2) if line.startswith("skunlearn default"))
    assert f"{float(again.stdout.strip().splitlines()[-1]):.4f}" == row.split()[2]


def test_compare_exponentiated_gradient_is_timed_in_the_same_run(capsys):
    assert main(["--dataset", "german", "--compare", "exponentiated-gradient", "--output",
                 "none"]) == 0
    out = capsys.readouterr()
    row = next(line for line in _section(out.out, 2) if line.startswith("ExponentiatedGradient"))
    assert "(0.02)" in row and float(row.split()[-2]) >= 0
    assert "Fitting ExponentiatedGradient (0.02) ... done" in out.err


class _Checker:
    """Balanced tags, and what a report must hold, from the standard library's parser."""

    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self, page):
        from html.parser import HTMLParser

        self.stack, self.tags, self.images, self.errors = [], [], [], []
        checker = self

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                checker.tags.append(tag)
                if tag == "img":
                    checker.images.append(dict(attrs))
                if tag not in checker.VOID:
                    checker.stack.append(tag)

            def handle_endtag(self, tag):
                if not checker.stack or checker.stack.pop() != tag:
                    checker.errors.append(tag)

        Parser().feed(page)


def test_report_is_one_valid_self_contained_html_page(tmp_path, credit_csv):
    import base64

    pytest.importorskip("matplotlib")
    path, _ = credit_csv
    report = tmp_path / "audit.html"
    result = _run("--data", str(path), "--target", "label", "--sensitive", "sex",
                  "--output", "none", "--report", str(report), "--quiet")
    assert result.returncode == 0, result.stderr
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    checked = _Checker(page)
    assert checked.errors == [] and checked.stack == []
    assert checked.tags.count("table") == 3 and checked.tags.count("html") == 1
    assert "selection rate" in page and "DP ratio" in page and "make_pipeline(" in page
    (image,) = checked.images
    prefix = "data:image/png;base64,"
    assert image["src"].startswith(prefix) and image["alt"]
    assert base64.b64decode(image["src"][len(prefix):])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "src=\"http" not in page and "<script" not in page  # nothing to fetch


def test_report_path_is_checked_before_the_work(tmp_path):
    result = _run("--dataset", "german", "--report", str(tmp_path / "no" / "r.html"))
    assert result.returncode == 1
    assert "--report" in result.stderr and "Fitting" not in result.stderr


@pytest.mark.slow
def test_default_adult_audit():
    """The README's main job: per-group table, the objective's metric, hard deletion above
    the majority class."""
    result = _run("--output", "none", "--quiet")
    assert result.returncode == 0, result.stderr
    groups = "\n".join(_section(result.stdout, 1))
    assert "Female" in groups and "Male" in groups and "selection rate" in groups
    rows = {line.split("  ")[0].strip(): line.split()[-6:] for line in _section(result.stdout, 2)
            if line.startswith(("majority class", "original", "hard deletion",
                                "skunlearn default"))}
    majority = float(rows["majority class"][0])
    assert float(rows["hard deletion"][0]) >= majority
    assert float(rows["skunlearn default"][1]) <= 0.02 + 0.01  # DP difference on test


def test_a_group_too_small_for_the_folds_is_named(credit_csv):
    from sklearn.model_selection import train_test_split

    path, frame = credit_csv
    y = (frame["label"] == "good").to_numpy()
    train, _ = train_test_split(np.arange(len(frame)), test_size=0.3, random_state=0,
                                stratify=y)  # the audit's split: it depends on y only
    frame.loc[frame.index[train[:1]], "sex"] = "other"  # one training row
    frame.to_csv(path, index=False)
    argv = ["--data", str(path), "--target", "label", "--sensitive", "sex", "--output", "none"]
    result = _run(*argv)
    assert result.returncode == 1
    assert "group 'other' has 1 training row(s)" in result.stderr
    assert "--strength S" in result.stderr
