"""Cold start: import time of `function_app`, our own modules against third-party ones.

Run: .venv/bin/python bench/bench_cold_start.py [--runs 5]

Runs `python -X importtime -c "import function_app"` in fresh interpreters and sums the
self time of our modules (function_app, functions.*, shared.*) and of everything else.
Reports the median run. Target: our own modules <= 100 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict

from common import REPO_ROOT, print_table

OWN = ("function_app", "functions", "shared")
LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def one_run() -> tuple[float, float, dict[str, float], dict[str, float]]:
    # The app reads its settings at import; the local default storage is enough (nothing connects).
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0", "AzureWebJobsStorage": "UseDevelopmentStorage=true"}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import function_app"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    own_self: dict[str, float] = {}
    top_level_cumulative: dict[str, float] = defaultdict(float)
    own = third = 0.0
    for line in result.stderr.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        self_us, cumulative_us, indent, module = int(match[1]), int(match[2]), match[3], match[4]
        if module.split(".")[0] in OWN:
            own += self_us
            own_self[module] = self_us / 1000
        else:
            third += self_us
            # Third-party cost by what our code imported directly (depth 1 under our modules is
            # hard to tell from the tree, so use top-level packages at any depth, self time).
            top_level_cumulative[module.split(".")[0]] += self_us / 1000
        del cumulative_us, indent
    return own / 1000, third / 1000, own_self, dict(top_level_cumulative)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    one_run()  # bytecode caches written, as on a deployed app
    runs = sorted((one_run() for _ in range(arguments.runs)), key=lambda run: run[0] + run[1])
    own, third, own_modules, packages = runs[len(runs) // 2]
    print_table(
        f"import function_app (median of {arguments.runs} runs)",
        ["modules", "self time ms"],
        [
            ("ours (function_app, functions.*, shared.*)", f"{own:.1f}"),
            ("third-party and stdlib", f"{third:.1f}"),
            ("total", f"{own + third:.1f}"),
        ],
    )
    print_table(
        "Our slowest modules (self ms)",
        ["module", "ms"],
        [(name, f"{ms:.1f}") for name, ms in sorted(own_modules.items(), key=lambda i: -i[1])[:8]],
    )
    print_table(
        "Heaviest packages (self ms, summed)",
        ["package", "ms"],
        [(name, f"{ms:.1f}") for name, ms in sorted(packages.items(), key=lambda i: -i[1])[:10]],
    )
    print(
        f"\nown modules: {own:.1f} ms (target <= 100); median of all runs: "
        f"{statistics.median(run[0] for run in runs):.1f} ms"
    )


if __name__ == "__main__":
    main()
