"""Stand-in for the Bicep compiler's parameter check of module calls, offline.

    python -m infra.avm.check_module_params [infra-folder]

Every `module` call in infra/**/*.bicep must pass only parameters its target declares, and
every parameter the target requires. A registry module (`br/public:avm/...:<version>`) is
checked against the declarations recorded for exactly that version in module-params.json
(infra/avm/record_params.py); a version without a recording is an error, so changing a pin
without re-recording fails. A local module (`app/api.bicep`) is checked against its own file.
Exit code 1 and one line per problem when anything is wrong.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from infra.avm.bicep_scan import ModuleCall, module_calls, param_declarations
from infra.avm.record_params import INFRA_DIR, RECORDING, split_registry_reference

Declared = dict[str, bool]  # parameter name -> required


def load_recording(path: Path = RECORDING) -> dict[str, dict[str, Declared]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return {
        module: {
            version: {name: entry["required"] for name, entry in data["params"].items()}
            for version, data in versions.items()
        }
        for module, versions in document["modules"].items()
    }


def _declared_by(
    call: ModuleCall, caller: Path, recording: dict[str, dict[str, Declared]]
) -> tuple[Declared | None, str]:
    registry = split_registry_reference(call.source)
    if registry is not None:
        module, version = registry
        versions = recording.get(module, {})
        if version not in versions:
            recorded = ", ".join(sorted(versions)) or "none"
            return None, (
                f"no recorded parameters for {module} {version} (recorded: {recorded}); "
                "run python -m infra.avm.record_params --repo <bicep-registry-modules clone>"
            )
        return versions[version], ""
    if call.source.startswith("br:") or call.source.startswith("ts:") or ":" in call.source:
        return None, f"unsupported module reference {call.source!r}: only br/public:avm/... and local files"
    target = (caller.parent / call.source).resolve()
    if not target.is_file():
        return None, f"local module {call.source} does not exist"
    declarations = param_declarations(target.read_text(encoding="utf-8"), str(target))
    return {name: declaration.required for name, declaration in declarations.items()}, ""


def check(infra_dir: Path = INFRA_DIR, recording_path: Path = RECORDING) -> list[str]:
    """One message per problem, as `file:line: module 'symbol': ...`; empty when all calls are right."""
    recording = load_recording(recording_path)
    problems: list[str] = []
    for path in sorted(infra_dir.rglob("*.bicep")):
        where = path.relative_to(infra_dir).as_posix()
        for call in module_calls(path.read_text(encoding="utf-8"), str(path)):
            prefix = f"{where}:{call.line}: module '{call.symbol}' ({call.source})"
            declared, error = _declared_by(call, path, recording)
            if declared is None:
                problems.append(f"{prefix}: {error}")
                continue
            if call.problem:
                problems.append(f"{prefix}: {call.problem}")
                continue
            for name in call.param_names:
                if name not in declared:
                    problems.append(
                        f"{where}:{call.param_lines[name]}: module '{call.symbol}' ({call.source}): "
                        f"unknown parameter '{name}'"
                    )
            missing = sorted(
                name for name, required in declared.items() if required and name not in call.param_names
            )
            problems.extend(f"{prefix}: required parameter '{name}' is not passed" for name in missing)
            duplicates = sorted({name for name in call.param_names if call.param_names.count(name) > 1})
            problems.extend(f"{prefix}: parameter '{name}' is passed twice" for name in duplicates)
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    infra_dir = Path(args[0]) if args else INFRA_DIR
    problems = check(infra_dir)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"every module call in {infra_dir} passes parameters its module declares", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
