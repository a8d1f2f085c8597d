"""The merge rule for a new version of a lead's referral (shared/domain/partner_center.py)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from shared.domain.enums import HistoryAction, Qualification, Stage, Status
from shared.domain.intake_mapping import map_referral
from shared.domain.lead import Lead
from shared.domain.partner_center import merge_referral, new_link, referral_values
from tests.support.partner_center_stub import make_referral

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def mapped(**changes: object) -> object:
    referral = make_referral("ref-1", created=NOW - timedelta(days=1))
    for path, value in changes.items():
        target = referral
        *parents, last = path.split("__")
        for parent in parents:
            target = target[parent] if not isinstance(target, list) else target[int(parent)]
        target[last] = value
    return map_referral({**referral, "partnerId": "contoso"})


def linked_lead(etag: str = '"1"') -> Lead:
    new_lead = mapped()
    link = new_link("ref-1", etag, new_lead, NOW)
    linked = dataclasses.replace(new_lead, partner_center=link)
    return linked.to_lead("8235912399999abcdefghjk", now=NOW, expiry_days=14)


def test_the_same_etag_changes_nothing() -> None:
    assert merge_referral(linked_lead('"1"'), "ref-1", '"1"', mapped(details__notes="other"), now=NOW) is None


def test_a_field_changed_there_is_taken_and_recorded() -> None:
    change = merge_referral(linked_lead(), "ref-1", '"2"', mapped(details__notes="80 servers."), now=NOW)
    assert change is not None
    assert change.lead.customer_need == "80 servers."
    assert change.lead.partner_center is not None
    assert change.lead.partner_center.referral_etag == '"2"'
    assert change.lead.partner_center.referral_base["customerNeed"] == "80 servers."
    assert change.history.action is HistoryAction.PARTNER_CENTER_UPDATED
    assert change.history.details["changes"] == {
        "customerNeed": {"from": "Migrating 40 servers to Azure.", "to": "80 servers."}
    }
    assert change.event is None


def test_a_field_changed_here_and_not_there_is_kept() -> None:
    lead = linked_lead()
    here = lead.model_copy(
        update={
            "customer": lead.customer.model_copy(update={"phone": "+4930901820"}),
            "validated_date_time": NOW,
        }
    )
    change = merge_referral(here, "ref-1", '"2"', mapped(qualification="MarketingQualified"), now=NOW)
    assert change is not None
    assert change.lead.customer.phone == "+4930901820"
    assert change.lead.qualification is Qualification.MARKETING_QUALIFIED
    assert change.lead.validated_date_time == NOW  # no contact field changed: still valid


def test_a_field_changed_both_here_and_there_takes_partner_centers_value() -> None:
    lead = linked_lead()
    here = lead.model_copy(update={"customer": lead.customer.model_copy(update={"phone": "+4930901820"})})
    change = merge_referral(
        here, "ref-1", '"2"', mapped(customerProfile__team__0__phoneNumber="+49 30 111111"), now=NOW
    )
    assert change is not None
    assert change.lead.customer.phone == "+49 30 111111"
    assert change.lead.validated_date_time is None  # validated again


def test_a_new_etag_with_no_mapped_change_writes_nothing() -> None:
    assert merge_referral(linked_lead(), "ref-1", '"2"', mapped(), now=NOW) is None


def test_an_expired_lead_takes_no_contact_or_notes_again() -> None:
    lead = linked_lead().model_copy(
        update={
            "stage": Stage.ARCHIVED,
            "status": Status.EXPIRED,
            "customer": linked_lead().customer.without_contact_details(),
            "customer_need": "[removed]",
        }
    )
    change = merge_referral(
        lead,
        "ref-1",
        '"2"',
        mapped(details__notes="Call Jonas", customerProfile__name="Northwind AG"),
        now=NOW,
    )
    assert change is not None
    assert change.lead.customer.company == "Northwind AG"
    assert change.lead.customer.email is None
    assert change.lead.customer_need == "[removed]"


def test_a_lead_without_a_link_gets_one_taking_partner_centers_values() -> None:
    lead = linked_lead().model_copy(update={"partner_center": None})
    change = merge_referral(lead, "ref-1", '"5"', mapped(), now=NOW)
    assert change is not None
    assert change.lead.partner_center is not None
    assert change.lead.partner_center.referral_base == referral_values(mapped())
    assert change.history.details["changes"] == {}
