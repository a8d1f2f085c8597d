"""Application settings, read once from the environment.

The Functions host (Core Tools, the local host, or Azure) puts `local.settings.json`
`Values` or the app settings into the environment; this module is the only place
that reads them, so `infra/` can be checked against `SETTING_NAMES`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

STORAGE = "AzureWebJobsStorage"
# Identity-based connection (the host's own convention for `AzureWebJobsStorage`).
STORAGE_CREDENTIAL = "AzureWebJobsStorage__credential"
STORAGE_CLIENT_ID = "AzureWebJobsStorage__clientId"
STORAGE_TABLE_URI = "AzureWebJobsStorage__tableServiceUri"
STORAGE_QUEUE_URI = "AzureWebJobsStorage__queueServiceUri"
STORAGE_BLOB_URI = "AzureWebJobsStorage__blobServiceUri"

EMAIL_SENDER_ADDRESS = "EMAIL_SENDER_ADDRESS"
ACS_ENDPOINT = "ACS_ENDPOINT"
ACS_ACCESS_KEY = "ACS_ACCESS_KEY"
# Client id of the user-assigned identity used for ACS when there is no key.
AZURE_CLIENT_ID = "AZURE_CLIENT_ID"
OUTBOX_DIR = "OUTBOX_DIR"
PORTAL_BASE_URL = "PORTAL_BASE_URL"
EMAIL_DELIVERABILITY_CHECK = "EMAIL_DELIVERABILITY_CHECK"
EMAIL_DNS_SERVERS = "EMAIL_DNS_SERVERS"
SPAM_DOMAINS = "SPAM_DOMAINS"
LEAD_EXPIRY_DAYS = "LEAD_EXPIRY_DAYS"
URGENCY_HOURS = "URGENCY_HOURS"
INDIVIDUAL_EMAILS_PER_DAY = "INDIVIDUAL_EMAILS_PER_DAY"
# Comma-separated partner ids whose leads this deployment takes in; unset = any.
INTAKE_PARTNER_IDS = "INTAKE_PARTNER_IDS"
# Timer schedules, referenced as %NAME% by the timer triggers.
EXPIRE_LEADS_SCHEDULE = "EXPIRE_LEADS_SCHEDULE"
OVERDUE_SCHEDULE = "FLAG_OVERDUE_SCHEDULE"
DIGEST_SCHEDULE = "DAILY_DIGEST_SCHEDULE"
OUTBOX_DISPATCH_SCHEDULE = "DISPATCH_EVENTS_SCHEDULE"
# Partner Center Referrals (contract §10). Without an API URL the sync is off.
PARTNER_CENTER_API_URL = "PARTNER_CENTER_API_URL"
PARTNER_CENTER_PARTNER_ID = "PARTNER_CENTER_PARTNER_ID"
PARTNER_CENTER_AUTHORITY = "PARTNER_CENTER_AUTHORITY"
PARTNER_CENTER_CLIENT_ID = "PARTNER_CENTER_CLIENT_ID"
# In Azure a Key Vault reference (`@Microsoft.KeyVault(SecretUri=...)`) the platform resolves.
PARTNER_CENTER_REFRESH_TOKEN = "PARTNER_CENTER_REFRESH_TOKEN"  # noqa: S105 - a setting name
PARTNER_CENTER_WEBHOOK_CERT_HOSTS = "PARTNER_CENTER_WEBHOOK_CERT_HOSTS"
PARTNER_CENTER_SYNC_SCHEDULE = "PARTNER_CENTER_SYNC_SCHEDULE"
# Set by the platform, never by us: "true" where App Service Authentication is on, the only place
# the X-MS-CLIENT-PRINCIPAL header comes from the platform and not from the caller. The local host
# sets it too, as it stands in for that sign-in. Not in SETTING_NAMES: no app setting may set it.
APP_SERVICE_AUTH_ENABLED = "WEBSITE_AUTH_ENABLED"

SETTING_NAMES: tuple[str, ...] = (
    STORAGE,
    STORAGE_CREDENTIAL,
    STORAGE_CLIENT_ID,
    STORAGE_TABLE_URI,
    STORAGE_QUEUE_URI,
    STORAGE_BLOB_URI,
    EMAIL_SENDER_ADDRESS,
    ACS_ENDPOINT,
    ACS_ACCESS_KEY,
    AZURE_CLIENT_ID,
    OUTBOX_DIR,
    PORTAL_BASE_URL,
    EMAIL_DELIVERABILITY_CHECK,
    EMAIL_DNS_SERVERS,
    SPAM_DOMAINS,
    LEAD_EXPIRY_DAYS,
    URGENCY_HOURS,
    INDIVIDUAL_EMAILS_PER_DAY,
    INTAKE_PARTNER_IDS,
    EXPIRE_LEADS_SCHEDULE,
    OVERDUE_SCHEDULE,
    DIGEST_SCHEDULE,
    OUTBOX_DISPATCH_SCHEDULE,
    PARTNER_CENTER_API_URL,
    PARTNER_CENTER_PARTNER_ID,
    PARTNER_CENTER_AUTHORITY,
    PARTNER_CENTER_CLIENT_ID,
    PARTNER_CENTER_REFRESH_TOKEN,
    PARTNER_CENTER_WEBHOOK_CERT_HOSTS,
    PARTNER_CENTER_SYNC_SCHEDULE,
)

DEFAULT_SCHEDULES = {
    EXPIRE_LEADS_SCHEDULE: "0 */15 * * * *",
    OVERDUE_SCHEDULE: "0 5 * * * *",
    DIGEST_SCHEDULE: "0 0 7 * * *",
    OUTBOX_DISPATCH_SCHEDULE: "0 */5 * * * *",
    PARTNER_CENTER_SYNC_SCHEDULE: "0 */5 * * * *",
}

# Where Partner Center serves the certificate its webhook events are signed with.
DEFAULT_WEBHOOK_CERT_HOSTS = ("api.partnercenter.microsoft.com",)
# The one host a plain-http or local stand-in may use (the local stub, tests).
LOOPBACK_HOST = "127.0.0.1"


class ConfigurationError(Exception):
    """A setting is missing or contradicts another; names the setting."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"setting {setting}: {message}")
        self.setting = setting


@dataclass(frozen=True)
class StorageSettings:
    connection_string: str | None
    table_service_uri: str | None
    queue_service_uri: str | None
    managed_identity_client_id: str | None

    @property
    def uses_identity(self) -> bool:
        return self.connection_string is None


@dataclass(frozen=True)
class PartnerCenterSettings:
    """The Referrals API sync (contract §10); present only when PARTNER_CENTER_API_URL is set."""

    api_url: str
    partner_id: str
    authority: str
    client_id: str
    refresh_token: str = field(repr=False)
    # host or host:port, lower case, allowed in a webhook event's X-MS-Certificate-Url.
    webhook_cert_hosts: tuple[str, ...] = DEFAULT_WEBHOOK_CERT_HOSTS


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings
    email_sender_address: str
    acs_endpoint: str | None
    acs_access_key: str | None
    acs_client_id: str | None
    outbox_dir: str
    portal_base_url: str
    email_deliverability_check: str
    email_dns_servers: tuple[str, ...]
    spam_domains: frozenset[str]
    lead_expiry_days: int
    urgency_hours: int
    individual_emails_per_day: int
    # None: every partner; else only these (exact, case-sensitive like Table keys).
    intake_partner_ids: frozenset[str] | None = None
    # Whether the client principal header may be believed (contract §2).
    app_service_auth_enabled: bool = False
    # None: the Partner Center sync is off.
    partner_center: PartnerCenterSettings | None = None
    # Checked even with the sync off: the webhook route verifies before it answers anything.
    partner_center_webhook_cert_hosts: tuple[str, ...] = DEFAULT_WEBHOOK_CERT_HOSTS


def _split_list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(name, f"must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigurationError(name, f"must be positive, got {value}")
    return value


def _storage(env: Mapping[str, str]) -> StorageSettings:
    connection_string = env.get(STORAGE, "").strip() or None
    table_uri = env.get(STORAGE_TABLE_URI, "").strip() or None
    queue_uri = env.get(STORAGE_QUEUE_URI, "").strip() or None
    client_id = env.get(STORAGE_CLIENT_ID, "").strip() or None
    if connection_string:
        return StorageSettings(connection_string, None, None, None)
    if not (table_uri and queue_uri):
        missing = STORAGE_TABLE_URI if not table_uri else STORAGE_QUEUE_URI
        raise ConfigurationError(
            STORAGE if not (table_uri or queue_uri) else missing,
            "no storage configured: set a connection string, or the identity-based "
            f"{STORAGE_TABLE_URI} and {STORAGE_QUEUE_URI}",
        )
    credential = env.get(STORAGE_CREDENTIAL, "").strip().lower()
    if credential and credential != "managedidentity":
        raise ConfigurationError(STORAGE_CREDENTIAL, "only 'managedidentity' is supported")
    return StorageSettings(None, table_uri, queue_uri, client_id)


def is_allowed_url(url: str) -> bool:
    """https, or http only on the loopback stand-in (the local stub)."""
    parts = urlsplit(url)
    if not parts.hostname or parts.username or parts.password:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname == LOOPBACK_HOST)


def _webhook_cert_hosts(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get(PARTNER_CENTER_WEBHOOK_CERT_HOSTS, "").strip()
    if not raw:
        return DEFAULT_WEBHOOK_CERT_HOSTS
    hosts = tuple(host.lower() for host in _split_list(raw))
    for host in hosts:
        if "/" in host or "@" in host or not urlsplit(f"//{host}").hostname:
            raise ConfigurationError(
                PARTNER_CENTER_WEBHOOK_CERT_HOSTS, f"{host!r} is not a host or host:port"
            )
    return hosts


def _partner_center(env: Mapping[str, str]) -> PartnerCenterSettings | None:
    api_url = env.get(PARTNER_CENTER_API_URL, "").strip().rstrip("/")
    if not api_url:
        return None
    if not is_allowed_url(api_url):
        raise ConfigurationError(PARTNER_CENTER_API_URL, "must be an https URL (http only on 127.0.0.1)")
    values = {}
    for name in (
        PARTNER_CENTER_PARTNER_ID,
        PARTNER_CENTER_AUTHORITY,
        PARTNER_CENTER_CLIENT_ID,
        PARTNER_CENTER_REFRESH_TOKEN,
    ):
        values[name] = env.get(name, "").strip()
        if not values[name]:
            raise ConfigurationError(name, f"is required when {PARTNER_CENTER_API_URL} is set")
    authority = values[PARTNER_CENTER_AUTHORITY].rstrip("/")
    if not is_allowed_url(authority):
        raise ConfigurationError(PARTNER_CENTER_AUTHORITY, "must be an https URL (http only on 127.0.0.1)")
    return PartnerCenterSettings(
        api_url=api_url,
        partner_id=values[PARTNER_CENTER_PARTNER_ID],
        authority=authority,
        client_id=values[PARTNER_CENTER_CLIENT_ID],
        refresh_token=values[PARTNER_CENTER_REFRESH_TOKEN],
        webhook_cert_hosts=_webhook_cert_hosts(env),
    )


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Parse and check every setting; raises ConfigurationError naming the bad one."""
    env = os.environ if env is None else env
    check = env.get(EMAIL_DELIVERABILITY_CHECK, "off").strip().lower() or "off"
    if check not in ("dns", "off"):
        raise ConfigurationError(EMAIL_DELIVERABILITY_CHECK, f"must be 'dns' or 'off', got {check!r}")
    acs_endpoint = env.get(ACS_ENDPOINT, "").strip() or None
    acs_key = env.get(ACS_ACCESS_KEY, "").strip() or None
    if acs_key and not acs_endpoint:
        raise ConfigurationError(ACS_ENDPOINT, f"{ACS_ACCESS_KEY} is set but {ACS_ENDPOINT} is not")
    acs_client_id = env.get(AZURE_CLIENT_ID, "").strip() or env.get(STORAGE_CLIENT_ID, "").strip() or None
    # App Service sets IDENTITY_ENDPOINT where a managed identity can be used.
    has_identity = bool(acs_client_id or env.get("IDENTITY_ENDPOINT") or env.get("MSI_ENDPOINT"))
    if acs_endpoint and not acs_key and not has_identity:
        raise ConfigurationError(
            ACS_ENDPOINT,
            f"is set without {ACS_ACCESS_KEY} and without a managed identity ({AZURE_CLIENT_ID})",
        )
    portal = (env.get(PORTAL_BASE_URL, "").strip() or "http://127.0.0.1:7071").rstrip("/")
    if not portal.startswith(("http://", "https://")):
        raise ConfigurationError(PORTAL_BASE_URL, "must be an http(s) URL")
    return Settings(
        storage=_storage(env),
        email_sender_address=env.get(EMAIL_SENDER_ADDRESS, "").strip() or "leads@localhost",
        acs_endpoint=acs_endpoint,
        acs_access_key=acs_key,
        acs_client_id=acs_client_id,
        outbox_dir=env.get(OUTBOX_DIR, "").strip() or ".outbox",
        portal_base_url=portal,
        email_deliverability_check=check,
        email_dns_servers=tuple(_split_list(env.get(EMAIL_DNS_SERVERS, ""))),
        spam_domains=frozenset(d.lower().lstrip("@") for d in _split_list(env.get(SPAM_DOMAINS, ""))),
        lead_expiry_days=_positive_int(env, LEAD_EXPIRY_DAYS, 14),
        urgency_hours=_positive_int(env, URGENCY_HOURS, 72),
        individual_emails_per_day=_positive_int(env, INDIVIDUAL_EMAILS_PER_DAY, 10),
        intake_partner_ids=frozenset(_split_list(env[INTAKE_PARTNER_IDS]))
        if env.get(INTAKE_PARTNER_IDS, "").strip()
        else None,
        app_service_auth_enabled=env.get(APP_SERVICE_AUTH_ENABLED, "").strip().lower() == "true",
        partner_center=_partner_center(env),
        partner_center_webhook_cert_hosts=_webhook_cert_hosts(env),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process's settings; a bad setting is logged once, naming it, and raised."""
    try:
        return load_settings()
    except ConfigurationError as error:
        log.critical("configuration error: %s", error)
        raise
