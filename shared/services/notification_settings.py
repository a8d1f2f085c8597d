"""Who receives a partner's lead emails (contract §5, "Notification settings")."""

from __future__ import annotations

from typing import Any

from shared.domain.email_text import EmailLanguage
from shared.domain.recipients import Addressee, NotificationSettingsBody, stored_recipient
from shared.services.container import Services


def get(services: Services, partner_id: str) -> dict[str, Any]:
    stored = services.notification_settings.recipients(partner_id)
    return {"recipients": [stored_recipient(recipient) for recipient in stored]}


def recipients(services: Services, partner_id: str) -> list[str]:
    return [addressee.email for addressee in addressees(services, partner_id)]


def addressees(services: Services, partner_id: str) -> list[Addressee]:
    """Every recipient with the language of their emails."""
    return [
        Addressee(str(recipient["email"]), EmailLanguage(str(recipient["language"])))
        for recipient in get(services, partner_id)["recipients"]
    ]


def replace(services: Services, partner_id: str, body: NotificationSettingsBody) -> dict[str, Any]:
    stored = [{"email": r.email, "name": r.name, "language": r.language.value} for r in body.recipients]
    services.notification_settings.replace(partner_id, stored)
    return {"recipients": stored}
