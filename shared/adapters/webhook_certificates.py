"""The certificates Partner Center signs its webhook events with, and the signature check.

An event names its certificate in `X-MS-Certificate-Url`. The URL is fetched only from the hosts
in PARTNER_CENTER_WEBHOOK_CERT_HOSTS (exact `host[:port]`, https; plain http only on 127.0.0.1,
the local stub), without following redirects, at most 64 KiB, and the certificate must be within
its validity dates and hold an RSA key. Certificates are kept an hour per URL, so a burst of
events costs one download.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from shared.config import is_allowed_url

MAX_CERTIFICATE_BYTES = 64 * 1024
CACHE_SECONDS = 3600.0
TIMEOUT = (2.0, 5.0)


class CertificateRefused(Exception):
    """The certificate URL or the certificate itself is not one to trust."""


class CertificateStore:
    def __init__(
        self,
        allowed_hosts: Iterable[str],
        *,
        session: requests.Session | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._allowed = frozenset(host.lower() for host in allowed_hosts)
        self._session = session or requests.Session()
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, x509.Certificate]] = {}

    def public_key(self, url: str, now: datetime) -> rsa.RSAPublicKey:
        """The RSA key of the certificate at `url`, if the URL and the certificate are trusted."""
        parts = urlsplit(url)
        if not is_allowed_url(url) or parts.netloc.lower() not in self._allowed:
            raise CertificateRefused(f"certificate URL not on an allowed host: {url[:200]!r}")
        certificate = self._certificate(url)
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise CertificateRefused("certificate is outside its validity dates")
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise CertificateRefused("certificate does not hold an RSA key")
        return key

    def _certificate(self, url: str) -> x509.Certificate:
        with self._lock:
            cached = self._cache.get(url)
            if cached is not None and self._monotonic() - cached[0] < CACHE_SECONDS:
                return cached[1]
        try:
            response = self._session.get(url, timeout=TIMEOUT, allow_redirects=False, stream=True)
            data = response.raw.read(MAX_CERTIFICATE_BYTES + 1, decode_content=True)
        except requests.RequestException as error:
            raise CertificateRefused(f"certificate could not be fetched: {error}") from None
        if response.status_code != 200 or len(data) > MAX_CERTIFICATE_BYTES:
            raise CertificateRefused(f"certificate could not be fetched: HTTP {response.status_code}")
        try:
            certificate = (
                x509.load_pem_x509_certificate(data)
                if data.lstrip().startswith(b"-----BEGIN")
                else x509.load_der_x509_certificate(data)
            )
        except ValueError:
            raise CertificateRefused("not an X.509 certificate") from None
        with self._lock:
            self._cache[url] = (self._monotonic(), certificate)
        return certificate


def signature_verifies(key: rsa.RSAPublicKey, body: bytes, signature_b64: str) -> bool:
    """RSA-SHA256 (PKCS #1 v1.5) over the exact body bytes, as Partner Center signs events."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
