"""The fake fal's storage API and CDN: upload tokens, uploads, and the files it serves."""

from __future__ import annotations

import uuid

from aiohttp import web

from tests.fakes.fal_server.faults import Fault
from tests.fakes.fal_server.state import FalState
from tests.fakes.fal_server.wire import answer


class StorageRoutes(FalState):
    """Route handlers of ``/storage/…`` and ``/files/…``, and ``add_file``."""

    async def _cdn_token(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        token = uuid.uuid4().hex
        self._tokens.add(token)
        expires = "2099-01-01T00:00:00+00:00"
        body = {"token": token, "token_type": "Bearer", "base_url": self.url}
        return answer(body | {"expires_at": expires})

    def add_file(self, data: bytes, content_type: str, *faults: Fault) -> str:
        """Serve ``data`` from the fake CDN; returns its URL."""
        name = f"uploads/{uuid.uuid4().hex}"
        self._files[name] = (data, content_type, frozenset(faults))
        return f"{self.url}/files/{name}"

    def _store(self, data: bytes, content_type: str) -> str:
        self.uploads.append((data, content_type))
        return self.add_file(data, content_type)

    async def _upload(self, request: web.Request) -> web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self._tokens:
            return answer({"detail": "Invalid CDN token"}, 401)
        url = self._store(await request.read(), request.content_type)
        return answer({"access_url": url})

    async def _initiate_upload(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        name = uuid.uuid4().hex
        upload_url = f"{self.url}/storage/put/{name}"
        return answer({"upload_url": upload_url, "file_url": f"{self.url}/files/put-{name}"})

    async def _put_upload(self, request: web.Request) -> web.Response:
        self._store(await request.read(), request.content_type)
        return web.Response(status=200)

    async def _file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        entry = self._files.get(name)
        self.file_reads[name] += 1
        if entry is None or Fault.IMAGE_404 in entry[2]:
            return answer({"detail": "Not found"}, 404)
        if Fault.IMAGE_HANG in entry[2]:
            return await self._hang()
        if Fault.IMAGE_FLAKY in entry[2] and self.file_reads[name] == 1:
            return answer({"detail": "Service Unavailable"}, 503)
        return web.Response(body=entry[0], content_type=entry[1])
