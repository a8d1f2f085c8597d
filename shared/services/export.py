"""CSV export of the filtered lead list (contract §6)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.adapters.principal import Principal
from shared.domain import csv_export
from shared.domain.lead_query import LeadQuery
from shared.services.container import Services
from shared.services.leads import matching_leads


@dataclass(frozen=True)
class CsvDocument:
    filename: str
    body: bytes


def export_csv(services: Services, principal: Principal, query: LeadQuery) -> CsvDocument:
    leads, favorites = matching_leads(services, principal, query)
    now = services.clock()
    body = csv_export.render((stored.lead, stored.lead.id in favorites) for stored in leads)
    return CsvDocument(csv_export.filename(now), body)
