"""Static checks of infra/: every Bicep file parses, checkov passes, and the Bicep agrees with the code.

pycep-parser and checkov live in their own venv (requirements-infra.txt; `INFRA_VENV`, default
`.venv-infra`) because checkov's dependencies must not mix with the runtime packages. Both run
as subprocesses of that venv; nothing here needs Azure or the network.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.storage_clients import QUEUES, TABLES, poison_queue_name
from shared.config import DEFAULT_SCHEDULES, SETTING_NAMES

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"

# Settings of SETTING_NAMES that are deliberately NOT set in Azure.
NOT_SET_IN_AZURE = {
    # The connection-string form of storage: Azure uses the identity-based
    # AzureWebJobsStorage__* settings, and the account has shared keys disabled.
    "AzureWebJobsStorage",
    # Production sends email with the managed identity; a key must never be configured.
    "ACS_ACCESS_KEY",
    # Only used when ACS is not configured (local development writes .eml files).
    "OUTBOX_DIR",
    # Unset means the platform's resolver, which is what Azure should use.
    "EMAIL_DNS_SERVERS",
}

# Settings the platform reads, not the code: allowed in Bicep without being in SETTING_NAMES.
HOST_SETTING_PREFIXES = ("APPLICATIONINSIGHTS_", "FUNCTIONS_", "WEBSITE_")
HOST_SETTINGS = {
    # App Service Authentication: the managed identity is the app registration's credential.
    "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID",
}

ANONYMOUS_ROUTES = {"/api/health", "/api/openapi.json", "/api/marketplace/leads"}

# Runs inside the infra venv: parse every .bicep file and print {relative path: tree or error}.
_PARSE_SCRIPT = """
import json, sys
from pathlib import Path
from pycep import BicepParser

root = Path(sys.argv[1])
result = {}
for path in sorted(root.rglob("*.bicep")):
    key = path.relative_to(root).as_posix()
    try:
        result[key] = {"tree": BicepParser().parse(file_path=path)}
    except Exception as error:
        result[key] = {"error": f"{type(error).__name__}: {error}"}
print(json.dumps(result, default=str))
"""


def _infra_venv() -> Path:
    venv = Path(os.environ.get("INFRA_VENV", ".venv-infra"))
    if not venv.is_absolute():
        venv = REPO_ROOT / venv
    return venv


def _infra_tool(name: str) -> Path:
    tool = _infra_venv() / "bin" / name
    if not tool.exists():
        pytest.fail(
            f"{tool} is missing: the infra checks need their own venv. Create it with\n"
            f"  python3.11 -m venv {_infra_venv()} && "
            f"{_infra_venv()}/bin/pip install -r requirements-infra.txt\n"
            "or point INFRA_VENV at an existing one."
        )
    return tool


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict[str, Any]]:
    completed = subprocess.run(
        [str(_infra_tool("python")), "-c", _PARSE_SCRIPT, str(INFRA_DIR)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def _tree(parsed: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    entry = parsed[name]
    assert "tree" in entry, f"{name} does not parse: {entry.get('error')}"
    return entry["tree"]


def _bicep_app_settings(parsed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return _tree(parsed, "app/api.bicep")["variables"]["appSettings"]["value"]


def test_every_bicep_file_parses(parsed: dict[str, dict[str, Any]]) -> None:
    assert {"main.bicep", "app/api.bicep", "app/auth.bicep", "app/rbac.bicep", "app/email.bicep"} <= set(
        parsed
    )
    failures = {name: entry["error"] for name, entry in parsed.items() if "error" in entry}
    assert failures == {}


def test_checkov_passes() -> None:
    completed = subprocess.run(
        # --skip-download: no call to the vendor's API; the checks themselves ship with checkov.
        [
            str(_infra_tool("checkov")),
            *("--framework", "bicep", "-d", str(INFRA_DIR)),
            *("--compact", "--quiet", "--skip-download"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=REPO_ROOT,
    )
    report = completed.stdout + completed.stderr
    assert completed.returncode == 0, report
    assert "Failed checks: 0" in report, report
    assert "Parsing errors:" not in report or "Parsing errors: 0" in report, report


def test_every_checkov_skip_says_why() -> None:
    skips = [
        (path.name, line.strip())
        for path in INFRA_DIR.rglob("*.bicep")
        for line in path.read_text(encoding="utf-8").splitlines()
        if "checkov:skip=" in line
    ]
    assert skips, "expected the justified skips of app/auth.bicep"
    unjustified = [skip for skip in skips if not re.search(r"checkov:skip=CKV\w*_\d+:\s*\S.{10,}", skip[1])]
    assert unjustified == []


def test_app_settings_cover_every_setting_the_code_reads_in_azure(parsed: dict[str, dict[str, Any]]) -> None:
    expected = set(SETTING_NAMES) - NOT_SET_IN_AZURE
    missing = expected - set(_bicep_app_settings(parsed))
    assert missing == set()


def test_app_settings_set_nothing_the_code_does_not_read(parsed: dict[str, dict[str, Any]]) -> None:
    unknown = {
        name
        for name in _bicep_app_settings(parsed)
        if name not in SETTING_NAMES
        and name not in HOST_SETTINGS
        and not name.startswith(HOST_SETTING_PREFIXES)
    }
    assert unknown == set()


def test_no_key_or_connection_string_is_set(parsed: dict[str, dict[str, Any]]) -> None:
    settings = _bicep_app_settings(parsed)
    assert not ({"AzureWebJobsStorage", "ACS_ACCESS_KEY"} & set(settings))
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"].endswith("Authorization=AAD")


def test_exclusions_name_real_settings() -> None:
    # An exclusion of a setting the code no longer reads would hide nothing and mislead.
    assert set(SETTING_NAMES) >= NOT_SET_IN_AZURE


def test_easy_auth_excludes_exactly_the_anonymous_routes(parsed: dict[str, dict[str, Any]]) -> None:
    auth = _tree(parsed, "app/auth.bicep")
    validation = auth["resources"]["authSettings"]["config"]["properties"]["globalValidation"]
    assert validation["excludedPaths"] == "anonymousPaths"
    paths = auth["variables"]["anonymousPaths"]["value"]
    assert len(paths) == len(set(paths))
    assert set(paths) == ANONYMOUS_ROUTES
    assert validation["requireAuthentication"] is True
    assert validation["unauthenticatedClientAction"] == "Return401"


def test_easy_auth_uses_entra_id_without_a_client_secret(parsed: dict[str, dict[str, Any]]) -> None:
    auth = _tree(parsed, "app/auth.bicep")["resources"]["authSettings"]["config"]
    registration = auth["properties"]["identityProviders"]["azureActiveDirectory"]["registration"]
    assert auth["name"] == "authsettingsV2"
    assert registration["clientSecretSettingName"] == "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID"
    assert "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID" in _bicep_app_settings(parsed)


def test_storage_account_accepts_identities_only(parsed: dict[str, dict[str, Any]]) -> None:
    params = _tree(parsed, "main.bicep")["modules"]["storage"]["config"]["params"]
    assert params["allowSharedKeyAccess"] is False
    assert params["allowBlobPublicAccess"] is False
    assert params["minimumTlsVersion"] == "TLS1_2"


def test_tables_and_queues_with_poison_twins_are_created(parsed: dict[str, dict[str, Any]]) -> None:
    main = _tree(parsed, "main.bicep")
    variables = main["variables"]
    assert set(variables["leadTables"]["value"]) == set(TABLES)
    assert set(variables["leadQueueNames"]["value"]) == set(QUEUES)
    assert poison_queue_name("queue") == "queue-poison"
    assert variables["poisonQueues"]["value"]["config"]["name"] == "${queue}-poison"
    assert variables["poisonQueues"]["value"]["loop_type"]["detail"]["array_name"] == "leadQueueNames"
    storage = main["modules"]["storage"]["config"]["params"]
    assert storage["queueServices"]["queues"]["function"]["parameters"] == {
        "arg_1": "leadQueues",
        "arg_2": "poisonQueues",
    }
    assert storage["tableServices"]["tables"]["loop_type"]["detail"]["array_name"] == "leadTables"


def test_schedule_parameters_default_to_the_code_defaults(parsed: dict[str, dict[str, Any]]) -> None:
    parameters = _tree(parsed, "main.bicep")["parameters"]
    bicep_defaults = {
        "EXPIRE_LEADS_SCHEDULE": parameters["expireLeadsSchedule"]["default"],
        "FLAG_OVERDUE_SCHEDULE": parameters["flagOverdueSchedule"]["default"],
        "DAILY_DIGEST_SCHEDULE": parameters["dailyDigestSchedule"]["default"],
        "DISPATCH_EVENTS_SCHEDULE": parameters["dispatchEventsSchedule"]["default"],
    }
    assert bicep_defaults == DEFAULT_SCHEDULES
    azd_defaults = json.loads((INFRA_DIR / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    for name, schedule in DEFAULT_SCHEDULES.items():
        assert any(entry["value"] == f"${{{name}={schedule}}}" for entry in azd_defaults.values()), name


def test_function_app_runs_python_311_on_flex_consumption(parsed: dict[str, dict[str, Any]]) -> None:
    main = _tree(parsed, "main.bicep")
    assert main["modules"]["appServicePlan"]["config"]["params"]["sku"] == {
        "name": "FC1",
        "tier": "FlexConsumption",
    }
    config = _tree(parsed, "app/api.bicep")["modules"]["functionApp"]["config"]["params"]["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    assert config["deployment"]["storage"]["authentication"]["type"] == "UserAssignedIdentity"
    assert config["scaleAndConcurrency"] == {
        "instanceMemoryMB": "instanceMemoryMB",
        "maximumInstanceCount": "maximumInstanceCount",
    }


def test_identity_gets_the_data_roles_it_needs(parsed: dict[str, dict[str, Any]]) -> None:
    rbac = _tree(parsed, "app/rbac.bicep")
    roles = rbac["variables"]["roles"]["value"]
    assert roles == {
        "storageBlobDataOwner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        "storageQueueDataContributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
        "storageTableDataContributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
        "monitoringMetricsPublisher": "3913510d-42f4-4e42-8a64-420c390055eb",
    }
    permissions = rbac["resources"]["acsEmailSenderRole"]["config"]["properties"]["permissions"]
    assert permissions[0]["actions"] == [
        "Microsoft.Communication/CommunicationServices/Read",
        "Microsoft.Communication/CommunicationServices/Write",
        "Microsoft.Communication/EmailServices/write",
    ]


def test_outputs_name_the_urls_operators_need(parsed: dict[str, dict[str, Any]]) -> None:
    outputs = _tree(parsed, "main.bicep")["outputs"]
    assert {"API_URL", "MARKETPLACE_INTAKE_URL", "PORTAL_URL", "AUTH_REDIRECT_URI"} <= set(outputs)
    assert outputs["MARKETPLACE_INTAKE_URL"]["value"] == "${apiBaseUrl}/marketplace/leads"
