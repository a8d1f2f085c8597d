"""Partner Center referrals in: the pull (timer `sync_partner_center`) and the webhook's fetches.

Both end in `sync_referral`: a referral is mapped as the `referrals` queue maps it, stored as a
new lead through intake's path (validation, notifications, history, `LeadCreated`) when its key
`ref:<id>` is new, else merged into its lead by the rule of `shared/domain/partner_center.py`
through the one change path (`lead_changes`), only when its eTag changed.

The pull lists incoming referrals updated at or after the stored watermark, oldest first,
every page, and moves the watermark to the last one it handled. Throttling or an outage ends the
run early with the watermark where it got to; the next run resumes there. A referral that can
never become a lead (no company, an unknown qualification) is logged and passed over.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from shared.adapters.partner_center import (
    MAX_PAGE_SIZE,
    PartnerCenterError,
    PartnerCenterUnavailable,
    ReferralNotFound,
    Throttled,
)
from shared.domain.intake_mapping import UnprocessableLead, map_referral
from shared.domain.partner_center import merge_referral, needs_validation, new_link, referral_key
from shared.domain.queues import CONTACT_VALIDATION_QUEUE, PARTNER_CENTER_FETCH_QUEUE
from shared.domain.strict_json import loads_strict
from shared.services import intake, lead_changes
from shared.services.container import Services

log = logging.getLogger(__name__)

# Referrals of one page stored at once (each one's intake is mostly waiting on storage). Every new
# lead adds to the same tally shards (insights' 4 per day, the tab counters' 8): with more writers
# than shards most transactions lose their race and are read and sent again (16 writers measured
# one lost race per referral, 3 more requests each; 4 writers one in five, and more referrals/s).
PULL_WORKERS = 4


@dataclass
class PullReport:
    """What one run of the pull did."""

    listed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    stopped_by: str | None = None
    watermark: datetime | None = None


@dataclass(frozen=True)
class SyncResult:
    outcome: str  # "created", "updated", "unchanged" or "skipped"
    lead_id: str | None


def _updated_at(referral: dict[str, Any]) -> datetime | None:
    raw = referral.get("updatedDateTime")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _referral_id(referral: dict[str, Any]) -> str:
    return str(referral.get("id") or "")


def sync_referral(
    services: Services, referral: dict[str, Any], known_leads: Mapping[str, str] | None = None
) -> SyncResult:
    """Store one referral as a lead, or merge a new version of it into its lead.

    `known_leads` is a page's look-up made beforehand (lead id by idempotency key); without it the
    referral's key is read. A lead stored since the look-up is found by the create, as a duplicate."""
    pc = services.settings.partner_center
    assert pc is not None, "the sync runs only with PARTNER_CENTER_API_URL set"
    referral_id = _referral_id(referral)
    try:
        new_lead = map_referral({**referral, "partnerId": pc.partner_id})
        new_lead.check_created(services.clock())
    except UnprocessableLead as error:
        log.warning("referral %s cannot become a lead: %s", referral_id[:200], error)
        return SyncResult("skipped", None)
    etag = referral.get("eTag") if isinstance(referral.get("eTag"), str) else None
    key = referral_key(referral_id)
    if known_leads is None:
        lead_id = services.leads.lead_id_for_key(pc.partner_id, key)
    else:
        lead_id = known_leads.get(key)
    if lead_id is None:
        linked = replace(new_lead, partner_center=new_link(referral_id, etag, new_lead, services.clock()))
        result = intake.store_new_lead(services, linked)
        if result.created:
            return SyncResult("created", result.lead_id)
        lead_id = result.lead_id  # another run stored it first: merge into it

    def decide(stored: Any, now: datetime) -> Any:
        return merge_referral(stored.lead, referral_id, etag, new_lead, now=now)

    outcome = lead_changes.change(services, pc.partner_id, lead_id, decide)
    if outcome is None or outcome.change is None:
        return SyncResult("unchanged", lead_id)
    if needs_validation(outcome.change):
        services.queues.send(CONTACT_VALIDATION_QUEUE, {"partnerId": pc.partner_id, "leadId": lead_id})
    return SyncResult("updated", lead_id)


def _store_page(services: Services, page: list[dict[str, Any]], report: PullReport) -> None:
    """Store one page's referrals at once (each is its own lead; a shared tally shard's lost race
    is retried by the repository), then move the watermark over the page. A failure leaves the
    watermark before the first referral that failed, so the next run takes it up again.

    The page's leads are looked up by key together (one query per 14 referrals, not a read each)."""
    pc = services.settings.partner_center
    assert pc is not None
    known = services.leads.lead_ids_for_keys(
        pc.partner_id, [referral_key(_referral_id(referral)) for referral in page]
    )
    with ThreadPoolExecutor(max_workers=PULL_WORKERS, thread_name_prefix="pc-pull") as pool:
        futures = [pool.submit(sync_referral, services, referral, known) for referral in page]
    failure: BaseException | None = None
    for referral, future in zip(page, futures, strict=True):
        error = future.exception()
        if error is not None:
            failure = failure or error
            continue
        report.listed += 1
        outcome = future.result().outcome
        setattr(report, outcome, getattr(report, outcome) + 1)
        moment = _updated_at(referral)
        if failure is None and moment is not None and (report.watermark is None or moment > report.watermark):
            report.watermark = moment
    if failure is not None:
        raise failure


def pull(
    services: Services, *, page_size: int = MAX_PAGE_SIZE, report: PullReport | None = None
) -> PullReport:
    """One run of the timer: every referral changed since the watermark, then the new watermark.

    `report`, when given, is filled in as the run goes, so a caller keeps the counts of a run that
    a storage error ended."""
    pc = services.settings.partner_center
    report = report if report is not None else PullReport()
    if pc is None:
        log.info("Partner Center sync is off (PARTNER_CENTER_API_URL is not set)")
        return report
    client = services.referrals_client
    assert client is not None
    watermark = services.partner_center_state.watermark(pc.partner_id)
    report.watermark = watermark
    try:
        for page in client.pages_changed_since(watermark, page_size=page_size):
            _store_page(services, page, report)
    except (Throttled, PartnerCenterUnavailable) as error:
        # Resumed by the next run from the watermark reached; nothing handled is lost.
        report.stopped_by = type(error).__name__
        log.warning("Partner Center pull stopped early: %s", error)
    finally:
        if report.watermark is not None and report.watermark != watermark:
            services.partner_center_state.set_watermark(pc.partner_id, report.watermark)
    log.info("Partner Center pull", extra={"report": report.__dict__})
    return report


def queue_fetch(services: Services, event: dict[str, Any]) -> None:
    """A verified webhook event's referral, to be fetched after the answer (by `fetch_referral`)."""
    services.queues.send(
        PARTNER_CENTER_FETCH_QUEUE, {"resourceUri": event["ResourceUri"], "eventName": event["EventName"]}
    )


def fetch_referral(services: Services, raw: bytes | str) -> SyncResult | None:
    """The queue stage of a webhook event: read the referral now, and store or merge it.

    Whatever order events arrive in, the referral read is Partner Center's current one, and an
    unchanged eTag writes nothing, so a repeated or late event costs one read. Throttling puts the
    message back for after `Retry-After`; an outage raises, so the host retries it.
    """
    message = loads_strict(raw)
    if not isinstance(message, dict) or not isinstance(message.get("resourceUri"), str):
        raise UnprocessableLead("not a fetch message: no resourceUri")
    if services.settings.partner_center is None or services.referrals_client is None:
        log.warning("Partner Center sync is off; event for %s dropped", message["resourceUri"][:200])
        return None
    try:
        referral = services.referrals_client.get(message["resourceUri"])
    except ValueError as error:
        raise UnprocessableLead(str(error), "resourceUri") from None
    except ReferralNotFound:
        log.warning("referral %s is gone from Partner Center", message["resourceUri"][:200])
        return None
    except Throttled as error:
        delay = max(1, math.ceil(error.retry_after))
        services.queues.send_text(PARTNER_CENTER_FETCH_QUEUE, json.dumps(message), visible_after=delay)
        return None
    except PartnerCenterError as error:
        if isinstance(error, PartnerCenterUnavailable):
            raise
        raise UnprocessableLead(f"Partner Center refused the read: {error}") from None
    return sync_referral(services, referral)
