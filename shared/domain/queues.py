"""The pipeline's queue names (contract §3 and §6): part of the service's outside, like its routes."""

from __future__ import annotations

MARKETPLACE_LEADS_QUEUE = "marketplace-leads"
REFERRALS_QUEUE = "referrals"
CONTACT_VALIDATION_QUEUE = "contact-validation"
LEAD_NOTIFICATIONS_QUEUE = "lead-notifications"
LEAD_EVENTS_QUEUE = "lead-events"
# Operators start a backfill of derived rows here (`{}`); the function queues its own chunks.
LEAD_BACKFILL_QUEUE = "lead-backfill"
# A verified Partner Center webhook event's referral, read after the event was answered.
PARTNER_CENTER_FETCH_QUEUE = "partner-center-referrals"
# A Partner Center lead's change to write back to its referral: `{"partnerId", "leadId"}`.
PARTNER_CENTER_WRITEBACK_QUEUE = "partner-center-writeback"
QUEUES = (
    MARKETPLACE_LEADS_QUEUE,
    REFERRALS_QUEUE,
    CONTACT_VALIDATION_QUEUE,
    LEAD_NOTIFICATIONS_QUEUE,
    LEAD_EVENTS_QUEUE,
    LEAD_BACKFILL_QUEUE,
    PARTNER_CENTER_FETCH_QUEUE,
    PARTNER_CENTER_WRITEBACK_QUEUE,
)


def poison_queue_name(queue: str) -> str:
    """Where a message that can never succeed is parked: the Functions host's own convention."""
    return f"{queue}-poison"
