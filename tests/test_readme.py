"""The README's two set-up commands stay true: CI runs the test command verbatim."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks(text):
    blocks, inside = [], None
    for line in text.splitlines():
        if line.startswith("```bash"):
            inside = []
        elif line.startswith("```") and inside is not None:
            blocks.append("\n".join(inside))
            inside = None
        elif inside is not None:
            inside.append(line)
    return blocks


def test_readme_starts_with_the_audit_and_test_commands():
    audit, tests = _bash_blocks((ROOT / "README.md").read_text())[:2]
    assert "skunlearn audit" in audit and "pip install" in audit
    assert "pytest" in tests and ".[test]" in tests
    assert tests in (ROOT / ".ci" / "run").read_text().splitlines()


def test_console_script_is_declared():
    assert 'skunlearn = "skunlearn.cli:main"' in (ROOT / "pyproject.toml").read_text()


def test_readme_usage_example_runs():
    text = (ROOT / "README.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["audit"].difference() < 0.03  # the bound 0.02 (+0.01) on the test rows
    frontier = namespace["model"][-1].frontier_
    assert frontier["meets_bound"].any()
