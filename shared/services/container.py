"""The composition root: every adapter the use cases need, built from the settings.

This is the one module of `shared/services/` that constructs adapters (storage clients, tables,
the email sender, the DNS resolver); every use case receives them through `Services`, and the
functions in `functions/` call `services()` to get the process's instance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, cached_property

from shared.adapters.due_index import DueIndex
from shared.adapters.email_senders import EmailSender, email_sender_from_settings
from shared.adapters.lead_repository import LeadRepository
from shared.adapters.mail_domain_resolver import MailDomainResolver
from shared.adapters.message_queues import EventPublisher, MessageQueues
from shared.adapters.notification_log import NotificationLog
from shared.adapters.notification_settings_store import NotificationSettingsStore
from shared.adapters.partner_center import ReferralsClient, RefreshTokenProvider
from shared.adapters.partner_center_state import PartnerCenterState
from shared.adapters.partner_center_writeback_rows import PendingWriteBackRows
from shared.adapters.partner_registry import PartnerRegistry
from shared.adapters.routing_store import RoutingStore
from shared.adapters.storage_clients import (
    DUE_TABLE,
    LEADS_TABLE,
    NOTIFICATIONS_TABLE,
    StorageClients,
    clients_for,
)
from shared.adapters.webhook_certificates import CertificateStore
from shared.config import Settings, settings
from shared.domain.contact_validation import DomainStatusLookup


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """The adapters every request or message needs are fields; those only some functions use
    are built on first use from `clients` and `settings`, so a process creates only the tables
    and clients it touches (and `dataclasses.replace` with other clients or settings rebuilds
    them)."""

    settings: Settings
    clients: StorageClients
    leads: LeadRepository
    due: DueIndex
    queues: MessageQueues
    events: EventPublisher
    clock: Callable[[], datetime] = utc_now

    @classmethod
    def build(cls, app_settings: Settings, clock: Callable[[], datetime] = utc_now) -> Services:
        clients = clients_for(app_settings.storage)
        leads = LeadRepository(clients.table(LEADS_TABLE))
        queues = MessageQueues(clients)
        return cls(
            settings=app_settings,
            clients=clients,
            leads=leads,
            due=DueIndex(clients.table(DUE_TABLE)),
            queues=queues,
            events=EventPublisher(leads, queues),
            clock=clock,
        )

    @cached_property
    def partners(self) -> PartnerRegistry:
        return PartnerRegistry(self.clients)

    @cached_property
    def notification_log(self) -> NotificationLog:
        return NotificationLog(self.clients.table(NOTIFICATIONS_TABLE))

    @cached_property
    def notification_settings(self) -> NotificationSettingsStore:
        return NotificationSettingsStore(self.clients.table(NOTIFICATIONS_TABLE))

    @cached_property
    def routing(self) -> RoutingStore:
        return RoutingStore(self.clients.table(NOTIFICATIONS_TABLE))

    @cached_property
    def sender(self) -> EmailSender:
        """ACS when `ACS_ENDPOINT` is set, else the local outbox."""
        return email_sender_from_settings(self.settings)

    @cached_property
    def domain_lookup(self) -> DomainStatusLookup | None:
        """The mail-domain check of contact validation; None unless `EMAIL_DELIVERABILITY_CHECK=dns`."""
        if self.settings.email_deliverability_check != "dns":
            return None
        return MailDomainResolver.from_settings(self.settings)

    @cached_property
    def referrals_client(self) -> ReferralsClient | None:
        """Partner Center's Referrals API; None while the sync is off."""
        pc = self.settings.partner_center
        if pc is None:
            return None
        tokens = RefreshTokenProvider(pc.authority, pc.client_id, pc.refresh_token)
        return ReferralsClient(pc.api_url, tokens)

    @cached_property
    def partner_center_writeback_rows(self) -> PendingWriteBackRows:
        return PendingWriteBackRows(self.clients.table(LEADS_TABLE))

    @cached_property
    def partner_center_state(self) -> PartnerCenterState:
        return PartnerCenterState(self.clients)

    @cached_property
    def webhook_certificates(self) -> CertificateStore:
        return CertificateStore(self.settings.partner_center_webhook_cert_hosts)

    def register_partner(self, partner_id: str) -> None:
        self.partners.register(partner_id)

    def partner_ids(self) -> list[str]:
        return self.partners.partner_ids()

    def check_storage(self) -> None:
        """Raise unless storage answers (the health route's probe)."""
        self.clients.probe()


@cache
def services() -> Services:
    return Services.build(settings())
