"""The action center (contract §5): what needs doing now, most urgent first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from shared.domain.enums import ActionKind, Stage, Urgency
from shared.domain.lead import Lead, utc_iso

EXPIRING_SOON = timedelta(hours=48)


@dataclass(frozen=True)
class RecommendedAction:
    kind: ActionKind
    lead_id: str
    customer_name: str
    due: datetime
    message: str

    def to_resource(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "leadId": self.lead_id,
            "customerName": self.customer_name,
            "dueDateTime": utc_iso(self.due),
            "message": self.message,
        }


def actions_for(lead: Lead, *, now: datetime, urgency_hours: int) -> list[RecommendedAction]:
    company = lead.customer.company
    found: list[RecommendedAction] = []
    if lead.stage is Stage.RECEIVED and lead.expiration_date_time is not None:
        expiry = lead.expiration_date_time
        if lead.urgency_at(now, urgency_hours) is Urgency.CONTACT_REQUESTED:
            found.append(
                RecommendedAction(
                    ActionKind.CONTACT_REQUESTED,
                    lead.id,
                    company,
                    lead.created_date_time + timedelta(hours=urgency_hours),
                    f"{company} asked to be contacted: respond within {urgency_hours} hours.",
                )
            )
        found.append(
            RecommendedAction(
                ActionKind.RESPOND, lead.id, company, expiry, f"Accept or decline the lead from {company}."
            )
        )
        if now < expiry <= now + EXPIRING_SOON:
            found.append(
                RecommendedAction(
                    ActionKind.EXPIRING_SOON,
                    lead.id,
                    company,
                    expiry,
                    f"The lead from {company} expires soon; after that its contact details are gone.",
                )
            )
    if lead.stage is Stage.ACCEPTED and lead.deal is not None:
        close_at = datetime.combine(lead.deal.estimated_close_date, time(), tzinfo=UTC)
        if close_at <= now:
            found.append(
                RecommendedAction(
                    ActionKind.RECORD_OUTCOME,
                    lead.id,
                    company,
                    close_at,
                    f"The deal with {company} was due to close: record whether it was won or lost.",
                )
            )
    return found


def ordered(actions: list[RecommendedAction]) -> list[RecommendedAction]:
    return sorted(actions, key=lambda action: (action.due, action.lead_id, action.kind.value))
