"""Static checks of infra/: every Bicep file parses, checkov passes, and the Bicep agrees with the code.

pycep-parser and checkov live in their own venv (requirements-infra.txt; `INFRA_VENV`, default
`.venv-infra`) because checkov's dependencies must not mix with the runtime packages. Both run
as subprocesses of that venv; nothing here needs Azure or the network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.storage_clients import TABLES
from shared.config import DEFAULT_SCHEDULES, SETTING_NAMES
from shared.domain.queues import QUEUES, poison_queue_name

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
    # The Python worker's thread pool (docs/DEPLOY.md, "Settings chosen for Azure").
    "PYTHON_THREADPOOL_THREAD_COUNT",
}

ANONYMOUS_ROUTES = {
    "/api/health",
    "/api/openapi.json",
    "/api/marketplace/leads",
    "/api/partner-center/events",
}

# pycep-parser (and so checkov) predates Bicep's `extension` statement, which app/entra.bicep
# needs for the Microsoft Graph types; the statement is blanked (line numbers kept) before
# parsing. Everything else of the file is parsed as written.
_EXTENSION_STATEMENT = re.compile(r"(?m)^extension [A-Za-z_][A-Za-z0-9_]*[ \t]*$")

# Runs inside the infra venv: parse every .bicep file and print {relative path: tree or error}.
_PARSE_SCRIPT = """
import json, re, sys
from pathlib import Path
from pycep import BicepParser

root = Path(sys.argv[1])
extension = re.compile(sys.argv[2])
result = {}
for path in sorted(root.rglob("*.bicep")):
    key = path.relative_to(root).as_posix()
    try:
        text = extension.sub("", path.read_text(encoding="utf-8"))
        result[key] = {"tree": BicepParser().parse(text=text)}
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
        [str(_infra_tool("python")), "-c", _PARSE_SCRIPT, str(INFRA_DIR), _EXTENSION_STATEMENT.pattern],
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


def _expr(node: Any) -> Any:
    """A pycep expression as Bicep text (`a.b.c`, `f(x)`), so tests can compare it plainly."""
    if isinstance(node, dict) and "operator" in node and node["operator"]["type"] == "property_accessor":
        operands = node["operator"]["operands"]
        return f"{_expr(operands['operand_1'])}.{_expr(operands['operand_2'])}"
    if isinstance(node, dict) and "function" in node:
        function = node["function"]
        arguments = ", ".join(str(_expr(value)) for value in function["parameters"].values())
        return f"{function['type']}({arguments})"
    if isinstance(node, list):
        return [_expr(item) for item in node]
    return node


def _bicep_app_settings(parsed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return _tree(parsed, "app/api.bicep")["variables"]["appSettings"]["value"]


def test_every_bicep_file_parses(parsed: dict[str, dict[str, Any]]) -> None:
    assert {
        "main.bicep",
        "app/api.bicep",
        "app/auth.bicep",
        "app/rbac.bicep",
        "app/email.bicep",
        "app/entra.bicep",
    } <= set(parsed)
    failures = {name: entry["error"] for name, entry in parsed.items() if "error" in entry}
    assert failures == {}


def test_checkov_passes(tmp_path: Path) -> None:
    # On a copy with the `extension` statement blanked, so checkov's parser reads app/entra.bicep.
    copy = tmp_path / "infra"
    shutil.copytree(INFRA_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.py", "*.json"))
    for path in copy.rglob("*.bicep"):
        path.write_text(_EXTENSION_STATEMENT.sub("", path.read_text(encoding="utf-8")), encoding="utf-8")
    completed = subprocess.run(
        # --skip-download: no call to the vendor's API; the checks themselves ship with checkov.
        [
            str(_infra_tool("checkov")),
            *("--framework", "bicep", "-d", str(copy)),
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


def test_easy_auth_lets_the_app_answer_signed_out_callers(parsed: dict[str, dict[str, Any]]) -> None:
    # The contract's 401 carries the error envelope and a signed-out browser is sent to sign in
    # by the app and portal; a platform 401 (no body) or a platform redirect (which breaks the
    # portal's fetch calls) would contradict it. Easy Auth still signs users in and injects the
    # principal header, which the code trusts because Easy Auth is on (WEBSITE_AUTH_ENABLED).
    auth = _tree(parsed, "app/auth.bicep")
    properties = auth["resources"]["authSettings"]["config"]["properties"]
    validation = properties["globalValidation"]
    assert validation["requireAuthentication"] is False
    assert validation["unauthenticatedClientAction"] == "AllowAnonymous"
    assert "excludedPaths" not in validation
    assert properties["platform"]["enabled"] is True
    assert properties["login"]["preserveUrlFragmentsForLogins"] is True
    paths = auth["variables"]["anonymousPaths"]["value"]
    assert len(paths) == len(set(paths))
    assert set(paths) == ANONYMOUS_ROUTES


def test_easy_auth_uses_entra_id_without_a_client_secret(parsed: dict[str, dict[str, Any]]) -> None:
    auth = _tree(parsed, "app/auth.bicep")["resources"]["authSettings"]["config"]
    registration = auth["properties"]["identityProviders"]["azureActiveDirectory"]["registration"]
    assert auth["name"] == "authsettingsV2"
    assert registration["clientSecretSettingName"] == "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID"
    assert "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID" in _bicep_app_settings(parsed)
    # The client id is the registration app/entra.bicep creates, not a value typed in by hand.
    main = _tree(parsed, "main.bicep")
    assert _expr(main["modules"]["auth"]["config"]["params"]["clientId"]) == "entra.outputs.clientId"
    assert "authClientId" not in main["parameters"]


def test_sign_in_asks_for_no_refresh_token(parsed: dict[str, dict[str, Any]]) -> None:
    provider = _tree(parsed, "app/auth.bicep")["resources"]["authSettings"]["config"]["properties"][
        "identityProviders"
    ]["azureActiveDirectory"]
    assert provider["login"]["loginParameters"] == ["scope=openid profile email"]
    assert "offline_access" not in (INFRA_DIR / "app" / "auth.bicep").read_text(encoding="utf-8").replace(
        "(no offline_access)", ""
    )


def test_storage_account_accepts_identities_only(parsed: dict[str, dict[str, Any]]) -> None:
    params = _tree(parsed, "main.bicep")["modules"]["storage"]["config"]["params"]
    assert params["allowSharedKeyAccess"] is False
    assert params["defaultToOAuthAuthentication"] is True
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
        "PARTNER_CENTER_SYNC_SCHEDULE": parameters["partnerCenterSyncSchedule"]["default"],
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
        "triggers": {"http": {"perInstanceConcurrency": "httpPerInstanceConcurrency"}},
    }


def test_concurrency_and_threads_are_chosen_together(parsed: dict[str, dict[str, Any]]) -> None:
    # Every function is synchronous: an instance runs at most PYTHON_THREADPOOL_THREAD_COUNT
    # invocations at once. The pool must hold the HTTP concurrency Flex sends to one instance
    # and a queue function's batchSize + newBatchThreshold (each queue function scales alone).
    api = _tree(parsed, "app/api.bicep")
    parameters = api["parameters"]
    http_concurrency = parameters["httpPerInstanceConcurrency"]["default"]
    threads = parameters["pythonThreadCount"]["default"]
    queues = json.loads((REPO_ROOT / "host.json").read_text(encoding="utf-8"))["extensions"]["queues"]
    assert http_concurrency > 1  # several portal calls of one page share an instance
    assert threads >= http_concurrency
    assert threads >= queues["batchSize"] + queues["newBatchThreshold"]
    assert _expr(_bicep_app_settings(parsed)["PYTHON_THREADPOOL_THREAD_COUNT"]) == "string(pythonThreadCount)"
    assert _tree(parsed, "main.bicep")["parameters"]["instanceMemoryMB"]["default"] == 2048


def _timespan_seconds(value: str) -> float:
    hours, minutes, seconds = value.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_queue_retries_ride_out_a_short_outage() -> None:
    # A failed message is retried maxDequeueCount - 1 times, each after visibilityTimeout: the
    # last retry comes at least 4 x 60 s = 4 minutes after the first failure (it was 4 x 5 s).
    queues = json.loads((REPO_ROOT / "host.json").read_text(encoding="utf-8"))["extensions"]["queues"]
    visibility = _timespan_seconds(queues["visibilityTimeout"])
    assert queues["maxDequeueCount"] == 5
    assert (queues["maxDequeueCount"] - 1) * visibility >= 4 * 60


BUILT_IN_ROLES = {
    "storageBlobDataOwner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "storageQueueDataContributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "storageTableDataContributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "storageQueueDataReader": "19e7f393-937e-4f77-808e-94535e297925",
    "storageQueueDataMessageSender": "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    "storageTableDataReader": "76199698-9eea-4c19-bc75-cec21354c6b6",
    "monitoringMetricsPublisher": "3913510d-42f4-4e42-8a64-420c390055eb",
    # The built-in role ACS documents for sending email with a Microsoft Entra identity.
    "communicationAndEmailServiceOwner": "09976791-48a7-449e-bb21-39d1a415f350",
    # Read secrets (the app: the Partner Center refresh token) / set them (the operator).
    "keyVaultSecretsUser": "4633458b-17de-408a-b874-0445c86b69e6",
    "keyVaultSecretsOfficer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
}


def test_identity_gets_the_data_roles_it_needs(parsed: dict[str, dict[str, Any]]) -> None:
    rbac = _tree(parsed, "app/rbac.bicep")
    assert rbac["variables"]["roles"]["value"] == BUILT_IN_ROLES
    assert _expr(rbac["variables"]["appStorageRoles"]["value"]) == [
        "roles.storageBlobDataOwner",
        "roles.storageQueueDataContributor",
        "roles.storageTableDataContributor",
    ]
    acs = rbac["resources"]["acsRoleAssignment"]["config"]
    assert acs["scope"] == "communicationService"
    assert "communicationAndEmailServiceOwner" in json.dumps(acs["properties"]["roleDefinitionId"])
    vault = rbac["resources"]["keyVaultSecretsUserAssignment"]["config"]
    assert vault["scope"] == "keyVault"
    assert "keyVaultSecretsUser" in json.dumps(vault["properties"]["roleDefinitionId"])
    assert "managedIdentityPrincipalId" in json.dumps(vault["properties"]["principalId"])


def test_the_partner_center_refresh_token_is_a_key_vault_reference(parsed: dict[str, dict[str, Any]]) -> None:
    # The token is never a literal app setting: the platform resolves the reference with the
    # app's identity, which the vault (RBAC, no access policies) lets read secrets.
    settings = _bicep_app_settings(parsed)
    reference = json.dumps(settings["PARTNER_CENTER_REFRESH_TOKEN"])
    assert reference.startswith('"@Microsoft.KeyVault(SecretUri=${partnerCenterRefreshTokenSecretUri})')
    api = _tree(parsed, "app/api.bicep")
    assert (
        api["modules"]["functionApp"]["config"]["params"]["keyVaultAccessIdentityResourceId"] == "identityId"
    )
    vault = _tree(parsed, "main.bicep")["modules"]["keyVault"]["config"]["params"]
    assert vault["enableRbacAuthorization"] is True
    assert "accessPolicies" not in vault


def test_no_custom_role_is_defined() -> None:
    # A custom role's name must be unique in the tenant: a second deployment would collide.
    for path in INFRA_DIR.rglob("*.bicep"):
        assert "Microsoft.Authorization/roleDefinitions@" not in path.read_text(encoding="utf-8"), path.name


def test_the_operator_gets_read_and_requeue_rights_only(parsed: dict[str, dict[str, Any]]) -> None:
    rbac = _tree(parsed, "app/rbac.bicep")
    assert _expr(rbac["variables"]["operatorStorageRoles"]["value"]) == [
        "roles.storageQueueDataReader",
        "roles.storageQueueDataMessageSender",
        "roles.storageTableDataReader",
    ]
    assignment = rbac["resources"]["operatorStorageRoleAssignments"]["config"]["config"]
    # The principal type is the one azd reports, not fixed to User (a pipeline is a ServicePrincipal).
    assert assignment["properties"]["principalType"] == "operatorPrincipalType"
    main = _tree(parsed, "main.bicep")
    assert main["modules"]["rbac"]["config"]["params"]["operatorPrincipalType"] == "principalType"
    azd_parameters = json.loads((INFRA_DIR / "main.parameters.json").read_text(encoding="utf-8"))[
        "parameters"
    ]
    assert azd_parameters["principalType"]["value"] == "${AZURE_PRINCIPAL_TYPE=User}"
    assert azd_parameters["principalId"]["value"] == "${AZURE_PRINCIPAL_ID=}"


def test_no_host_name_is_hard_coded() -> None:
    # Host names come from the site's outputs (defaultHostname): regional host names and other
    # clouds do not end in azurewebsites.net.
    for path in INFRA_DIR.rglob("*.bicep"):
        assert "azurewebsites.net" not in path.read_text(encoding="utf-8"), path.name


def test_outputs_name_the_urls_operators_need(parsed: dict[str, dict[str, Any]]) -> None:
    main = _tree(parsed, "main.bicep")
    outputs = main["outputs"]
    assert {"API_URL", "MARKETPLACE_INTAKE_URL", "PORTAL_URL", "AUTH_REDIRECT_URI", "AUTH_CLIENT_ID"} <= set(
        outputs
    )
    assert outputs["MARKETPLACE_INTAKE_URL"]["value"] == "${apiBaseUrl}/marketplace/leads"
    assert main["variables"]["appOrigin"]["value"] == "https://${api.outputs.defaultHostname}"
    assert outputs["AUTH_REDIRECT_URI"]["value"] == "${appOrigin}/.auth/login/aad/callback"
    assert (
        main["modules"]["entra"]["config"]["params"]["redirectUri"] == "${appOrigin}/.auth/login/aad/callback"
    )


def test_the_app_registration_is_declared_with_the_graph_extension(parsed: dict[str, dict[str, Any]]) -> None:
    source = (INFRA_DIR / "app" / "entra.bicep").read_text(encoding="utf-8")
    assert re.search(r"(?m)^extension microsoftGraphV1$", source)
    config = json.loads((INFRA_DIR / "bicepconfig.json").read_text(encoding="utf-8"))
    assert config["extensions"]["microsoftGraphV1"].startswith(
        "br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:"
    )
    entra = _tree(parsed, "app/entra.bicep")
    resources = entra["resources"]
    assert resources["application"]["type"] == "Microsoft.Graph/applications"
    assert resources["servicePrincipal"]["config"]["appRoleAssignmentRequired"] is True
    app = resources["application"]["config"]
    assert app["web"]["redirectUris"] == ["redirectUri"]
    assert app["web"]["implicitGrantSettings"]["enableIdTokenIssuance"] is True
    assert app["api"]["acceptMappedClaims"] is True  # the partner_id claims mapping policy needs it
    roles = entra["variables"]["appRoles"]["value"]
    assert [role["value"] for role in roles] == ["ReferralsAdmin", "BusinessProfileAdmin"]
    assert app["appRoles"]["loop_type"]["detail"]["array_name"] == "appRoles"


def test_sign_in_uses_a_federated_credential_of_the_managed_identity(
    parsed: dict[str, dict[str, Any]],
) -> None:
    entra = _tree(parsed, "app/entra.bicep")
    credential = entra["resources"]["application__managedIdentityCredential"]["config"]
    assert credential["audiences"] == ["api://AzureADTokenExchange"]
    assert credential["subject"] == "managedIdentityPrincipalId"
    main = _tree(parsed, "main.bicep")
    assert _expr(main["modules"]["entra"]["config"]["params"]["managedIdentityPrincipalId"]) == (
        "apiIdentity.outputs.principalId"
    )
    # No secret of any kind on the registration.
    assert "passwordCredentials" not in json.dumps(entra["resources"])
    consent = entra["resources"]["signInConsent"]["config"]
    assert consent["consentType"] == "AllPrincipals"
    assert consent["scope"] == "openid profile email"
