"""The emails' HTML templates: autoescaped, and shipped with the Function App."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from shared.domain import notification_content
from tests.conftest import REPO_ROOT

TEMPLATES = Path(notification_content.__file__).parent / "templates"


def _ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    for pattern in patterns:
        folder = pattern.rstrip("/")
        if any(fnmatch.fnmatch(part, folder) for part in parts[:-1]) or fnmatch.fnmatch(relative, pattern):
            return True
        if not pattern.endswith("/") and fnmatch.fnmatch(parts[-1], pattern):
            return True
    return False


def test_the_templates_are_deployed() -> None:
    patterns = [
        line.strip()
        for line in (REPO_ROOT / ".funcignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    templates = sorted(path.relative_to(REPO_ROOT).as_posix() for path in TEMPLATES.glob("*.html"))
    assert len(templates) >= 4
    assert [path for path in templates if _ignored(path, patterns)] == []
    assert _ignored("tests/unit/x.py", patterns) and _ignored("node_modules/a/b.js", patterns)


def test_autoescaping_is_on_and_a_missing_value_fails_loudly() -> None:
    environment = notification_content._templates()
    assert environment.autoescape is True
    html = environment.from_string("<p>{{ text }}</p>").render(text="<b>\"Q\" & 'A'</b>")
    assert html == "<p>&lt;b&gt;&quot;Q&quot; &amp; &#x27;A&#x27;&lt;/b&gt;</p>"
    with pytest.raises(UndefinedError):
        environment.get_template("lead_email.html").render(title="t")
