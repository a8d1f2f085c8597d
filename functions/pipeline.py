"""Pipeline stages after intake: contact validation, then notifications."""

from __future__ import annotations

import azure.functions as func

bp = func.Blueprint()
