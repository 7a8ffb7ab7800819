"""What the fake fal puts on the wire: JSON answers, request ids, canned submit faults."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.fal_server.faults import Fault

_NGINX_502 = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad \
Gateway</h1></center><hr><center>nginx</center></body></html>"


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as the fake saw it (scan these for leaked secrets)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


def fal_id() -> dict[str, str]:
    """A fresh ``x-fal-request-id`` header, as fal sends with its own errors."""
    return {"x-fal-request-id": str(uuid.uuid4())}


SUBMIT_ANSWERS: dict[Fault, Callable[[dict[str, Any]], web.Response]] = {
    Fault.SUBMIT_500: lambda p: answer({"detail": "Internal Server Error"}, 500, fal_id()),
    Fault.SUBMIT_502_PROXY: lambda p: web.Response(
        status=502, text=_NGINX_502, content_type="text/html"
    ),
    Fault.SUBMIT_503: lambda p: answer(
        {"detail": "No runner available", "error_type": "runner_scheduling_failure"},
        503,
        {**fal_id(), "x-fal-error-type": "runner_scheduling_failure"},
    ),
    Fault.SUBMIT_429: lambda p: answer({"detail": "Too many requests"}, 429),
    Fault.SUBMIT_422: lambda p: answer(
        {
            "detail": [
                {
                    "loc": ["body", "num_images"],
                    "msg": "Input should be less than or equal to 4",
                    "type": "less_than_equal",
                    "ctx": {"le": 4},
                    "input": p.get("num_images"),
                }
            ]
        },
        422,
        fal_id(),
    ),
}
