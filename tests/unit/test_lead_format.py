"""The stored format of a lead: version 1 is what leads were stored as before formats had a version."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from shared.adapters.lead_format import (
    CURRENT_FORMAT_VERSION,
    StoredLeadV1,
    StoredLeadV2,
    UnknownLeadFormat,
    lead_from_json,
    lead_to_json,
)
from shared.domain.enums import CallToAction, EmailValidity, LeadType, Stage, Status, SyncState
from shared.domain.lead import Customer, Deal, Lead, Offer, Owner, PartnerCenterLink, TeamMember

T = datetime(2026, 11, 20, 8, 0, 1, 234000, tzinfo=UTC)

# A lead exactly as this service stored it before the stored format had a version.
UNVERSIONED = (
    '{"id":"8235912399999abcdefghjk","partnerId":"contoso","leadType":"Offer",'
    '"qualification":"MarketingQualified","leadSource":"AppSource","callToAction":"ContactMe",'
    '"offer":{"id":"contoso.crm","title":"Contoso CRM"},"customer":{"company":"Fabrikam BV",'
    '"firstName":"Eva","lastName":"de Vries","email":"eva@fabrikam.nl","phone":"+31207940000",'
    '"title":"CIO","country":"NL","size":"51to500employees"},"customerNeed":"A demo for 200 seats 🚀",'
    '"customerRequestedContact":true,"stage":"Accepted","status":"Accepted","statusReason":null,'
    '"statusNotes":null,"createdDateTime":"2026-11-20T08:00:01.234Z","updatedDateTime":'
    '"2026-11-20T08:00:01.234Z","expirationDateTime":"2026-11-20T08:00:01.234Z","acceptedDateTime":'
    '"2026-11-20T08:00:01.234Z","closedDateTime":null,"validatedDateTime":"2026-11-20T08:00:01.234Z",'
    '"emailValidity":"Valid","phoneValidity":"Valid","quality":"High","spamFlags":["role_address"],'
    '"deal":{"name":"Fabrikam CRM","value":30000.5,"currency":"EUR","estimatedCloseDate":"2027-01-31",'
    '"notes":"n","campaignId":"cmp-1","crmId":null},"team":[{"name":"Bo","email":"bo@partner.example",'
    '"phone":null}],"arrivedDateTime":"2026-11-20T08:00:01.234Z","overdueRecorded":true,"historyCount":3}'
)

LEAD = Lead(
    id="8235912399999abcdefghjk",
    partner_id="contoso",
    lead_type=LeadType.OFFER,
    qualification="MarketingQualified",
    lead_source="AppSource",
    call_to_action=CallToAction.CONTACT_ME,
    offer=Offer(id="contoso.crm", title="Contoso CRM"),
    customer=Customer(
        company="Fabrikam BV",
        first_name="Eva",
        last_name="de Vries",
        email="eva@fabrikam.nl",
        phone="+31207940000",
        title="CIO",
        country="NL",
        size="51to500employees",
    ),
    customer_need="A demo for 200 seats 🚀",
    customer_requested_contact=True,
    stage=Stage.ACCEPTED,
    status=Status.ACCEPTED,
    created_date_time=T,
    updated_date_time=T,
    expiration_date_time=T,
    accepted_date_time=T,
    validated_date_time=T,
    email_validity=EmailValidity.VALID,
    phone_validity="Valid",
    quality="High",
    spam_flags=["role_address"],
    deal=Deal(
        name="Fabrikam CRM",
        value=Decimal("30000.5"),
        currency="EUR",
        estimated_close_date=date(2027, 1, 31),
        notes="n",
        campaign_id="cmp-1",
    ),
    team=[TeamMember(name="Bo", email="bo@partner.example")],
    arrived_date_time=T,
    overdue_recorded=True,
    history_count=3,
)


def test_a_lead_stored_before_formats_had_a_version_reads_as_version_1() -> None:
    assert lead_from_json(UNVERSIONED, None) == LEAD
    assert lead_from_json(UNVERSIONED, 1) == LEAD


def test_version_1_is_written_exactly_as_leads_were_stored_before() -> None:
    assert StoredLeadV1.from_lead(LEAD).model_dump_json(by_alias=True) == UNVERSIONED


def test_version_2_is_version_1_with_the_owner_and_the_partner_center_link() -> None:
    version, data = lead_to_json(LEAD)
    assert (version, CURRENT_FORMAT_VERSION) == (2, 2)
    assert data == UNVERSIONED[:-1] + ',"owner":null,"partnerCenter":null}'
    owned = LEAD.model_copy(update={"owner": Owner(user_id="u-7", name="Ann")})
    version, data = lead_to_json(owned)
    assert '"owner":{"userId":"u-7","name":"Ann"}' in data
    assert lead_from_json(data, version) == owned


def test_the_partner_center_link_reads_back() -> None:
    linked = LEAD.model_copy(
        update={
            "partner_center": PartnerCenterLink(
                referral_id="ref-1",
                sync_state=SyncState.FAILED,
                sync_error="Partner Center refused: 400",
                synced_date_time=T,
                referral_etag='"7-abc"',
                referral_base={"customer.company": "Fabrikam BV", "customerRequestedContact": True},
            )
        }
    )
    version, data = lead_to_json(linked)
    assert lead_from_json(data, version) == linked
    assert '"referralEtag":"\\"7-abc\\""' in data


def test_a_lead_stored_before_owners_existed_has_no_owner() -> None:
    assert lead_from_json(UNVERSIONED, None).owner is None
    assert lead_from_json(UNVERSIONED, 1).owner is None


def test_a_lead_reads_back_as_it_was_written() -> None:
    bare = Lead(
        id="8235912399999zzzzzzzzzz",
        partner_id="p",
        lead_type=LeadType.PROFILE,
        qualification="SalesQualified",
        customer=Customer(company="Northwind"),
        stage=Stage.INFORMATIONAL,
        status=None,
        created_date_time=T,
        updated_date_time=T,
    )
    for lead in (LEAD, bare):
        version, data = lead_to_json(lead)
        assert lead_from_json(data, version) == lead


def test_every_field_of_the_lead_is_stored() -> None:
    # A field the API model gains must be mapped into the stored format (a new version if its
    # shape changes), or it would silently not be stored.
    assert set(StoredLeadV2.model_fields) == set(Lead.model_fields)


def test_a_row_of_an_unknown_version_is_refused_by_name() -> None:
    with pytest.raises(UnknownLeadFormat, match="version 3"):
        lead_from_json(UNVERSIONED, 3)


def test_a_stored_value_outside_the_api_model_is_refused() -> None:
    with pytest.raises(ValueError, match="stage"):
        lead_from_json(UNVERSIONED.replace('"stage":"Accepted"', '"stage":"Dormant"'), 1)
