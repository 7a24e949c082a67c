"""The ``skunlearn audit`` command."""

import subprocess
import sys

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
