"""A partner's routing rules and the users the portal has seen, in the `Notifications` table.

Two rows in the partner's partition, beside its notification settings:
- `routing`  the rules as JSON, as `PUT /api/settings/routing` stored them;
- `users`    the users who called the API lately (`[{"userId", "name", "email", "seen"}]`),
             newest first and at most `MAX_SEEN_USERS`: whom the portal offers as owners, and
             where an owner's email address is found.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, TableEntity, UpdateMode

_ROUTING_ROW = "routing"
_USERS_ROW = "users"
MAX_SEEN_USERS = 200
# A user seen again within this long is not written again (the portal calls the API often).
SEEN_REFRESH = timedelta(hours=12)
_NOTE_ATTEMPTS = 3


# A string property holds 32K UTF-16 code units; the list is cut to fit well within that.
_MAX_USERS_TEXT = 30_000


def _users_text(users: list[dict[str, Any]]) -> str:
    """The list as stored: at most MAX_SEEN_USERS, the oldest dropped until the JSON fits."""
    kept = users[:MAX_SEEN_USERS]
    text = json.dumps(kept, ensure_ascii=False)
    while len(text.encode("utf-16-le")) // 2 > _MAX_USERS_TEXT and len(kept) > 1:
        kept = kept[:-1]
        text = json.dumps(kept, ensure_ascii=False)
    return text


class RoutingStore:
    def __init__(self, table: TableClient) -> None:
        self._table = table
        # (partner, user) -> (name, email, when written): this process's memory of what it stored.
        self._noted: dict[tuple[str, str], tuple[str | None, str | None, datetime]] = {}

    def _get(self, partner_id: str, row_key: str) -> TableEntity | None:
        try:
            return self._table.get_entity(partner_id, row_key)
        except ResourceNotFoundError:
            return None

    def rules(self, partner_id: str) -> list[dict[str, Any]]:
        """The stored rules as JSON-ready data; none for a partner who never saved any."""
        row = self._get(partner_id, _ROUTING_ROW)
        rules: list[dict[str, Any]] = json.loads(row["Rules"]) if row is not None else []
        return rules

    def replace_rules(self, partner_id: str, rules: list[dict[str, Any]]) -> None:
        self._table.upsert_entity(
            {
                "PartitionKey": partner_id,
                "RowKey": _ROUTING_ROW,
                "Rules": json.dumps(rules, ensure_ascii=False),
            },
            mode=UpdateMode.REPLACE,
        )

    def seen_users(self, partner_id: str) -> list[dict[str, Any]]:
        row = self._get(partner_id, _USERS_ROW)
        users: list[dict[str, Any]] = json.loads(row["Users"]) if row is not None else []
        return users

    def note_user(
        self, partner_id: str, user_id: str, name: str | None, email: str | None, now: datetime
    ) -> None:
        """Put the user first in the partner's seen users; best effort (a lost race is skipped,
        the user's next call writes it)."""
        known = self._noted.get((partner_id, user_id))
        if known is not None and known[:2] == (name, email) and now - known[2] < SEEN_REFRESH:
            return
        for _attempt in range(_NOTE_ATTEMPTS):
            row = self._get(partner_id, _USERS_ROW)
            users: list[dict[str, Any]] = json.loads(row["Users"]) if row is not None else []
            entry = {"userId": user_id, "name": name, "email": email, "seen": now.isoformat()}
            others = [user for user in users if user.get("userId") != user_id]
            entity = {
                "PartitionKey": partner_id,
                "RowKey": _USERS_ROW,
                "Users": _users_text([entry, *others]),
            }
            try:
                if row is None:
                    self._table.create_entity(entity)
                else:
                    self._table.update_entity(
                        entity,
                        mode=UpdateMode.REPLACE,
                        etag=row.metadata["etag"],
                        match_condition=MatchConditions.IfNotModified,
                    )
            except (ResourceExistsError, HttpResponseError) as error:
                if getattr(error, "status_code", None) in (409, 412):
                    continue
                raise
            self._noted[(partner_id, user_id)] = (name, email, now)
            return
