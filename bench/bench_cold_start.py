"""Cold start: import time of `function_app`, our own modules against third-party ones.

Run: .venv/bin/python bench/bench_cold_start.py [--runs 5]

Runs `python -X importtime -c "import function_app"` in fresh interpreters and sums the
self time of our modules (function_app, functions.*, shared.*) and of everything else.
Reports the median run. Target: our own modules <= 100 ms.

Self time under -X importtime charges a library's lazily loaded submodules (pydantic
loads most of itself on first attribute access) to whichever module touches them
first, often ours. So the script also measures it the other way, side by side: the
wall time of executing only the third-party import statements found in our modules,
then of `import function_app` on top of them, in the same fresh interpreter.
"""

from __future__ import annotations

import argparse
import ast
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


def third_party_imports() -> str:
    """Every module-level import of our modules that names a third-party package, as code.

    Imports inside functions are left out: `import function_app` does not run them either.
    """
    statements: set[str] = set()
    own_files = [
        REPO_ROOT / "function_app.py",
        *REPO_ROOT.glob("functions/*.py"),
        *REPO_ROOT.glob("shared/**/*.py"),
    ]
    stdlib = set(sys.stdlib_module_names)
    for path in own_files:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            top = names[0].split(".")[0]
            if top in OWN or top in stdlib or top == "__future__":
                continue
            statements.add(ast.unparse(node))
    return "\n".join(sorted(statements))


def staged_import_ms() -> tuple[float, float]:
    """In one fresh interpreter: wall ms to import the third-party dependencies, then the app on top."""
    env = {**os.environ, "AzureWebJobsStorage": "UseDevelopmentStorage=true"}
    code = (
        "import time\n_t0 = time.perf_counter()\n"
        f"{third_party_imports()}\n"
        "_t1 = time.perf_counter()\nimport function_app\n_t2 = time.perf_counter()\n"
        "print((_t1 - _t0) * 1000, (_t2 - _t1) * 1000)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True
    )
    dependencies, own = result.stdout.split()
    return float(dependencies), float(own)


def side_by_side(runs: int) -> tuple[float, float]:
    """Medians of the dependencies' import time and of our own code's import time on top of them."""
    measured = [staged_import_ms() for _ in range(runs)]
    return statistics.median(m[0] for m in measured), statistics.median(m[1] for m in measured)


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
    dependencies_ms, own_ms = side_by_side(arguments.runs * 2)
    print_table(
        f"Side by side in one interpreter, wall time (median of {arguments.runs * 2} fresh interpreters)",
        ["import", "ms"],
        [
            (
                "only the third-party dependencies (module-level imports of our code)",
                f"{dependencies_ms:.1f}",
            ),
            ("then function_app on top: our own code", f"{own_ms:.1f} (target <= 100)"),
        ],
    )


if __name__ == "__main__":
    main()
