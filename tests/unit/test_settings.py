"""Settings resolution (shared/config.py): local connection string vs Azure's identity-based settings."""

from __future__ import annotations

import pytest
from azure.data.tables import TableServiceClient
from azure.identity import ManagedIdentityCredential
from azure.storage.queue import QueueClient

from shared.adapters.storage_clients import StorageClients
from shared.config import (
    DEFAULT_SCHEDULES,
    SETTING_NAMES,
    ConfigurationError,
    load_settings,
)

AZURITE = "UseDevelopmentStorage=true"
TABLE_URI = "https://stleads.table.core.windows.net"
QUEUE_URI = "https://stleads.queue.core.windows.net"
CLIENT_ID = "00000000-0000-0000-0000-0000000000c1"

# What infra/app/api.bicep sets in Azure for storage.
IDENTITY_STORAGE = {
    "AzureWebJobsStorage__credential": "managedidentity",
    "AzureWebJobsStorage__clientId": CLIENT_ID,
    "AzureWebJobsStorage__blobServiceUri": "https://stleads.blob.core.windows.net",
    "AzureWebJobsStorage__tableServiceUri": TABLE_URI,
    "AzureWebJobsStorage__queueServiceUri": QUEUE_URI,
}


def test_connection_string_is_used_as_is() -> None:
    storage = load_settings({"AzureWebJobsStorage": AZURITE}).storage
    assert storage.connection_string == AZURITE
    assert storage.uses_identity is False
    assert (storage.table_service_uri, storage.queue_service_uri, storage.managed_identity_client_id) == (
        None,
        None,
        None,
    )


def test_identity_based_storage_from_the_host_settings() -> None:
    storage = load_settings(IDENTITY_STORAGE).storage
    assert storage.uses_identity is True
    assert storage.connection_string is None
    assert storage.table_service_uri == TABLE_URI
    assert storage.queue_service_uri == QUEUE_URI
    assert storage.managed_identity_client_id == CLIENT_ID


def test_connection_string_wins_over_identity_settings() -> None:
    storage = load_settings({**IDENTITY_STORAGE, "AzureWebJobsStorage": AZURITE}).storage
    assert storage.connection_string == AZURITE
    assert storage.uses_identity is False


def test_identity_without_client_id_uses_the_system_identity() -> None:
    env = {k: v for k, v in IDENTITY_STORAGE.items() if k != "AzureWebJobsStorage__clientId"}
    assert load_settings(env).storage.managed_identity_client_id is None


def test_credential_other_than_managed_identity_is_refused() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({**IDENTITY_STORAGE, "AzureWebJobsStorage__credential": "clientsecret"})
    assert raised.value.setting == "AzureWebJobsStorage__credential"


def test_credential_is_case_insensitive() -> None:
    env = {**IDENTITY_STORAGE, "AzureWebJobsStorage__credential": "ManagedIdentity"}
    assert load_settings(env).storage.uses_identity is True


def test_no_storage_at_all_names_azurewebjobsstorage() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({})
    assert raised.value.setting == "AzureWebJobsStorage"
    assert "AzureWebJobsStorage" in str(raised.value)


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ("AzureWebJobsStorage__tableServiceUri", "AzureWebJobsStorage__queueServiceUri"),
        ("AzureWebJobsStorage__queueServiceUri", "AzureWebJobsStorage__tableServiceUri"),
    ],
)
def test_half_an_identity_configuration_names_the_missing_uri(present: str, missing: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({present: IDENTITY_STORAGE[present]})
    assert raised.value.setting == missing


def test_blank_storage_values_count_as_missing() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({"AzureWebJobsStorage": "   "})
    assert raised.value.setting == "AzureWebJobsStorage"


def test_acs_key_without_endpoint_names_acs_endpoint() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({"AzureWebJobsStorage": AZURITE, "ACS_ACCESS_KEY": "a2V5"})
    assert raised.value.setting == "ACS_ENDPOINT"
    assert "ACS_ENDPOINT" in str(raised.value)


def test_acs_with_managed_identity_takes_the_identity_client_id() -> None:
    settings = load_settings(
        {
            **IDENTITY_STORAGE,
            "ACS_ENDPOINT": "https://acs-leads.europe.communication.azure.com",
            "AZURE_CLIENT_ID": "00000000-0000-0000-0000-0000000000a2",
        }
    )
    assert settings.acs_endpoint == "https://acs-leads.europe.communication.azure.com"
    assert settings.acs_access_key is None
    assert settings.acs_client_id == "00000000-0000-0000-0000-0000000000a2"


def test_acs_client_id_falls_back_to_the_storage_identity() -> None:
    settings = load_settings({**IDENTITY_STORAGE, "ACS_ENDPOINT": "https://acs.communication.azure.com"})
    assert settings.acs_client_id == CLIENT_ID


@pytest.mark.parametrize("value", ["dns", "DNS", " off ", "Off"])
def test_deliverability_check_accepts_dns_and_off(value: str) -> None:
    settings = load_settings({"AzureWebJobsStorage": AZURITE, "EMAIL_DELIVERABILITY_CHECK": value})
    assert settings.email_deliverability_check == value.strip().lower()


@pytest.mark.parametrize("value", ["mx", "on", "true", "dns,off"])
def test_bad_deliverability_check_names_the_setting(value: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({"AzureWebJobsStorage": AZURITE, "EMAIL_DELIVERABILITY_CHECK": value})
    assert raised.value.setting == "EMAIL_DELIVERABILITY_CHECK"


@pytest.mark.parametrize("name", ["LEAD_EXPIRY_DAYS", "URGENCY_HOURS", "INDIVIDUAL_EMAILS_PER_DAY"])
@pytest.mark.parametrize("value", ["ten", "1.5", "0", "-3"])
def test_bad_numbers_name_the_setting(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({"AzureWebJobsStorage": AZURITE, name: value})
    assert raised.value.setting == name
    assert name in str(raised.value)


def test_numbers_are_read() -> None:
    settings = load_settings(
        {
            "AzureWebJobsStorage": AZURITE,
            "LEAD_EXPIRY_DAYS": "30",
            "URGENCY_HOURS": " 48 ",
            "INDIVIDUAL_EMAILS_PER_DAY": "3",
        }
    )
    assert (settings.lead_expiry_days, settings.urgency_hours, settings.individual_emails_per_day) == (
        30,
        48,
        3,
    )


def test_defaults_match_the_contract() -> None:
    settings = load_settings({"AzureWebJobsStorage": AZURITE})
    assert settings.email_sender_address == "leads@localhost"
    assert settings.acs_endpoint is None
    assert settings.acs_access_key is None
    assert settings.outbox_dir == ".outbox"
    assert settings.portal_base_url == "http://127.0.0.1:7071"
    assert settings.email_deliverability_check == "off"
    assert settings.email_dns_servers == ()
    assert settings.spam_domains == frozenset()
    assert (settings.lead_expiry_days, settings.urgency_hours, settings.individual_emails_per_day) == (
        14,
        72,
        10,
    )


def test_lists_are_split_and_normalised() -> None:
    settings = load_settings(
        {
            "AzureWebJobsStorage": AZURITE,
            "EMAIL_DNS_SERVERS": "127.0.0.1:5353, 10.0.0.2 ,",
            "SPAM_DOMAINS": "Spam.example, @junk.test",
        }
    )
    assert settings.email_dns_servers == ("127.0.0.1:5353", "10.0.0.2")
    assert settings.spam_domains == frozenset({"spam.example", "junk.test"})


def test_portal_base_url_loses_its_trailing_slash_and_must_be_http() -> None:
    env = {
        "AzureWebJobsStorage": AZURITE,
        "PORTAL_BASE_URL": "https://func-leads.azurewebsites.net/api/portal/",
    }
    assert load_settings(env).portal_base_url == "https://func-leads.azurewebsites.net/api/portal"
    with pytest.raises(ConfigurationError) as raised:
        load_settings({**env, "PORTAL_BASE_URL": "ftp://portal"})
    assert raised.value.setting == "PORTAL_BASE_URL"


def test_every_schedule_has_a_default_and_a_setting_name() -> None:
    assert set(DEFAULT_SCHEDULES) <= set(SETTING_NAMES)
    assert all(len(schedule.split()) == 6 for schedule in DEFAULT_SCHEDULES.values())


def test_identity_settings_build_clients_with_a_managed_identity() -> None:
    # Constructing SDK clients does no I/O, so this needs no Azure and no network.
    clients = StorageClients(load_settings(IDENTITY_STORAGE).storage)
    tables = clients.table_service()
    assert isinstance(tables, TableServiceClient)
    assert tables.url.startswith(TABLE_URI)
    assert isinstance(tables.credential, ManagedIdentityCredential)
    queue = clients._new_queue_client("marketplace-leads")
    assert isinstance(queue, QueueClient)
    assert queue.url == f"{QUEUE_URI}/marketplace-leads"
    assert isinstance(queue.credential, ManagedIdentityCredential)
    # One credential per process: token caching is per credential instance.
    assert queue.credential is tables.credential


def test_connection_string_builds_clients_without_an_identity() -> None:
    clients = StorageClients(load_settings({"AzureWebJobsStorage": AZURITE}).storage)
    tables = clients.table_service()
    assert not isinstance(tables.credential, ManagedIdentityCredential)
    assert "127.0.0.1:10002" in tables.url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("contoso", frozenset({"contoso"})),
        (" contoso , fabrikam,,", frozenset({"contoso", "fabrikam"})),
    ],
)
def test_intake_partner_ids_unset_accepts_every_partner(
    raw: str | None, expected: frozenset[str] | None
) -> None:
    env = {"AzureWebJobsStorage": AZURITE} | ({"INTAKE_PARTNER_IDS": raw} if raw is not None else {})
    assert load_settings(env).intake_partner_ids == expected


PARTNER_CENTER = {
    "PARTNER_CENTER_API_URL": "https://api.partner.microsoft.com/",
    "PARTNER_CENTER_PARTNER_ID": "contoso",
    "PARTNER_CENTER_AUTHORITY": "https://login.microsoftonline.com/00000000-0000-0000-0000-00000000000a",
    "PARTNER_CENTER_CLIENT_ID": "00000000-0000-0000-0000-00000000000b",
    "PARTNER_CENTER_REFRESH_TOKEN": "0.refresh",
}


def test_partner_center_sync_is_off_without_an_api_url() -> None:
    settings = load_settings({"AzureWebJobsStorage": AZURITE, "PARTNER_CENTER_PARTNER_ID": "contoso"})
    assert settings.partner_center is None
    assert settings.partner_center_webhook_cert_hosts == ("api.partnercenter.microsoft.com",)


def test_partner_center_settings_are_read_and_the_token_is_not_shown() -> None:
    pc = load_settings({"AzureWebJobsStorage": AZURITE, **PARTNER_CENTER}).partner_center
    assert pc is not None
    assert pc.api_url == "https://api.partner.microsoft.com"
    assert (pc.partner_id, pc.refresh_token) == ("contoso", "0.refresh")
    assert "0.refresh" not in repr(pc)


@pytest.mark.parametrize(
    "name",
    [
        "PARTNER_CENTER_PARTNER_ID",
        "PARTNER_CENTER_AUTHORITY",
        "PARTNER_CENTER_CLIENT_ID",
        "PARTNER_CENTER_REFRESH_TOKEN",
    ],
)
def test_partner_center_requires_each_setting_with_an_api_url(name: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({"AzureWebJobsStorage": AZURITE, **PARTNER_CENTER, name: " "})
    assert raised.value.setting == name


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PARTNER_CENTER_API_URL", "http://api.partner.microsoft.com"),
        ("PARTNER_CENTER_AUTHORITY", "http://login.microsoftonline.com/tenant"),
        ("PARTNER_CENTER_AUTHORITY", "http://localhost:8080/tenant"),
        ("PARTNER_CENTER_AUTHORITY", "https://user:pass@login.microsoftonline.com/tenant"),
        ("PARTNER_CENTER_WEBHOOK_CERT_HOSTS", "https://cert.example/path"),
    ],
)
def test_partner_center_urls_are_https_except_on_loopback(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({"AzureWebJobsStorage": AZURITE, **PARTNER_CENTER, name: value})
    assert raised.value.setting == name


def test_a_local_stand_in_may_use_http_on_127_0_0_1() -> None:
    env = {
        **PARTNER_CENTER,
        "PARTNER_CENTER_API_URL": "http://127.0.0.1:8123",
        "PARTNER_CENTER_AUTHORITY": "http://127.0.0.1:8123/tenant",
        "PARTNER_CENTER_WEBHOOK_CERT_HOSTS": "127.0.0.1:8123, Certs.Example:8443",
    }
    settings = load_settings({"AzureWebJobsStorage": AZURITE, **env})
    assert settings.partner_center is not None
    assert settings.partner_center.webhook_cert_hosts == ("127.0.0.1:8123", "certs.example:8443")
