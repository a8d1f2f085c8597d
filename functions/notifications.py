"""Notification triggers: the per-lead email stage and the daily digest."""

from __future__ import annotations

import azure.functions as func

bp = func.Blueprint()
