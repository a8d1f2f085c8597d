"""The offline stand-in for the Bicep compiler: module calls pass only parameters their module declares.

Registry modules are checked against infra/avm/module-params.json, recorded from
Azure/bicep-registry-modules at each pinned version's tag (infra/avm/record_params.py);
local modules against their own files. Plain Python, no Bicep CLI and no network.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.avm.bicep_scan import module_calls, param_declarations
from infra.avm.check_module_params import check
from infra.avm.record_params import RECORDING, pinned_modules, record

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"


@pytest.fixture
def infra_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "infra"
    shutil.copytree(INFRA_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_every_module_call_in_infra_passes_declared_parameters() -> None:
    assert check() == []


def test_the_checked_calls_are_the_ones_infra_makes() -> None:
    # Guards the scanner itself: had it found no calls or no params, the check above would pass vacuously.
    calls = {
        call.symbol: call
        for path in INFRA_DIR.rglob("*.bicep")
        for call in module_calls(path.read_text(encoding="utf-8"), str(path))
    }
    assert {"functionApp", "storage", "appServicePlan", "apiIdentity", "entra", "auth", "rbac", "api"} <= set(
        calls
    )
    assert calls["functionApp"].source == "br/public:avm/res/web/site:0.15.1"
    assert {"functionAppConfig", "serverFarmResourceId", "kind", "name"} <= set(
        calls["functionApp"].param_names
    )
    assert "defaultToOAuthAuthentication" in calls["storage"].param_names
    assert all(call.problem is None for call in calls.values())


def test_a_misspelled_registry_module_parameter_is_caught(infra_copy: Path) -> None:
    _edit(infra_copy / "app" / "api.bicep", "    functionAppConfig: {", "    functionAppConfg: {")
    problems = check(infra_copy)
    assert any(
        problem.startswith("app/api.bicep:") and "unknown parameter 'functionAppConfg'" in problem
        for problem in problems
    ), problems


def test_a_misspelled_local_module_parameter_is_caught(infra_copy: Path) -> None:
    _edit(
        infra_copy / "main.bicep",
        "    operatorPrincipalType: principalType",
        "    operatorPrincipalTyp: principalType",
    )
    problems = check(infra_copy)
    assert any(
        "module 'rbac'" in problem and "unknown parameter 'operatorPrincipalTyp'" in problem
        for problem in problems
    )


def test_a_missing_required_parameter_is_caught(infra_copy: Path) -> None:
    _edit(infra_copy / "app" / "api.bicep", "    serverFarmResourceId: appServicePlanId\n", "")
    problems = check(infra_copy)
    assert any("required parameter 'serverFarmResourceId' is not passed" in problem for problem in problems)


def test_a_version_without_a_recording_fails(infra_copy: Path) -> None:
    # The issue's own failure: site 0.9.0 has no functionAppConfig. Changing a pin without
    # re-recording is refused, whichever way the version moves.
    _edit(infra_copy / "app" / "api.bicep", "avm/res/web/site:0.15.1", "avm/res/web/site:0.9.0")
    problems = check(infra_copy)
    assert any("no recorded parameters for avm/res/web/site 0.9.0 (recorded: 0.15.1)" in p for p in problems)


def test_a_parameter_renamed_in_the_module_is_caught(infra_copy: Path, tmp_path: Path) -> None:
    # Had the recording of the pinned version declared another name, the call would fail.
    recording = json.loads(RECORDING.read_text(encoding="utf-8"))
    site_params = recording["modules"]["avm/res/web/site"]["0.15.1"]["params"]
    site_params["functionAppConfiguration"] = site_params.pop("functionAppConfig")
    renamed = tmp_path / "renamed.json"
    renamed.write_text(json.dumps(recording), encoding="utf-8")
    problems = check(INFRA_DIR, renamed)
    assert any("unknown parameter 'functionAppConfig'" in problem for problem in problems)


def test_a_params_object_that_cannot_be_read_fails(infra_copy: Path) -> None:
    _edit(
        infra_copy / "main.bicep",
        "  name: 'entra'\n  scope: rg\n  params: {",
        "  name: 'entra'\n  scope: rg\n  params: union({}, {",
    )
    _edit(
        infra_copy / "main.bicep",
        "    tenantId: tenant().tenantId\n  }\n}\n\nmodule auth",
        "    tenantId: tenant().tenantId\n  })\n}\n\nmodule auth",
    )
    problems = check(infra_copy)
    assert any("module 'entra'" in problem and "not an object literal" in problem for problem in problems)


def test_recording_holds_exactly_the_pinned_versions_with_their_source() -> None:
    document = json.loads(RECORDING.read_text(encoding="utf-8"))
    recorded = {(module, version) for module, versions in document["modules"].items() for version in versions}
    assert recorded == pinned_modules(INFRA_DIR)
    for module, versions in document["modules"].items():
        for version, data in versions.items():
            assert data["tag"] == f"{module}/{version}"
            assert len(data["commit"]) == 40
            assert data["params"]["name"] == {"required": True}


def test_pins_are_at_least_the_official_flex_consumption_quickstart() -> None:
    # Azure-Samples/functions-quickstart-python-http-azd pins site 0.15.1, the first versions
    # with functionAppConfig being 0.10.0.
    pinned = dict(pinned_modules(INFRA_DIR))
    site = tuple(int(part) for part in pinned["avm/res/web/site"].split("."))
    assert site >= (0, 15, 1)


def test_declarations_required_only_without_default_and_not_nullable() -> None:
    source = """
@description('Required. A name with a // in its text and a \\'quote\\'.')
param name string
param location string = resourceGroup().location
param tags object?
@allowed([
  'a'
  'b'
])
param choice string
param lock lockType
param roles roleType
param settings object = {
  nested: 'x = y'
}
@sys.description('Optional.')
param shape {
  size: int
}?
param typed {
  size: int
}
/* param commentedOut string */
type lockType = {
  kind: string
}?
type roleType = {
  id: string
}
var notAParam = 'param fake string'
"""
    declarations = param_declarations(source)
    assert {name: item.required for name, item in declarations.items()} == {
        "name": True,
        "location": False,
        "tags": False,
        "choice": True,
        "lock": False,
        "roles": True,
        "settings": False,
        "shape": False,
        "typed": True,
    }


def test_module_call_keys_ignore_nested_objects_ternaries_comments_and_strings() -> None:
    source = """
module site 'br/public:avm/res/web/site:1.2.3' = if (deploy) {
  name: 'site-${'x'}'
  params: {
    // params: { fake: 1 }
    kind: 'functionapp'
    siteConfig: {
      notAKey: 1
    }
    acls: enabled ? {
      defaultAction: 'Deny'
    } : {
      defaultAction: 'Allow'
    }
    'quoted': 'a: b'
    list: [
      { inner: 1 }
    ]
  }
}
module many 'app/x.bicep' = [for item in items: {
  name: item
  params: { one: 1, two: 2 }
}]
"""
    calls = {call.symbol: call for call in module_calls(source)}
    assert calls["site"].source == "br/public:avm/res/web/site:1.2.3"
    assert calls["site"].param_names == ["kind", "siteConfig", "acls", "quoted", "list"]
    assert calls["many"].param_names == ["one", "two"]


def test_recorder_reads_each_pinned_version_at_its_tag(tmp_path: Path) -> None:
    repo = tmp_path / "bicep-registry-modules"
    module_dir = repo / "avm" / "res" / "demo" / "thing"
    module_dir.mkdir(parents=True)

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "recorder@example.invalid")
    git("config", "user.name", "recorder")
    (module_dir / "main.bicep").write_text("param name string\nparam oldName string = ''\n", encoding="utf-8")
    git("add", ".")
    git("commit", "-q", "-m", "0.1.0")
    git("tag", "avm/res/demo/thing/0.1.0")
    (module_dir / "main.bicep").write_text("param name string\nparam newName string?\n", encoding="utf-8")
    git("commit", "-q", "-am", "0.2.0")
    git("tag", "avm/res/demo/thing/0.2.0")

    recording = record(repo, {("avm/res/demo/thing", "0.1.0"), ("avm/res/demo/thing", "0.2.0")})

    versions = recording["avm/res/demo/thing"]
    assert versions["0.1.0"]["params"] == {"name": {"required": True}, "oldName": {"required": False}}
    assert versions["0.2.0"]["params"] == {"name": {"required": True}, "newName": {"required": False}}
    assert versions["0.1.0"]["tag"] == "avm/res/demo/thing/0.1.0"


def test_checker_runs_as_a_command() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "infra.avm.check_module_params"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
