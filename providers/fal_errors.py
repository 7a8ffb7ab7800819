"""Map fal answers and local validation errors onto the provider error tree (base.py).

HTTP status → error::

    400, 422                  Rejected      fal refused the input; detail in plain words
    408, 409, 429, 5xx        Unavailable   worth another try (before fal accepted it)
      …that fal-client        RetriedByClient   fal-client already retried it up to
         retried itself                         MAX_ATTEMPTS: retrying again would stack
    other 4xx (401/403/404)   Failed        configuration or request-id problem
    transport / timeout       Unavailable   (RetriedByClient when it came through fal-client)

fal's ``detail`` may be a string or a list of ``{loc, msg}``; ``plain_detail`` turns both
into one line such as ``num_images: Input should be less than or equal to 4``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, get_args

import annotated_types
import httpx
from fal_client.client import FalClientHTTPError
from pydantic import BaseModel, ValidationError

from providers.base import Failed, ProviderError, Rejected, Unavailable
from providers.schemas import UNION_TAGS

_MAX_DETAIL = 500
#: Statuses fal-client 1.0.3 retries itself (``RETRY_CODES``), reference §5.3.
_CLIENT_RETRY_CODES = frozenset({408, 409, 429})
_INGRESS_CODES = frozenset({502, 503, 504})
_RANGE_ERRORS = frozenset({"greater_than_equal", "less_than_equal", "greater_than", "less_than"})


class RetriedByClient(Unavailable):
    """Unavailable after fal-client's own retries (429, ingress 5xx, transport errors)."""


def worth_retrying(exc: BaseException) -> bool:
    """Retry predicate for our tenacity layer: Unavailable that fal-client did not retry."""
    return isinstance(exc, Unavailable) and not isinstance(exc, RetriedByClient)


def plain_detail(detail: object) -> str:
    """fal's ``detail`` (string, list of ``{loc, msg}``, or anything) as one short line."""
    if isinstance(detail, str):
        text = detail
    elif isinstance(detail, list):
        text = "; ".join(_describe_item(item) for item in detail)
    elif detail is None:
        text = ""
    else:
        text = json.dumps(detail, default=str)
    return text[:_MAX_DETAIL]


def _describe_item(item: object) -> str:
    if not isinstance(item, dict):
        return str(item)
    loc = [str(part) for part in item.get("loc") or () if part != "body"]
    msg = str(item.get("msg", "invalid value"))
    return f"{'.'.join(loc)}: {msg}" if loc else msg


def error_from_status(status: int, detail: object, *, retried: bool = False) -> ProviderError:
    """The error for an HTTP error status from fal."""
    text = plain_detail(detail) or f"HTTP {status}"
    if status in (400, 422):
        return Rejected(text, status=status)
    if status in _CLIENT_RETRY_CODES or status >= 500:
        kind = RetriedByClient if retried else Unavailable
        return kind(text, status=status)
    return Failed(text, status=status)


def error_from_exception(exc: Exception) -> ProviderError:
    """The error for something fal-client raised (it has already done its own retries)."""
    if isinstance(exc, FalClientHTTPError):
        retried = _client_retried(exc.status_code, exc.response)
        return error_from_status(exc.status_code, exc.message, retried=retried)
    if isinstance(exc, httpx.HTTPStatusError):
        return error_from_response(exc.response)
    if isinstance(exc, httpx.TransportError):
        return RetriedByClient(f"cannot reach fal: {type(exc).__name__}")
    return Failed(f"unexpected answer from fal: {type(exc).__name__}")


def error_from_response(response: httpx.Response) -> ProviderError:
    """The error for an HTTP error response we read ourselves (no retries happened yet)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else response.text
    return error_from_status(response.status_code, detail)


def _client_retried(status: int, response: httpx.Response) -> bool:
    if status in _CLIENT_RETRY_CODES:
        return True
    # fal-client retries 502-504 that look like an nginx ingress error (_is_ingress_error).
    ingress = status in _INGRESS_CODES and "x-fal-request-id" not in response.headers
    return ingress and "nginx" in response.text


def rejected_from_validation(exc: ValidationError, model: type[BaseModel]) -> Rejected:
    """Our own validation failure, in the same plain words as a fal 422."""
    lines = dict.fromkeys(_describe_error(error, model) for error in exc.errors())
    return Rejected("; ".join(lines)[:_MAX_DETAIL], status=None)


def _describe_error(error: Any, model: type[BaseModel]) -> str:
    loc = [part for part in error["loc"] if part not in UNION_TAGS]
    name = ".".join(str(part) for part in loc) or "input"
    bounds = _bounds(model, loc) if error["type"] in _RANGE_ERRORS else None
    if bounds is None:
        return f"{name}: {error['msg']}"
    low, high = bounds
    return f"{name} must be between {low} and {high} (got {error.get('input')})"


def _bounds(model: type[BaseModel], loc: Sequence[object]) -> tuple[str, str] | None:
    current: type[BaseModel] | None = model
    metadata: list[Any] = []
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(str(part)) if current else None
        if field is None:
            return None
        metadata = field.metadata
        current = _nested_model(field.annotation)
    low = next((_num(m.ge) for m in metadata if isinstance(m, annotated_types.Ge)), None)
    high = next((_num(m.le) for m in metadata if isinstance(m, annotated_types.Le)), None)
    return (low, high) if low is not None and high is not None else None


def _nested_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(_models_in(get_args(annotation)), None)


def _models_in(args: Iterable[object]) -> Iterator[type[BaseModel]]:
    for arg in args:
        found = _nested_model(arg)
        if found is not None:
            yield found


def _num(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
