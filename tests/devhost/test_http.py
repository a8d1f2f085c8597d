"""HTTP triggers, static files and the admin status endpoint, through a real HTTP client."""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
from collections.abc import Iterator

import httpx
import pytest

from devhost.process import HostProcess


def test_literal_segment_wins_over_parameter(client: httpx.Client) -> None:
    assert client.get("/api/leads/export").json() == {"function": "export_leads"}
    assert client.get("/api/leads/42").json() == {"function": "get_lead", "route_params": {"id": "42"}}


def test_literals_match_case_insensitively_and_values_keep_their_case(client: httpx.Client) -> None:
    assert client.get("/API/Leads/EXPORT").json() == {"function": "export_leads"}
    assert client.get("/api/LEADS/AbC").json()["route_params"] == {"id": "AbC"}


def test_a_method_the_literal_route_lacks_falls_through_to_the_parameter_route(client: httpx.Client) -> None:
    response = client.patch("/api/leads/export")
    assert response.json() == {"function": "get_lead", "route_params": {"id": "export"}}


def test_constrained_parameter_wins_over_plain_parameter(client: httpx.Client) -> None:
    assert client.get("/api/items/42").json() == {"function": "item_by_number", "route_params": {"id": "42"}}
    assert client.get("/api/items/abc").json() == {
        "function": "item_by_slug",
        "route_params": {"slug": "abc"},
    }


def test_guid_constraint(client: httpx.Client) -> None:
    value = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    assert client.get(f"/api/things/{value}").json()["route_params"] == {"id": value}
    assert client.get("/api/things/not-a-guid").status_code == 404


def test_optional_alpha_parameter(client: httpx.Client) -> None:
    assert client.get("/api/greet").json()["route_params"] == {}
    assert client.get("/api/greet/Ada").json()["route_params"] == {"name": "Ada"}
    assert client.get("/api/greet/Ada1").status_code == 404


def test_catch_all_parameter_is_decoded(client: httpx.Client) -> None:
    assert client.get("/api/files/a/b%20c/d.txt").json()["route_params"] == {"path": "a/b c/d.txt"}
    assert client.get("/api/files").json()["route_params"] == {}


def test_function_without_route_is_served_at_its_name(client: httpx.Client) -> None:
    assert client.get("/api/from_blueprint").json() == {"function": "from_blueprint"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/only-post"), ("DELETE", "/api/leads/42"), ("GET", "/api/nothing-here"), ("GET", "/api")],
)
def test_no_function_for_the_method_and_path_is_404(client: httpx.Client, method: str, path: str) -> None:
    assert client.request(method, path).status_code == 404


def test_accepted_method_runs(client: httpx.Client) -> None:
    assert client.post("/api/only-post").json() == {"function": "only_post"}


def test_request_carries_url_headers_query_and_body(client: httpx.Client, host: HostProcess) -> None:
    body = b'{"hello": "world"}'
    response = client.put(
        "/api/echo?tab=active&page=2&tag=a&tag=b&empty=",
        content=body,
        headers={"X-Custom": "value", "Content-Type": "application/json"},
    )
    echoed = response.json()
    assert response.headers["content-type"] == "application/json"
    assert echoed["method"] == "PUT"
    assert echoed["url"] == f"{host.base_url}/api/echo?tab=active&page=2&tag=a&tag=b&empty="
    assert echoed["params"] == {"tab": "active", "page": "2", "tag": "a,b", "empty": ""}
    assert echoed["headers"]["x-custom"] == "value"
    assert echoed["headers"]["content-type"] == "application/json"
    assert echoed["body_length"] == len(body)
    assert echoed["body_sha256"] == hashlib.sha256(body).hexdigest()


def test_binary_body_round_trip_with_status_and_headers(client: httpx.Client) -> None:
    body = bytes(range(256)) * 64
    response = client.post("/api/echo/raw", content=body)
    assert response.status_code == 201
    assert response.content == body
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-body-length"] == str(len(body))


def test_large_body(client: httpx.Client) -> None:
    body = os.urandom(1024) * (24 * 1024)  # 24 MiB
    echoed = client.post("/api/echo", content=body).json()
    assert echoed["body_length"] == len(body)
    assert echoed["body_sha256"] == hashlib.sha256(body).hexdigest()


def test_chunked_request_body(client: httpx.Client) -> None:
    parts = [b"first,", b"second,", b"third"]

    def stream() -> Iterator[bytes]:
        yield from parts

    echoed = client.post("/api/echo", content=stream()).json()
    assert echoed["body_length"] == len(b"".join(parts))
    assert echoed["headers"]["transfer-encoding"] == "chunked"


def test_body_over_100_mib_is_refused(host: HostProcess) -> None:
    with socket.create_connection(("127.0.0.1", host.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/echo HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n" % (100 * 1024 * 1024 + 1)
        )
        status_line = sock.makefile("rb").readline()
    assert status_line.startswith(b"HTTP/1.1 413")


def test_exception_answers_500_with_json(client: httpx.Client) -> None:
    response = client.post("/api/fail", content=b"ignored")
    assert response.status_code == 500
    assert response.json() == {"error": "function failed"}


def test_async_function_and_text_response(client: httpx.Client) -> None:
    response = client.get("/api/async")
    assert response.text == "async ok"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-async"] == "yes"


def test_keep_alive_survives_error_responses_with_bodies(host: HostProcess) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", host.port, timeout=10)
    try:
        body = b"x" * 70_000
        connection.request("POST", "/api/fail", body=body)
        first = connection.getresponse()
        first.read()
        socket_after_first = connection.sock
        connection.request("POST", "/api/nothing-here", body=body)
        second = connection.getresponse()
        second.read()
        connection.request("GET", "/api/leads/7")
        third = connection.getresponse()
        third_body = third.read()
        assert (first.status, second.status, third.status) == (500, 404, 200)
        assert b'"id": "7"' in third_body
        # The same TCP connection served all three requests.
        assert connection.sock is socket_after_first
    finally:
        connection.close()


def test_host_status(client: httpx.Client) -> None:
    response = client.get("/admin/host/status")
    assert response.status_code == 200
    assert response.json() == {"state": "Running"}


def test_static_index_and_content_types(client: httpx.Client) -> None:
    index = client.get("/")
    assert index.text == "<!doctype html><title>portal</title>"
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    assert client.get("/app.js").headers["content-type"] == "text/javascript; charset=utf-8"
    css = client.get("/styles/site.css")
    assert (css.text, css.headers["content-type"]) == ("body { margin: 0 }", "text/css; charset=utf-8")
    assert client.get("/docs/").text == "<p>docs</p>"
    assert client.get("/missing.html").status_code == 404


def test_static_files_do_not_leave_their_directory(host: HostProcess) -> None:
    for target in (
        "/../secret.txt",
        "/..%2fsecret.txt",
        "/styles/..%2f..%2fsecret.txt",
        "/%2e%2e/secret.txt",
    ):
        connection = http.client.HTTPConnection("127.0.0.1", host.port, timeout=10)
        try:
            connection.request("GET", target)
            response = connection.getresponse()
            assert response.status == 404, target
            assert b"outside" not in response.read()
        finally:
            connection.close()


def test_static_files_are_not_served_under_the_route_prefix_or_for_posts(client: httpx.Client) -> None:
    assert client.get("/api/index.html").status_code == 404
    assert client.post("/index.html").status_code == 404


def _raw_exchange(host: HostProcess, request: bytes) -> tuple[bytes, dict[str, str], bytes]:
    """Status line, headers and body of the answer to `request`, sent as is."""
    with socket.create_connection(("127.0.0.1", host.port), timeout=10) as sock:
        sock.sendall(request)
        answer = sock.makefile("rb")
        status_line = answer.readline()
        headers: dict[str, str] = {}
        while (line := answer.readline().strip()) != b"":
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = answer.read(int(headers.get("content-length", "0")))
    return status_line, headers, body


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "BREW"])
@pytest.mark.parametrize(
    "path", ["/api/leads/42", "/api/nothing-here", "/", "/index.html", "/admin/host/status"]
)
def test_a_method_no_function_accepts_is_404_without_a_page(
    host: HostProcess, method: str, path: str
) -> None:
    # As the real host: the request is routed, and no function accepts the method.
    status_line, headers, body = _raw_exchange(
        host, f"{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode()
    )
    assert status_line.startswith(b"HTTP/1.1 404"), status_line
    assert body == b""
    assert "text/html" not in headers.get("content-type", "")


def test_a_function_accepting_every_method_gets_any_method(host: HostProcess) -> None:
    status_line, _, body = _raw_exchange(
        host, b"TRACE /api/any-method HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    assert status_line.startswith(b"HTTP/1.1 200"), status_line
    assert body == b'{"method": "TRACE"}'


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NONSENSE\r\n\r\n", b"400"),
        (b"GET / HTTP/9.9\r\nHost: test\r\n\r\n", b"505"),
        (b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", b"431"),
    ],
    ids=["no method", "unknown version", "header too long"],
)
def test_a_malformed_request_gets_a_status_without_a_page(
    host: HostProcess, request_bytes: bytes, status: bytes
) -> None:
    status_line, headers, body = _raw_exchange(host, request_bytes)
    assert status in status_line.split(b" ", 2)[1], status_line
    assert body == b""
    assert "text/html" not in headers.get("content-type", "")
