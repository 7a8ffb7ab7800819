"""FalProvider.wait and cancel: SSE and polling, progress, every way a job can end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from providers.base import Cancelled, Failed, Flagged, Unavailable
from providers.fal import FalProvider
from providers.fal_result import to_result
from providers.fal_status import parse_status
from records import ImageRequest, Progress, Stage, Submission
from tests.fakes.fal_server import FakeFal, Fault, make_fal_provider
from tests.providers.conftest import FAST, Updates

REQUEST = ImageRequest(prompt="a red fox")


@pytest.fixture
async def polling(fal: FakeFal) -> AsyncIterator[FalProvider]:
    async with make_fal_provider(fal, **FAST, status_stream=False) as made:
        yield made


async def _run(provider: FalProvider, updates: Updates, prompt: str = "a red fox") -> Submission:
    submission = await provider.submit(ImageRequest(prompt=prompt))
    await provider.wait(submission, updates)
    return submission


async def test_progress_reports_each_queue_position_then_generating(updates: Updates) -> None:
    async with (
        FakeFal(queue_step_seconds=0.15, inference_seconds=0.1) as fal,
        make_fal_provider(fal, **FAST) as provider,
    ):
        fal.fail_next(Fault.QUEUE)
        submission = await _run(provider, updates)
        assert fal.stream_reads[submission.request_id] == 1
    assert updates.seen == [
        Progress(Stage.QUEUED, 4),  # fal's queue_position 3: three requests ahead
        Progress(Stage.QUEUED, 3),
        Progress(Stage.QUEUED, 2),
        Progress(Stage.GENERATING),
    ]


def test_fals_requests_ahead_read_as_a_place_in_line() -> None:
    """fal's queue_position 0 means next: the user is shown #1, as in our own queue."""
    places = [
        parse_status({"status": "IN_QUEUE", "queue_position": n}).position for n in (0, 1, 7, None)
    ]
    assert places == [1, 2, 8, 1]


async def test_polling_progress_has_no_repeats(updates: Updates) -> None:
    async with (
        FakeFal(queue_step_seconds=0.12, inference_seconds=0.1) as fal,
        make_fal_provider(
            fal, **FAST | {"poll_interval": 0.03, "status_stream": False}
        ) as provider,
    ):
        fal.fail_next(Fault.QUEUE)
        submission = await _run(provider, updates)
        reads = fal.status_reads[submission.request_id]
    *queued, last = updates.seen
    positions = [p.queue_position for p in queued]
    assert last == Progress(Stage.GENERATING)
    assert queued and all(p.stage is Stage.QUEUED for p in queued)
    # a slow event loop may skip a position, but never reports one twice
    assert positions == sorted(set(positions), key=lambda n: -(n or 0))
    assert set(positions) <= {4, 3, 2}
    assert reads > len(updates.seen)  # statuses were read more often than they changed


async def test_sse_job_costs_at_most_four_http_requests(updates: Updates) -> None:
    async with (
        FakeFal(inference_seconds=1.0) as fal,
        make_fal_provider(fal, **FAST | {"poll_interval": 1.0}) as provider,
    ):
        submission = await provider.submit(REQUEST)
        result = await provider.wait(submission, updates)
        await provider.download(result.images[0])
        rid = submission.request_id
        per_job = 1 + len(fal.requests_for(rid))  # the submit, then everything about rid
        assert (fal.stream_reads[rid], fal.status_reads[rid], fal.result_reads[rid]) == (1, 0, 1)
    assert per_job <= 4


@pytest.mark.parametrize("fault", [Fault.SSE_ERROR, Fault.SSE_DROP])
async def test_stream_failure_falls_back_to_polling_at_poll_interval(
    fault: Fault, updates: Updates
) -> None:
    async with (
        FakeFal(inference_seconds=0.6) as fal,
        make_fal_provider(fal, **FAST | {"poll_interval": 0.15}) as provider,
    ):
        fal.fail_next(fault)
        submission = await provider.submit(REQUEST)
        result = await provider.wait(submission, updates)
        rid = submission.request_id
        assert result.images
        assert fal.stream_reads[rid] == 1
        # 0.6 s of inference polled every 0.15 s, slowing down while nothing changes: a
        # handful of reads (fal-client's 0.1 s default would make 7).
        assert 1 <= fal.status_reads[rid] <= 5
        assert updates.seen[-1] == Progress(Stage.GENERATING)


async def test_transient_status_errors_are_retried_without_resubmitting(
    fal: FakeFal, polling: FalProvider, updates: Updates
) -> None:
    fal.fail_next(Fault.STATUS_500)
    submission = await _run(polling, updates)
    assert fal.status_reads[submission.request_id] >= 3
    assert len(fal.submissions) == 1


async def test_completed_with_error_is_failed_and_result_not_read(
    fal: FakeFal, provider: FalProvider, updates: Updates
) -> None:
    fal.fail_next(Fault.COMPLETED_WITH_ERROR)
    submission = await provider.submit(REQUEST)
    with pytest.raises(Failed, match="runner_disconnected"):
        await provider.wait(submission, updates)
    assert fal.result_reads[submission.request_id] == 0


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        (Fault.NO_IMAGES, Failed, "no images"),
        (Fault.NSFW, Flagged, "flagged"),
        (Fault.RESULT_EXPIRED, Failed, "result expired"),
        (Fault.FAL_CANCELLED, Cancelled, "cancelled"),
    ],
)
async def test_how_a_completed_job_can_still_fail(
    fal: FakeFal,
    provider: FalProvider,
    updates: Updates,
    fault: Fault,
    error: type[Exception],
    words: str,
) -> None:
    fal.fail_next(fault)
    submission = await provider.submit(REQUEST)
    with pytest.raises(error, match=words):
        await provider.wait(submission, updates)
    assert len(fal.submissions) == 1


async def test_trigger_word_faults_work_for_jobs(
    fal: FakeFal, provider: FalProvider, updates: Updates
) -> None:
    submission = await provider.submit(ImageRequest(prompt="fault:nsfw a fox"))
    with pytest.raises(Flagged):
        await provider.wait(submission, updates)


def test_some_flagged_images_are_marked_not_raised() -> None:
    image = {"url": "https://v3.fal.media/x.png", "width": 8, "height": 8}
    body = {"images": [image, image], "seed": 1, "has_nsfw_concepts": [True, False]}
    result = to_result("fal-ai/flux-lora", body)
    assert [i.nsfw for i in result.images] == [True, False]


def test_malformed_output_is_failed() -> None:
    with pytest.raises(Failed, match="images"):
        to_result("fal-ai/flux-lora", {"images": [{"url": "x"}], "seed": 1})


@pytest.mark.parametrize("stream", [True, False])
async def test_status_hang_is_ended_by_the_callers_deadline(
    fal: FakeFal, updates: Updates, stream: bool
) -> None:
    # The provider has no job deadline of its own: the runner's asyncio.timeout bounds it.
    async with make_fal_provider(fal, **FAST, status_stream=stream) as provider:
        fal.fail_next(Fault.STATUS_HANG)
        submission = await provider.submit(REQUEST)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await provider.wait(submission, updates)
    assert updates.seen == []


async def test_wait_resumes_from_a_stored_submission(fal: FakeFal, updates: Updates) -> None:
    async with make_fal_provider(fal, **FAST) as first:
        stored = await first.submit(REQUEST)
    async with make_fal_provider(fal, **FAST) as after_restart:
        resumed = Submission(endpoint=stored.endpoint, request_id=stored.request_id)
        result = await after_restart.wait(resumed, updates)
    assert result.images
    assert len(fal.submissions) == 1


async def test_wait_on_an_unknown_request_is_failed(polling: FalProvider, updates: Updates) -> None:
    with pytest.raises(Failed) as caught:
        await polling.wait(Submission("fal-ai/flux-lora", "no-such-id"), updates)
    assert caught.value.status == 404


async def test_wait_when_fal_is_unreachable_is_unavailable(updates: Updates) -> None:
    async with FakeFal() as fal, make_fal_provider(fal, **FAST) as provider:
        submission = await provider.submit(REQUEST)
        await fal.__aexit__(None, None, None)  # fal goes away after accepting the job
        with pytest.raises(Unavailable):
            await provider.wait(submission, updates)


async def test_cancel_a_queued_request(updates: Updates) -> None:
    async with (
        FakeFal(queue_step_seconds=5.0) as fal,
        make_fal_provider(fal, **FAST) as provider,
    ):
        submission = await provider.submit(REQUEST)
        await provider.cancel(submission)
        assert fal.cancels == [submission.request_id]
        with pytest.raises(Cancelled):
            await provider.wait(submission, updates)


async def test_cancel_after_completion_or_unknown_is_quiet(
    fal: FakeFal, provider: FalProvider, updates: Updates, logs: list[str]
) -> None:
    submission = await _run(provider, updates)
    await provider.cancel(submission)  # fal: 400 ALREADY_COMPLETED
    await provider.cancel(Submission("fal-ai/flux-lora", "no-such-id"))  # fal: 404 NOT_FOUND
    assert fal.cancels == [submission.request_id, "no-such-id"]
    ignored = [line for line in logs if "cancel (ignored)" in line]
    assert len(ignored) == 2
    assert "ALREADY_COMPLETED" in ignored[0]


async def test_errors_of_the_callback_are_not_mistaken_for_stream_failures(
    fal: FakeFal, provider: FalProvider
) -> None:
    async def broken_notifier(progress: Progress) -> None:
        raise httpx.ConnectError("chat platform unreachable")

    submission = await provider.submit(REQUEST)
    with pytest.raises(httpx.ConnectError, match="chat platform"):
        await provider.wait(submission, broken_notifier)
    assert fal.stream_reads[submission.request_id] == 1
    assert fal.status_reads[submission.request_id] == 0  # no fallback to polling
