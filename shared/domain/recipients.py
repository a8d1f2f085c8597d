"""Who receives a partner's lead emails: the body of `/api/settings/notifications` (contract §5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr, WithJsonSchema, field_validator

from shared.domain.email_text import DEFAULT_LANGUAGE, EmailLanguage
from shared.domain.errors import DetailCode, refusal

MAX_RECIPIENTS = 50
# For the OpenAPI document: plain lower-case ASCII addresses, which email-validator always accepts.
# It accepts more (capitals, international addresses, most punctuation), which no pattern can state
# exactly; lower case lets `uniqueItems` stand for "no address twice, ignoring case".
RECIPIENT_EMAIL_PATTERN = (
    r"^[a-z0-9_+-]{1,32}(?:\.[a-z0-9_+-]{1,16})?@(?:[a-z0-9]{1,20}(?:-[a-z0-9]{1,20})?\.){1,3}[a-z]{2}$"
)


def _deliverable_syntax(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise refusal(DetailCode.INVALID_FORMAT, f"is not a valid email address: {error}") from None


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    email: Annotated[
        StrictStr,
        Field(max_length=254),
        AfterValidator(_deliverable_syntax),
        WithJsonSchema({"type": "string", "pattern": RECIPIENT_EMAIL_PATTERN}, mode="validation"),
    ]
    name: StrictStr | None = Field(None, max_length=200)
    language: EmailLanguage = Field(DEFAULT_LANGUAGE, description="The language of this recipient's emails.")


class NotificationSettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    recipients: list[Recipient] = Field(max_length=MAX_RECIPIENTS, json_schema_extra={"uniqueItems": True})

    @field_validator("recipients")
    @classmethod
    def _unique(cls, recipients: list[Recipient]) -> list[Recipient]:
        seen: set[str] = set()
        for recipient in recipients:
            key = recipient.email.casefold()
            if key in seen:
                raise refusal(DetailCode.DUPLICATE, f"{recipient.email} is listed twice")
            seen.add(key)
        return recipients


@dataclass(frozen=True)
class Addressee:
    """One recipient of an email and the language it is written in."""

    email: str
    language: EmailLanguage = DEFAULT_LANGUAGE


def stored_recipient(stored: dict[str, object]) -> dict[str, object]:
    """A recipient as the API shows it; one saved before recipients had a language reads as English."""
    language = stored.get("language")
    known = language if language in {member.value for member in EmailLanguage} else DEFAULT_LANGUAGE
    return {"email": stored.get("email"), "name": stored.get("name"), "language": str(known)}
