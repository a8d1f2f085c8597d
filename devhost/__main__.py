"""`python -m devhost`: serve the function app of the current directory until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import MutableMapping
from pathlib import Path
from types import FrameType

from devhost.azurite import Azurite, free_port
from devhost.config import HostConfig, load_local_settings
from devhost.functions import enabled_functions, load_app, read_functions
from devhost.host import FunctionsHost
from devhost.partner_center import pull_now, start_stub
from tests.support.partner_center_stub import PartnerCenterStub

logger = logging.getLogger("devhost")

AZURITE_PORTS = (10000, 10001, 10002)
# What App Service sets where App Service Authentication is on. The local host stands in for that
# sign-in (clients and `--dev-auth` supply X-MS-CLIENT-PRINCIPAL), so it tells the app it is on,
# unless the environment or local.settings.json says otherwise, as `func start` without auth would.
APP_SERVICE_AUTH_SETTING = "WEBSITE_AUTH_ENABLED"
AZURITE_LOCATION = ".azurite"
PORTAL_BASE_URL_SETTING = "PORTAL_BASE_URL"


class PortInUse(Exception):
    """A port the host or its Azurite must listen on is taken: said in one line, no traceback."""

    def __init__(self, what: str, host: str, port: int, change: str) -> None:
        super().__init__(
            f"devhost: {what} port {port} on {host} is already in use; stop what uses it "
            f"(is `make run` already running?) or choose another port with {change}"
        )


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now (0, "any free port", always can)."""
    if port == 0:
        return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers do, so a recently closed connection in TIME_WAIT does not count as busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def check_ports_free(host: str, port: int, azurite_ports: tuple[int, int, int] | None) -> None:
    """Raise PortInUse for the first port that is taken, before anything is started."""
    if not port_is_free(host, port):
        raise PortInUse("the host's HTTP", host, port, "`make run PORT=7072` (or --port)")
    for service, azurite_port in zip(("blob", "queue", "table"), azurite_ports or (), strict=False):
        if not port_is_free("127.0.0.1", azurite_port):
            variable = f"AZURITE_{service.upper()}_PORT"
            raise PortInUse(
                f"Azurite's {service}",
                "127.0.0.1",
                azurite_port,
                f"`make run {variable}=...` (or --azurite-ports)",
            )


def portal_base_url_default(environ: MutableMapping[str, str], host: str, port: int) -> str | None:
    """Links in emails point at this host unless PORTAL_BASE_URL is set (non-empty): the URL it
    sets, or None when the setting stands."""
    if environ.get(PORTAL_BASE_URL_SETTING, "").strip():
        return None
    shown_host = "127.0.0.1" if host in ("", "0.0.0.0") else host
    url = f"http://{shown_host}:{port}"
    environ[PORTAL_BASE_URL_SETTING] = url
    return url


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devhost",
        description="Local Azure Functions host: serves the functions of a v2-model Python app "
        "(HTTP, queue and timer triggers, admin endpoint) from the current directory.",
    )
    parser.add_argument(
        "--app", default="function_app", help="module holding the FunctionApp (default: %(default)s)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=7071, help="HTTP port, 0 for a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--azurite",
        action="store_true",
        help="also start Azurite on 10000/10001/10002 with data in .azurite/, and use it for "
        "AzureWebJobsStorage unless the environment sets that",
    )
    parser.add_argument(
        "--azurite-ports",
        default=",".join(map(str, AZURITE_PORTS)),
        metavar="BLOB,QUEUE,TABLE",
        help="ports for --azurite, 0 for free ones (default: %(default)s)",
    )
    parser.add_argument(
        "--azurite-location", type=Path, default=Path(AZURITE_LOCATION), help="default: %(default)s"
    )
    parser.add_argument(
        "--static", type=Path, metavar="DIR", help="serve the files of DIR at / (outside /api/)"
    )
    parser.add_argument(
        "--dev-auth",
        action="store_true",
        help="local sign-in at /.auth/login: a cookie stands in for App Service Authentication "
        "and adds X-MS-CLIENT-PRINCIPAL to /api/ requests (never use outside a developer machine)",
    )
    parser.add_argument(
        "--settings",
        type=Path,
        default=Path("local.settings.json"),
        help="settings file whose Values fill in unset environment variables (default: %(default)s)",
    )
    parser.add_argument("--host-json", type=Path, default=Path("host.json"), help="default: %(default)s")
    parser.add_argument(
        "--partner-center-stub",
        metavar="PARTNER_ID",
        help="also start a local Partner Center with a few seeded referrals for PARTNER_ID, point "
        "the app's PARTNER_CENTER_* settings at it and pull once (devhost/partner_center.py)",
    )
    return parser.parse_args(argv)


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The storage SDK logs every request at INFO.
    for noisy in ("azure", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def stop_with_parent() -> None:
    """Get SIGTERM when the parent dies: `make run` sent SIGTERM exits without signalling its recipe."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        return serve(arguments)
    except PortInUse as error:
        print(error, file=sys.stderr)
        return 1


def _azurite_ports(arguments: argparse.Namespace) -> tuple[int, int, int]:
    blob_port, queue_port, table_port = (int(port) for port in arguments.azurite_ports.split(","))
    return blob_port, queue_port, table_port


def serve(arguments: argparse.Namespace) -> int:
    check_ports_free(arguments.host, arguments.port, _azurite_ports(arguments) if arguments.azurite else None)
    configure_logging()

    stop_requested = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    parent = os.getppid()
    stop_with_parent()
    if os.getppid() != parent:  # the parent died before the request took effect
        stop_requested.set()

    azurite: Azurite | None = None
    host: FunctionsHost | None = None
    partner_center: PartnerCenterStub | None = None
    try:
        if arguments.partner_center_stub:
            partner_center = start_stub(arguments.partner_center_stub)
        if arguments.azurite:
            blob_port, queue_port, table_port = _azurite_ports(arguments)
            azurite = Azurite(arguments.azurite_location, blob_port, queue_port, table_port).start()
            logger.info(
                "Azurite started (pid %s) on ports %s,%s,%s",
                azurite.pid,
                azurite.blob_port,
                azurite.queue_port,
                azurite.table_port,
            )
            # Before the settings file: only a variable set in the environment overrides it.
            os.environ.setdefault("AzureWebJobsStorage", azurite.connection_string)

        # Settings before the app is imported: modules may read them at import time. The environment wins.
        loaded = load_local_settings(arguments.settings)
        if loaded:
            logger.info("settings from %s: %s", arguments.settings, ", ".join(sorted(loaded)))
        if arguments.port == 0:
            # Chosen now, not by the server's bind: the app reads PORTAL_BASE_URL when imported.
            arguments.port = free_port()
        portal = portal_base_url_default(os.environ, arguments.host, arguments.port)
        if portal is not None:
            logger.info("%s=%s (follows the port; set it to override)", PORTAL_BASE_URL_SETTING, portal)
        sign_in = os.environ.setdefault(APP_SERVICE_AUTH_SETTING, "true")
        logger.info("App Service Authentication stand-in: %s=%s", APP_SERVICE_AUTH_SETTING, sign_in)

        # Like the Python worker: the app's directory is importable.
        sys.path.insert(0, os.getcwd())
        every_function = read_functions(load_app(arguments.app))
        functions = enabled_functions(every_function, os.environ)
        for disabled in sorted({spec.name for spec in every_function} - {spec.name for spec in functions}):
            logger.info("function %s is disabled (AzureWebJobs.%s.Disabled)", disabled, disabled)
        config = HostConfig.load(arguments.host_json)
        try:
            host = FunctionsHost(
                functions,
                config,
                host=arguments.host,
                port=arguments.port,
                static_dir=arguments.static,
                dev_auth=arguments.dev_auth,
            )
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            # Taken between the check and now.
            raise PortInUse("the host's HTTP", arguments.host, arguments.port, "--port") from None
        host.start()
        if partner_center is not None:
            pull_now(f"http://{arguments.host}:{host.port}")
        # Wait in short slices so the signal handler runs promptly on the main thread.
        while not stop_requested.wait(0.5):
            pass
    finally:
        if host is not None:
            host.stop()
        if azurite is not None:
            azurite.stop()
            logger.info("Azurite stopped")
        if partner_center is not None:
            partner_center.stop()
    logger.info("Host stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
