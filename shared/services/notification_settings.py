"""Who receives a partner's lead emails (contract §5, "Notification settings")."""

from __future__ import annotations

from typing import Any

from shared.domain.recipients import NotificationSettingsBody
from shared.services.container import Services


def get(services: Services, partner_id: str) -> dict[str, Any]:
    return {"recipients": services.notification_settings.recipients(partner_id)}


def recipients(services: Services, partner_id: str) -> list[str]:
    return [recipient["email"] for recipient in get(services, partner_id)["recipients"]]


def replace(services: Services, partner_id: str, body: NotificationSettingsBody) -> dict[str, Any]:
    stored = [{"email": r.email, "name": r.name} for r in body.recipients]
    services.notification_settings.replace(partner_id, stored)
    return {"recipients": stored}
