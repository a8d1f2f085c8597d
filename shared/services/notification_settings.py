"""Who receives a partner's lead emails (contract §5, "Notification settings")."""

from __future__ import annotations

import json
from typing import Annotated, Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr, field_validator

from shared.adapters.storage_clients import NOTIFICATIONS_TABLE
from shared.services.container import Services

MAX_RECIPIENTS = 50
_SETTINGS_ROW = "settings"


def _deliverable_syntax(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"is not a valid email address: {error}") from None


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    email: Annotated[StrictStr, Field(max_length=254), AfterValidator(_deliverable_syntax)]
    name: StrictStr | None = Field(None, max_length=200)


class NotificationSettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    recipients: list[Recipient] = Field(max_length=MAX_RECIPIENTS)

    @field_validator("recipients")
    @classmethod
    def _unique(cls, recipients: list[Recipient]) -> list[Recipient]:
        seen: set[str] = set()
        for recipient in recipients:
            key = recipient.email.casefold()
            if key in seen:
                raise ValueError(f"{recipient.email} is listed twice")
            seen.add(key)
        return recipients


def get(services: Services, partner_id: str) -> dict[str, Any]:
    table = services.clients.table(NOTIFICATIONS_TABLE)
    try:
        row = table.get_entity(partner_id, _SETTINGS_ROW)
    except ResourceNotFoundError:
        return {"recipients": []}
    return {"recipients": json.loads(row["Recipients"])}


def recipients(services: Services, partner_id: str) -> list[str]:
    return [recipient["email"] for recipient in get(services, partner_id)["recipients"]]


def replace(services: Services, partner_id: str, body: NotificationSettingsBody) -> dict[str, Any]:
    stored = [{"email": r.email, "name": r.name} for r in body.recipients]
    services.clients.table(NOTIFICATIONS_TABLE).upsert_entity(
        {
            "PartitionKey": partner_id,
            "RowKey": _SETTINGS_ROW,
            "Recipients": json.dumps(stored, ensure_ascii=False),
        },
        mode=UpdateMode.REPLACE,
    )
    return {"recipients": stored}
