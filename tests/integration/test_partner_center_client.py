"""The Referrals API client and token provider against the local Partner Center stub."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from shared.adapters.partner_center import (
    PartnerCenterRefused,
    PartnerCenterUnavailable,
    PreconditionFailed,
    ReferralNotFound,
    ReferralsClient,
    RefreshTokenProvider,
    Throttled,
    referral_id_of,
)
from tests.support.partner_center_stub import PartnerCenterStub, make_referral, stub_referrals


def client_for(stub: PartnerCenterStub, refresh_token: str = "stub-refresh-token") -> ReferralsClient:  # noqa: S107 - the stub's
    tokens = RefreshTokenProvider(stub.authority, "stub-client", refresh_token)
    return ReferralsClient(stub.url, tokens)


def test_list_follows_every_next_link_oldest_change_first(partner_center: PartnerCenterStub) -> None:
    list(stub_referrals(partner_center, 7))
    client = client_for(partner_center)
    listed = list(client.list_changed_since(None, page_size=3))
    assert [r["id"] for r in listed] == [f"ref-{i:06d}" for i in range(7)]
    pages = partner_center.api_calls("GET")
    assert len(pages) == 3  # 3 + 3 + 1
    first = pages[0].query
    assert first["$top"] == ["3"]
    assert first["$orderby"] == ["updatedDateTime asc"]
    assert first["$filter"] == ["direction eq 'Incoming'"]


def test_list_since_a_watermark_returns_only_later_changes(partner_center: PartnerCenterStub) -> None:
    seeded = list(stub_referrals(partner_center, 4))
    watermark = datetime.fromisoformat(seeded[2]["updatedDateTime"].replace("Z", "+00:00"))
    listed = list(client_for(partner_center).list_changed_since(watermark))
    assert [r["id"] for r in listed] == ["ref-000002", "ref-000003"]
    assert "updatedDateTime ge " in partner_center.api_calls("GET")[0].query["$filter"][0]


def test_page_size_above_the_api_limit_is_refused_before_sending(partner_center: PartnerCenterStub) -> None:
    with pytest.raises(ValueError):
        list(client_for(partner_center).list_changed_since(None, page_size=101))
    assert partner_center.api_calls() == []


def test_get_by_id_or_resource_uri(partner_center: PartnerCenterStub) -> None:
    stored = partner_center.add(make_referral("ref-a"))
    client = client_for(partner_center)
    assert client.get("ref-a")["eTag"] == stored["eTag"]
    assert client.get(partner_center.resource_uri("ref-a"))["id"] == "ref-a"
    with pytest.raises(ReferralNotFound):
        client.get("ref-missing")


def test_resource_uri_must_name_a_referral() -> None:
    assert referral_id_of("https://api.partnercenter.microsoft.com/engagements/v1/referrals/abc-1") == "abc-1"
    for bad in ("https://evil.example/other/abc", "../x", "a b", ""):
        with pytest.raises(ValueError):
            referral_id_of(bad)


def test_patch_with_if_match_returns_the_new_etag_and_412_on_a_stale_one(
    partner_center: PartnerCenterStub,
) -> None:
    stored = partner_center.add(make_referral("ref-p"))
    client = client_for(partner_center)
    operations = [
        {"op": "replace", "path": "/status", "value": "Active"},
        {"op": "replace", "path": "/substatus", "value": "Accepted"},
        {"op": "replace", "path": "/externalReferenceId", "value": "lead-1"},
    ]
    new_etag = client.patch("ref-p", operations, etag=stored["eTag"])
    assert new_etag != stored["eTag"]
    now = partner_center.referrals["ref-p"]
    assert (now["status"], now["substatus"], now["externalReferenceId"], now["eTag"]) == (
        "Active",
        "Accepted",
        "lead-1",
        new_etag,
    )
    assert partner_center.api_calls("PATCH")[0].json == operations
    assert partner_center.api_calls("PATCH")[0].headers["if-match"] == stored["eTag"]
    with pytest.raises(PreconditionFailed):
        client.patch("ref-p", operations, etag=stored["eTag"])


def test_put_requires_the_current_etag(partner_center: PartnerCenterStub) -> None:
    stored = partner_center.add(make_referral("ref-u"))
    client = client_for(partner_center)
    changed = {**stored, "status": "Closed", "substatus": "Won"}
    answer = client.put(changed, etag=stored["eTag"])
    assert (answer["status"], answer["substatus"]) == ("Closed", "Won")
    assert answer["eTag"] == partner_center.referrals["ref-u"]["eTag"] != stored["eTag"]
    with pytest.raises(PreconditionFailed):
        client.put(changed, etag=stored["eTag"])


def test_throttling_carries_retry_after(partner_center: PartnerCenterStub) -> None:
    partner_center.add(make_referral("ref-t"))
    partner_center.throttle(1, retry_after=7)
    client = client_for(partner_center)
    with pytest.raises(Throttled) as raised:
        client.get("ref-t")
    assert raised.value.retry_after == 7
    assert client.get("ref-t")["id"] == "ref-t"


def test_outage_is_transient_and_other_refusals_are_not(partner_center: PartnerCenterStub) -> None:
    partner_center.add(make_referral("ref-o"))
    client = client_for(partner_center)
    partner_center.fail(1, status=503)
    with pytest.raises(PartnerCenterUnavailable):
        client.get("ref-o")
    partner_center.fail(1, status=403)
    with pytest.raises(PartnerCenterRefused) as raised:
        client.get("ref-o")
    assert raised.value.status == 403


def test_unreachable_partner_center_is_transient() -> None:
    with PartnerCenterStub() as stub:
        url, authority = stub.url, stub.authority
    client = ReferralsClient(url, RefreshTokenProvider(authority, "c", "r"))
    with pytest.raises(PartnerCenterUnavailable):
        client.get("ref-x")


def test_token_is_cached_until_near_expiry_then_renewed(partner_center: PartnerCenterStub) -> None:
    partner_center.add(make_referral("ref-k"))
    now = [0.0]
    tokens = RefreshTokenProvider(
        partner_center.authority, "stub-client", "stub-refresh-token", monotonic=lambda: now[0]
    )
    client = ReferralsClient(partner_center.url, tokens)
    for _ in range(3):
        client.get("ref-k")
    assert partner_center.token_requests == 1
    now[0] += 3600 - 60  # inside the renewal margin
    client.get("ref-k")
    assert partner_center.token_requests == 2


def test_an_expired_token_is_replaced_once_on_401(partner_center: PartnerCenterStub) -> None:
    partner_center.add(make_referral("ref-e"))
    client = client_for(partner_center)
    client.get("ref-e")
    partner_center.clock = lambda: datetime.now(UTC) + timedelta(hours=2)  # every issued token lapses
    assert client.get("ref-e")["id"] == "ref-e"
    assert partner_center.token_requests == 2


def test_a_bad_refresh_token_is_refused_not_retried(partner_center: PartnerCenterStub) -> None:
    with pytest.raises(PartnerCenterRefused) as raised:
        client_for(partner_center, refresh_token="revoked").get("ref-any")
    assert raised.value.status == 400
    assert partner_center.api_calls() == []


def test_an_unresolved_key_vault_reference_names_the_fix(partner_center: PartnerCenterStub) -> None:
    reference = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/pc/)"
    with pytest.raises(PartnerCenterRefused, match="Key Vault Secrets User"):
        client_for(partner_center, refresh_token=reference).get("ref-any")
    assert partner_center.token_requests == 0


def test_next_link_to_another_origin_is_not_followed(partner_center: PartnerCenterStub) -> None:
    client = client_for(partner_center)
    with pytest.raises(PartnerCenterRefused, match="refusing to send the token"):
        client._request("GET", "https://elsewhere.example/v1.0/engagements/referrals", "list")


def test_the_stub_reports_a_request_outside_the_definition(partner_center: PartnerCenterStub) -> None:
    tokens = RefreshTokenProvider(partner_center.authority, "stub-client", "stub-refresh-token")
    response = requests.get(
        f"{partner_center.url}/v1.0/engagements/referrals",
        params={"$top": "ten"},
        headers={"Authorization": f"Bearer {tokens.access_token()}"},  # no content-type either
        timeout=10,
    )
    assert response.status_code == 400
    assert any("content-type" in m for m in partner_center.mismatches)
    assert any("$top" in m for m in partner_center.mismatches)
    partner_center.mismatches.clear()  # seen, and asserted above
