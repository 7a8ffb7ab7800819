"""Everything the fake servers and the log sinks saw during a test run, scanned for secrets.

The fakes report every HTTP request they receive (method, path, query, headers, raw body)
with ``REGISTRY.request(server, …)``; tests/conftest.py reports every log record (loguru and
stdlib) with ``REGISTRY.log(…)``. Each is scanned at once for the test secrets (the fal key
and the Telegram and Discord bot tokens; the fakes register the ones they are built with)
and then dropped, so memory stays flat over the whole run. Findings name the place.

A secret may appear in exactly these places, nowhere else:

- a Telegram bot token as the ``/bot<token>/`` or ``/file/bot<token>/`` prefix of a path at
  the fake Telegram server (that is how the Bot API is addressed);
- the fal key in the ``Authorization: Key <key>`` header of a request to the fake fal
  server, except to its CDN (``/files/…``), where no credential belongs;
- a Discord bot token in the ``Authorization: Bot <token>`` header of a request to the
  fake Discord REST API (``/api/…``), not to its attachment CDN.

``REGISTRY.session`` collects the whole run (tests/conftest.py fails the run on a finding);
``with REGISTRY.watching() as scan:`` collects a stretch of one test as well, and
``watching(isolated=True)`` keeps what it sees out of the session (for planted leaks).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

MAX_FINDINGS = 200  # kept per scan; the count goes on


@dataclass
class Scan:
    """What one watcher saw: how much was scanned per source, and what leaked where."""

    isolated: bool = False
    findings: list[str] = field(default_factory=list)
    leaks: int = 0
    scanned: Counter[str] = field(default_factory=Counter)

    def add(self, finding: str) -> None:
        self.leaks += 1
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(finding)


class Registry:
    """The run's secrets and watchers; see the module docstring."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}  # secret → what it is
        self._telegram: set[str] = set()
        self._fal: set[str] = set()
        self._discord: set[str] = set()
        self.session = Scan()
        self._watchers: list[Scan] = [self.session]
        self.context = ""  # the running test, named in findings

    # --- secrets ------------------------------------------------------------------------

    def telegram_token(self, token: str) -> None:
        self._telegram.add(token)
        self._secrets[token] = "a Telegram bot token"
        _, _, secret = token.partition(":")
        if len(secret) >= 8:
            self._secrets[secret] = "a Telegram bot token's secret part"

    def fal_key(self, key: str) -> None:
        self._fal.add(key)
        self._secrets[key] = "the fal key"

    def discord_token(self, token: str) -> None:
        self._discord.add(token)
        self._secrets[token] = "a Discord bot token"

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    # --- watchers -----------------------------------------------------------------------

    @contextmanager
    def watching(self, *, isolated: bool = False) -> Iterator[Scan]:
        scan = Scan(isolated=isolated)
        self._watchers.append(scan)
        try:
            yield scan
        finally:
            self._watchers.remove(scan)

    def _targets(self) -> list[Scan]:
        isolated = [w for w in self._watchers if w.isolated]
        return isolated[-1:] or self._watchers

    # --- reports --------------------------------------------------------------------------

    def log(self, source: str, text: str) -> None:
        """One log record, formatted (traceback and bound extras included)."""
        self._scan(source, [(f"{source} record: {self._mask(text)[:100]!r}", text)])

    def request(
        self,
        server: str,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> None:
        """One HTTP request a fake server received (``server``: telegram, fal, discord).

        A multipart body is read by the fake's own form parsing, which then reports its
        fields and files with ``form``; ``body`` is empty here for those.
        """
        where = f"{server} {method} {self._mask(path)}"
        places = [
            (f"{where} path", self._path_outside_prefix(server, path)),
            (f"{where} query", query),
            (f"{where} body", body.decode("latin-1")),
        ]
        places += [
            (f"{where} header {name}", value)
            for name, value in headers.items()
            if not self._legitimate_header(server, path, name, value)
        ]
        self._scan(server, places)

    def form(self, server: str, method: str, path: str, fields: Mapping[str, object]) -> None:
        """The parts of a multipart body: text fields, and files as (name, type, bytes)."""
        where = f"{server} {method} {self._mask(path)} form"
        places = []
        for name, value in fields.items():
            text = (
                b"|".join(_as_bytes(v) for v in value).decode("latin-1")
                if isinstance(value, tuple)
                else str(value)
            )
            places.append((f"{where} field {name}", text))
        self._scan(server + " form", places)

    # --- rules ----------------------------------------------------------------------------

    def _path_outside_prefix(self, server: str, path: str) -> str:
        if server == "telegram":
            for token in self._telegram:
                for prefix in (f"/bot{token}/", f"/file/bot{token}/"):
                    if path.startswith(prefix):
                        return path.removeprefix(prefix)
        return path

    def _legitimate_header(self, server: str, path: str, name: str, value: str) -> bool:
        if name.lower() != "authorization":
            return False
        if server == "fal":
            return not path.startswith("/files/") and value in {f"Key {k}" for k in self._fal}
        if server == "discord":
            return path.startswith("/api/") and value in {f"Bot {t}" for t in self._discord}
        return False

    def _mask(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "<secret>")
        return text

    def _scan(self, source: str, places: list[tuple[str, str]]) -> None:
        targets = self._targets()
        for scan in targets:
            scan.scanned[source] += 1
        for where, text in places:
            for secret, what in self._secrets.items():
                if secret in text:
                    finding = f"{what} in {self._mask(where)} ({self.context or 'no test'})"
                    for scan in targets:
                        scan.add(finding)


def _as_bytes(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


REGISTRY = Registry()


def scanning_middleware(server: str) -> Any:
    """An aiohttp middleware sending every request to ``server`` through the secret scan
    (a multipart body is left to the server, to report with ``REGISTRY.form`` once parsed)."""

    @web.middleware
    async def report(request: web.Request, handler: Any) -> web.StreamResponse:
        multipart = request.content_type.startswith("multipart/")
        body = b"" if multipart else await request.read()
        headers = dict(request.headers)
        REGISTRY.request(server, request.method, request.path, request.query_string, headers, body)
        response: web.StreamResponse = await handler(request)
        return response

    return report
