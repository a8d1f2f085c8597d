"""The contact-validation stage: tag a new lead's email and phone, then pass it on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.adapters.lead_repository import StoredLead
from shared.config import Settings
from shared.domain import lifecycle
from shared.domain.contact_validation import DomainStatusLookup, check_contact
from shared.domain.enums import PhoneValidity, Status
from shared.domain.intake_mapping import UnprocessableLead
from shared.domain.lead import Lead
from shared.domain.queues import LEAD_NOTIFICATIONS_QUEUE
from shared.services import lead_changes, sweeps
from shared.services.container import Services
from shared.services.queue_stage import lead_message


@dataclass(frozen=True)
class ValidationResult:
    partner_id: str
    lead_id: str
    validated: bool


def validation_change(
    lead: Lead, settings: Settings, domain_lookup: DomainStatusLookup | None, now: datetime
) -> lifecycle.Change:
    customer = lead.customer
    check = check_contact(
        email=customer.email,
        phone=customer.phone,
        country=customer.country,
        texts=(customer.first_name, customer.last_name, customer.company, customer.title, lead.customer_need),
        spam_domains=settings.spam_domains,
        domain_status=domain_lookup,
    )
    stored_customer = customer
    if check.phone_validity is PhoneValidity.VALID and check.phone_e164:
        stored_customer = customer.model_copy(update={"phone": check.phone_e164})
    updates = {
        "customer": stored_customer,
        "email_validity": check.email_validity,
        "phone_validity": check.phone_validity,
        "quality": check.quality,
        "spam_flags": list(check.spam_flags),
    }
    details = {
        "emailValidity": check.email_validity.value,
        "phoneValidity": check.phone_validity.value,
        "quality": check.quality.value,
        "spamFlags": list(check.spam_flags),
    }
    return lifecycle.record_validation(lead, updates, now=now, details=details)


def validate_lead(services: Services, raw: bytes) -> ValidationResult:
    """Validate once (a redelivered message finds the lead validated), then queue its notification."""
    partner_id, lead_id = lead_message(raw)

    def decide(stored: StoredLead, now: datetime) -> lifecycle.Change | None:
        # Validated already (a redelivery), or expired first: its contact is gone, nothing to check.
        if stored.lead.validated_date_time is not None or stored.lead.status is Status.EXPIRED:
            return None
        return validation_change(stored.lead, services.settings, services.domain_lookup, now)

    outcome = lead_changes.change(services, partner_id, lead_id, decide)
    if outcome is None:
        raise UnprocessableLead(f"no lead {lead_id[:40]} for partner {partner_id[:40]}")
    # A lead that arrived already past its expiry is expired before anyone is emailed about it.
    if lifecycle.is_expiry_due(outcome.stored.lead, services.clock()):
        sweeps.expire_if_due(services, partner_id, lead_id)
    services.queues.send(LEAD_NOTIFICATIONS_QUEUE, {"partnerId": partner_id, "leadId": lead_id})
    return ValidationResult(partner_id, lead_id, outcome.change is not None)
