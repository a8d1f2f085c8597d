"""The intake mapping rules of contract §3a, §3b and §3c."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.domain.countries import to_alpha2
from shared.domain.enums import CallToAction, LeadSource, LeadType, Qualification, Stage, Status
from shared.domain.intake_mapping import (
    UnprocessableLead,
    map_marketplace_lead,
    map_referral,
    parse_json_object,
)
from tests.support.leads import marketplace_lead, referral

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def offer(**overrides: Any) -> dict[str, Any]:
    body = marketplace_lead("contoso", lead_id="mkt-1")
    body.update(overrides)
    return body


# -- §3a source, call to action, partner ------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("AzureMarketplace", LeadSource.AZURE_MARKETPLACE),
        ("AzurePortal", LeadSource.AZURE_PORTAL),
        ("AppSource", LeadSource.APPSOURCE),
        ("SPZA", LeadSource.APPSOURCE),
        ("spza", LeadSource.APPSOURCE),
    ],
)
def test_lead_source_maps_from_the_source_part(source: str, expected: LeadSource) -> None:
    mapped = map_marketplace_lead(offer(LeadSource=f"{source}-PLT|contoso.contoso-crm"))
    assert mapped.lead_source is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("PLT", CallToAction.CONTACT_ME),
        ("StartTestDrive", CallToAction.TEST_DRIVE),
        ("TestDrive", CallToAction.TEST_DRIVE),
        ("FreeTrial", CallToAction.FREE_TRIAL),
        ("INS", CallToAction.DOWNLOAD_NOW),
        ("Create", CallToAction.DOWNLOAD_NOW),
        ("DNC", CallToAction.DOWNLOAD_NOW),
        ("plt", CallToAction.CONTACT_ME),
    ],
)
def test_action_code_gives_the_call_to_action(code: str, expected: CallToAction) -> None:
    assert map_marketplace_lead(offer(ActionCode=code)).call_to_action is expected


def test_action_code_from_lead_source_when_the_field_is_absent() -> None:
    body = offer(LeadSource="AzurePortal-FreeTrial|contoso.crm")
    del body["ActionCode"]
    assert map_marketplace_lead(body).call_to_action is CallToAction.FREE_TRIAL


def test_explicit_call_to_action_wins_over_the_action_code() -> None:
    mapped = map_marketplace_lead(offer(ActionCode="PLT", CallToAction="DownloadNow"))
    assert mapped.call_to_action is CallToAction.DOWNLOAD_NOW
    lead = mapped.to_lead("0" * 23, now=NOW, expiry_days=14)
    assert lead.stage is Stage.INFORMATIONAL and lead.status is None
    assert lead.expiration_date_time is None


def test_offer_lead_fields() -> None:
    mapped = map_marketplace_lead(offer())
    assert mapped.lead_type is LeadType.OFFER
    assert mapped.qualification is Qualification.DIRECT
    assert mapped.offer is not None and mapped.offer.id == "contoso-crm"
    assert mapped.offer.title == "Contoso CRM"
    assert mapped.customer.company == "Fabrikam BV"
    assert mapped.customer.email == "eva@fabrikam.nl"
    assert mapped.customer_need == "We want a demo for 200 seats."


def test_partner_from_partner_id_else_publisher_id() -> None:
    assert map_marketplace_lead(offer(PartnerId="fabrikam")).partner_id == "fabrikam"
    body = offer(LeadSource="AppSource-PLT|publisher-x.offer-y")
    del body["PartnerId"]
    assert map_marketplace_lead(body).partner_id == "publisher-x"


# -- countries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NL", "NL"),
        ("nl", "NL"),
        ("NLD", "NL"),
        ("nld", "NL"),
        ("Netherlands", "NL"),
        ("The Netherlands", "NL"),
        ("the netherlands", "NL"),
        ("Holland", "NL"),
        ("HOLLAND", "NL"),
        ("Nederland", "NL"),
        ("UK", "GB"),
        ("uk", "GB"),
        ("United Kingdom", "GB"),
        ("GBR", "GB"),
        ("Germany", "DE"),
        ("Duitsland", "DE"),
        ("DEU", "DE"),
        ("Frankrijk", "FR"),
        ("belgië", "BE"),
        ("  United   States ", "US"),
        ("Atlantis", None),
        ("", None),
        ("XX", None),
        (None, None),
    ],
)
def test_country_to_alpha2(raw: str | None, expected: str | None) -> None:
    assert to_alpha2(raw) == expected


def test_unknown_country_keeps_the_lead() -> None:
    body = offer()
    body["UserDetails"]["Country"] = "Middle Earth"
    assert map_marketplace_lead(body).customer.country is None


# -- created time ---------------------------------------------------------------------


def test_created_time_defaults_to_arrival() -> None:
    body = offer()
    del body["CreatedTime"]
    mapped = map_marketplace_lead(body)
    assert mapped.created_date_time is None
    lead = mapped.to_lead("0" * 23, now=NOW, expiry_days=14)
    assert lead.created_date_time == NOW
    assert lead.expiration_date_time == datetime(2026, 12, 12, 12, 0, tzinfo=UTC)


def test_created_time_may_lie_in_the_past() -> None:
    mapped = map_marketplace_lead(offer(CreatedTime="2025-01-02T03:04:05Z"))
    assert mapped.created_date_time == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    lead = mapped.to_lead("0" * 23, now=NOW, expiry_days=14)
    assert lead.created_date_time == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert lead.updated_date_time == NOW


def test_created_time_with_an_offset_is_stored_in_utc() -> None:
    mapped = map_marketplace_lead(offer(CreatedTime="2026-11-20T10:15:00+02:00"))
    assert mapped.created_date_time == datetime(2026, 11, 20, 8, 15, tzinfo=UTC)


# -- customer requested contact -------------------------------------------------------


def test_contact_me_requests_contact_by_default() -> None:
    lead = map_marketplace_lead(offer()).to_lead("0" * 23, now=NOW, expiry_days=14)
    assert lead.customer_requested_contact is True
    assert lead.stage is Stage.RECEIVED and lead.status is Status.RECEIVED


def test_contact_me_with_explicit_false() -> None:
    assert map_marketplace_lead(offer(CustomerRequestedContact=False)).customer_requested_contact is False


@pytest.mark.parametrize("code", ["FreeTrial", "TestDrive", "INS"])
def test_informational_leads_never_request_contact(code: str) -> None:
    mapped = map_marketplace_lead(offer(ActionCode=code, CustomerRequestedContact=True))
    assert mapped.to_lead("0" * 23, now=NOW, expiry_days=14).customer_requested_contact is False


# -- idempotency key ------------------------------------------------------------------


def test_idempotency_key_is_the_lead_id() -> None:
    assert map_marketplace_lead(offer(LeadId="mkt-000123")).idempotency_key.endswith("mkt-000123")


def test_idempotency_key_without_lead_id_is_sha256_of_canonical_json() -> None:
    body = offer()
    del body["LeadId"]
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key = map_marketplace_lead(body).idempotency_key
    assert key.endswith(hashlib.sha256(canonical.encode()).hexdigest())
    # Key order and whitespace do not matter: the same lead is the same key.
    reordered = json.loads(json.dumps(dict(reversed(list(body.items())))))
    assert map_marketplace_lead(reordered).idempotency_key == key
    changed = copy.deepcopy(body)
    changed["Description"] = "Something else"
    assert map_marketplace_lead(changed).idempotency_key != key


def test_idempotency_keys_of_the_two_queues_do_not_collide() -> None:
    ref = referral("contoso", referral_id="same-1")
    assert map_referral(ref).idempotency_key != map_marketplace_lead(offer(LeadId="same-1")).idempotency_key


def test_lead_id_with_characters_storage_forbids_is_hashed_into_a_safe_key() -> None:
    key = map_marketplace_lead(offer(LeadId="a/b#c?d\\e")).idempotency_key
    assert not any(char in key for char in "/#?\\")
    assert key != map_marketplace_lead(offer(LeadId="a/b#c?d\\f")).idempotency_key


# -- §3b referrals --------------------------------------------------------------------


@pytest.mark.parametrize(
    "qualification", ["Direct", "MarketingQualified", "SalesQualified", "salesqualified"]
)
def test_referral_mapping(qualification: str) -> None:
    mapped = map_referral(referral("contoso", referral_id="ref-1", qualification=qualification))
    assert mapped.qualification.value.casefold() == qualification.casefold()
    assert mapped.lead_type is LeadType.PROFILE
    assert mapped.lead_source is None and mapped.call_to_action is None and mapped.offer is None
    assert mapped.idempotency_key.endswith("ref-1")
    assert mapped.partner_id == "contoso"
    customer = mapped.customer
    assert (customer.company, customer.first_name, customer.last_name) == (
        "Northwind Traders",
        "Jonas",
        "Weber",
    )
    assert (customer.email, customer.phone, customer.country) == ("jonas@northwind.de", "+49 30 901820", "DE")
    assert customer.size == "51to500employees"
    assert mapped.customer_need == "Migrating 40 servers to Azure."
    assert mapped.customer_requested_contact is True
    lead = mapped.to_lead("0" * 23, now=NOW, expiry_days=14)
    assert lead.stage is Stage.RECEIVED and lead.expiration_date_time is not None


def test_referral_requested_contact_defaults_to_false() -> None:
    body = referral("contoso")
    del body["details"]["customerRequestedContact"]
    assert map_referral(body).customer_requested_contact is False
    body = referral("contoso")
    del body["details"]
    assert map_referral(body).customer_requested_contact is False


def test_referral_with_an_empty_team_keeps_the_company() -> None:
    body = referral("contoso")
    body["customerProfile"]["team"] = []
    mapped = map_referral(body)
    assert mapped.customer.company == "Northwind Traders" and mapped.customer.email is None


# -- §3c poison reasons ---------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"not json", b"{", b"\xff\xfe", b"", b"[" * 100_000 + b"]" * 100_000])
def test_not_json(raw: bytes) -> None:
    with pytest.raises(UnprocessableLead, match="not JSON"):
        parse_json_object(raw)


@pytest.mark.parametrize("raw", [b"[]", b"42", b'"text"', b"null"])
def test_not_an_object(raw: bytes) -> None:
    with pytest.raises(UnprocessableLead, match="not a JSON object"):
        parse_json_object(raw)


def _without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    target = body
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return body


MARKETPLACE_POISON = [
    ("no customer", lambda: _without(offer(), "UserDetails"), "missing customer"),
    ("no company", lambda: _without(offer(), "UserDetails", "Company"), "missing company"),
    ("blank company", lambda: offer(UserDetails={**offer()["UserDetails"], "Company": "  "}), "company"),
    (
        "unroutable",
        lambda: _without(offer(LeadSource="AppSource-PLT"), "PartnerId"),
        "unroutable",
    ),
    ("bad partner id", lambda: offer(PartnerId="a/b"), "unroutable"),
    ("unknown action code", lambda: offer(ActionCode="XYZ"), "ActionCode"),
    ("unknown call to action", lambda: offer(CallToAction="CallMeMaybe"), "CallToAction"),
    (
        "no action at all",
        lambda: _without(offer(LeadSource="AppSource|contoso.crm"), "ActionCode"),
        "ActionCode",
    ),
    ("unparseable date", lambda: offer(CreatedTime="yesterday"), "CreatedTime"),
    ("wrong type", lambda: offer(UserDetails="Eva"), "UserDetails"),
]


@pytest.mark.parametrize(
    ("case", "build", "reason"), MARKETPLACE_POISON, ids=[c[0] for c in MARKETPLACE_POISON]
)
def test_marketplace_poison_reasons(case: str, build: Any, reason: str) -> None:
    with pytest.raises(UnprocessableLead, match=reason):
        map_marketplace_lead(build())


REFERRAL_POISON = [
    ("no customer", lambda: _without(referral("contoso"), "customerProfile"), "missing customer"),
    ("no company", lambda: _without(referral("contoso"), "customerProfile", "name"), "missing company"),
    ("unroutable", lambda: _without(referral("contoso"), "partnerId"), "unroutable"),
    ("unknown qualification", lambda: referral("contoso", qualification="Hot"), "qualification"),
    ("no qualification", lambda: _without(referral("contoso"), "qualification"), "qualification"),
    ("unparseable date", lambda: {**referral("contoso"), "createdDateTime": "2026-13-45"}, "createdDateTime"),
]


@pytest.mark.parametrize(("case", "build", "reason"), REFERRAL_POISON, ids=[c[0] for c in REFERRAL_POISON])
def test_referral_poison_reasons(case: str, build: Any, reason: str) -> None:
    with pytest.raises(UnprocessableLead, match=reason):
        map_referral(build())


# -- the creation-time window ----------------------------------------------------------


def _checked(mapper: Any, body: dict[str, Any]) -> None:
    mapper(body).check_created(NOW)


@pytest.mark.parametrize(
    ("created", "reason"),
    [
        ("2300-01-01T00:00:00Z", "in the future"),
        ("1960-01-01T00:00:00Z", "before 2000-01-01"),
        ("1999-12-31T23:59:59Z", "before 2000-01-01"),
        ("9999-12-31", "in the future"),
        ("9999-12-31T23:59:59Z", "in the future"),
        ("9999-12-31T23:00:00-05:00", "out of range"),
        ("0001-01-01T00:00:00+01:00", "out of range"),
        ("2026-11-29T12:00:01Z", "in the future"),  # NOW + 1 day + 1 s
    ],
)
def test_a_creation_time_outside_the_window_is_refused_naming_the_field(created: str, reason: str) -> None:
    with pytest.raises(UnprocessableLead, match=reason) as marketplace:
        _checked(map_marketplace_lead, offer(CreatedTime=created))
    assert marketplace.value.field == "CreatedTime"
    with pytest.raises(UnprocessableLead, match=reason) as profile:
        _checked(map_referral, {**referral("contoso"), "createdDateTime": created})
    assert profile.value.field == "createdDateTime"


@pytest.mark.parametrize(
    "created", ["2000-01-01T00:00:00Z", "2026-11-29T12:00:00Z", "2026-11-29T13:00:00+01:00"]
)
def test_a_creation_time_inside_the_window_is_kept(created: str) -> None:
    mapped = map_marketplace_lead(offer(CreatedTime=created))
    mapped.check_created(NOW)
    assert mapped.created_date_time is not None


# -- strict JSON ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"PartnerId": "contoso", "Score": NaN}', "Score"),
        (b'{"PartnerId": "contoso", "PartnerId": "fabrikam"}', "body"),
        (b'{"UserDetails": {"Company": "\\ud800"}}', "UserDetails.Company"),
    ],
)
def test_not_strict_json_is_refused_naming_where(raw: bytes, field: str) -> None:
    with pytest.raises(UnprocessableLead, match="not strict JSON") as refused:
        parse_json_object(raw)
    assert refused.value.field == field
