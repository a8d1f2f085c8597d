"""`AzureWebJobs.<name>.Disabled`, the real host's switch for turning one function off."""

from __future__ import annotations

import httpx

from devhost.functions import is_disabled


def test_the_setting_is_read_like_the_real_host() -> None:
    assert is_disabled("probe", {"AzureWebJobs.probe.Disabled": "true"})
    assert is_disabled("probe", {"AzureWebJobs.probe.Disabled": "True"})
    assert is_disabled("probe", {"AzureWebJobs.probe.Disabled": "1"})
    assert not is_disabled("probe", {"AzureWebJobs.probe.Disabled": "false"})
    assert not is_disabled("probe", {"AzureWebJobs.other.Disabled": "true"})
    assert not is_disabled("probe", {})


def test_a_disabled_function_is_not_served(client: httpx.Client) -> None:
    assert client.get("/api/disabled-probe").status_code == 404
    assert client.get("/api/echo").status_code == 200
