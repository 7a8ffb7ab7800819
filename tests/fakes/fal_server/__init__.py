"""FakeFal: fal.ai's queue, SSE status stream, storage upload and CDN on 127.0.0.1.

It speaks the protocol of reference/fal.md §4 and §6 as fal-client 1.0.3 parses it. One
base URL serves the queue (``QUEUE_URL_FORMAT = url + "/"``), the REST API (``REST_URL``)
and the CDN (``CDN_URL``)::

    async with FakeFal(inference_seconds=0.05, queue_steps=1) as fal:
        point_fal_client_at(fal.queue_url, fal.rest_url, fal.cdn_url)

Jobs run on a clock: ``queue_steps`` IN_QUEUE positions (``queue_step_seconds`` each),
IN_PROGRESS for ``inference_seconds``, then COMPLETED.  Faults (``Fault``) are scripted
with ``fal.fail_next(fault, count=1, endpoint=None)`` or by a trigger word in the prompt,
``fault:<name>[*N]`` (``fault:nsfw``, ``fault:submit_503*3``; ``fault:422`` / ``429`` /
``500`` / ``502`` / ``503`` are short for the submit faults).  A submit fault hits the
first N submissions carrying that prompt (N=1 by default); a job fault hits every job.

Recorded for assertions: ``requests`` (every HTTP request: method, path, query, headers,
body text; each also scanned for secrets by tests/fakes/record_registry.py),
``submissions`` (endpoint, payload, request id), ``cancels``, ``uploads``, and per
request id ``status_reads``, ``stream_reads``, ``result_reads`` (``file_reads`` per
CDN file).  Queue and storage calls need ``Authorization: Key …`` (the exact key when
``key=`` is given); CDN uploads need the Bearer token from ``/storage/auth/token``.

Separate process (prints its URL, serves until SIGTERM/SIGINT); point fal-client at it
with ``point_fal_client_at(url, url, url)``::

    python -m tests.fakes.fal_server --port 8765 [--inference-seconds 0.5] [--queue-steps 1]

Modules: ``faults`` (Fault, the script and trigger words), ``wire`` (JSON answers, canned
submit faults, RecordedRequest), ``jobs`` (a job and its clock's data), ``state`` (what the
fake knows, recording, auth), ``queue`` and ``storage`` (route handlers), ``server``
(FakeFal), ``client`` (pytest helpers), ``cli`` (the separate process).
"""

from tests.fakes.fal_server.cli import main
from tests.fakes.fal_server.client import (
    TEST_FAL_KEY,
    fast_fal_client_retries,
    keep_fal_client_urls,
    make_fal_provider,
)
from tests.fakes.fal_server.faults import SUBMIT_FAULTS, Fault
from tests.fakes.fal_server.jobs import FakeSubmission
from tests.fakes.fal_server.server import FakeFal
from tests.fakes.fal_server.wire import RecordedRequest

__all__ = [
    "SUBMIT_FAULTS",
    "TEST_FAL_KEY",
    "FakeFal",
    "FakeSubmission",
    "Fault",
    "RecordedRequest",
    "fast_fal_client_retries",
    "keep_fal_client_urls",
    "main",
    "make_fal_provider",
]
