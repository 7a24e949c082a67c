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
    for method in ("original", "hard unlearning", "soft unlearning", "soft (curvature)"):
        assert method in out.out
    assert "demographic_parity_diff" in out.out and "equalized_odds_diff" in out.out
    assert plot.stat().st_size > 10_000
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
    assert "objective equalized_odds, strength 0.5" in out.out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--strength", "2"], "--strength must be in (0, 1]"),
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
                  "--output", "none", "--quiet")
    lines = result.stdout.splitlines()
    # on this data hard deletion cannot land within 1% of a zero gap: it says so
    listed = [line for line in lines[lines.index("Warnings:") + 1:] if line.startswith("- ")]
    assert any(line.startswith("- hard unlearning: The unlearning path stopped short")
               for line in listed)
    assert len(listed) == len(set(listed))
    assert "Warning:" not in result.stderr  # shown in the report, not as raw tracebacks
