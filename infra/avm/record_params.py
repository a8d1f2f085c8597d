"""Record the parameters of every Azure Verified Module version that infra/ pins.

    python -m infra.avm.record_params --repo /path/to/bicep-registry-modules

`--repo` is a local clone (or bare mirror) of https://github.com/Azure/bicep-registry-modules
with its tags. For each `br/public:avm/<kind>/<path>:<version>` reference in infra/**/*.bicep
this reads `avm/<kind>/<path>/main.bicep` at the tag `avm/<kind>/<path>/<version>` (the tag the
registry publishes that version from) and writes its `param` declarations, each required or
optional, to infra/avm/module-params.json. That file is committed, so the check in
infra/avm/check_module_params.py runs offline. Run this again after changing a pinned version.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from infra.avm.bicep_scan import module_calls, param_declarations

INFRA_DIR = Path(__file__).resolve().parents[1]
RECORDING = Path(__file__).resolve().parent / "module-params.json"
REGISTRY_PREFIX = "br/public:"
SOURCE_REPOSITORY = "https://github.com/Azure/bicep-registry-modules"


def split_registry_reference(reference: str) -> tuple[str, str] | None:
    """'br/public:avm/res/web/site:0.15.1' -> ('avm/res/web/site', '0.15.1'); None for local paths."""
    if not reference.startswith(REGISTRY_PREFIX):
        return None
    module, _, version = reference[len(REGISTRY_PREFIX) :].rpartition(":")
    return module, version


def pinned_modules(infra_dir: Path) -> set[tuple[str, str]]:
    pinned: set[tuple[str, str]] = set()
    for path in sorted(infra_dir.rglob("*.bicep")):
        for call in module_calls(path.read_text(encoding="utf-8"), str(path)):
            registry = split_registry_reference(call.source)
            if registry is not None:
                pinned.add(registry)
    return pinned


def _git(repo: Path, *args: str) -> str:
    completed = subprocess.run(  # noqa: S603 - fixed git arguments, no shell
        ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH, as a developer runs it
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed in {repo}: {completed.stderr.strip()}")
    return completed.stdout


def record(repo: Path, modules: set[tuple[str, str]]) -> dict[str, dict[str, object]]:
    """{module: {version: {tag, commit, params: {name: {required}}}}} read at each version's tag."""
    recording: dict[str, dict[str, object]] = {}
    for module, version in sorted(modules):
        tag = f"{module}/{version}"
        commit = _git(repo, "rev-parse", f"{tag}^{{commit}}").strip()
        source = _git(repo, "show", f"{commit}:{module}/main.bicep")
        declarations = param_declarations(source, f"{tag}:{module}/main.bicep")
        recording.setdefault(module, {})[version] = {
            "tag": tag,
            "commit": commit,
            "params": {
                name: {"required": declaration.required} for name, declaration in sorted(declarations.items())
            },
        }
    return recording


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repo", type=Path, required=True, help="local clone of Azure/bicep-registry-modules"
    )
    parser.add_argument("--infra", type=Path, default=INFRA_DIR, help="folder of the Bicep files (infra/)")
    parser.add_argument("--out", type=Path, default=RECORDING, help="where to write the recording")
    args = parser.parse_args(argv)
    recording = record(args.repo, pinned_modules(args.infra))
    document = {
        "source": SOURCE_REPOSITORY,
        "note": "Written by infra/avm/record_params.py; do not edit by hand.",
        "modules": recording,
    }
    args.out.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    count = sum(len(versions) for versions in recording.values())
    print(f"recorded {count} module versions to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
