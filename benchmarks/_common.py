"""Shared helpers of the benchmark scripts: timing, environment header, output."""

import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def environment():
    """Markdown lines naming the date, machine and library versions of this run."""
    import fairlearn
    import numpy
    import scipy
    import sklearn

    import skunlearn

    cpu = platform.processor() or platform.machine()
    return [
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu})",
        f"- python {platform.python_version()}, numpy {numpy.__version__}, scipy "
        f"{scipy.__version__}, scikit-learn {sklearn.__version__}, fairlearn "
        f"{fairlearn.__version__}, skunlearn {skunlearn.__version__}",
    ]


def timed(fn, repeat=3):
    """Median wall time of ``fn()`` over ``repeat`` runs, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2], result


def markdown_table(frame, floatfmt="{:.4f}"):
    """A pandas DataFrame as a GitHub markdown table (no extra dependency)."""
    def cell(v):
        if isinstance(v, float):
            return "–" if v != v else floatfmt.format(v)
        return str(v)

    header = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)


def write(name, title, lines):
    """Write ``results/<name>.md`` with a title, the environment and ``lines``."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.md"
    path.write_text("\n".join([f"# {title}", "", *environment(), "", *lines, ""]))
    print(path.read_text())
    return path
