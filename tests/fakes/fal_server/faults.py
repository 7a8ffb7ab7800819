"""The fake fal's faults: what can go wrong, and which submit or job a fault hits.

A fault is scripted (``FaultScript.add``, behind ``FakeFal.fail_next``) or asked for by a
trigger word in the prompt, ``fault:<name>[*N]``; see the package docstring.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    """Scriptable misbehaviour of the fake."""

    SUBMIT_500 = "submit_500"  # fal's own 500 (x-fal-request-id): fal-client does not retry
    SUBMIT_502_PROXY = "submit_502_proxy"  # nginx page, no request id: fal-client retries
    SUBMIT_503 = "submit_503"  # runner_scheduling_failure with x-fal-request-id
    SUBMIT_429 = "submit_429"  # fal-client retries it up to MAX_ATTEMPTS
    SUBMIT_422 = "submit_422"  # detail list [{loc, msg, type}]
    SUBMIT_HANG = "submit_hang"  # the submit POST never answers (outcome unknown)
    COMPLETED_WITH_ERROR = "completed_with_error"  # runner_disconnected; result GET → 500
    NO_IMAGES = "no_images"
    NSFW = "nsfw"  # black images, has_nsfw_concepts all true
    IMAGE_404 = "image_404"
    IMAGE_HANG = "image_hang"  # the CDN never answers
    STATUS_HANG = "status_hang"  # status and SSE never answer
    RESULT_EXPIRED = "result_expired"  # result GET → 404 after COMPLETED
    FAL_CANCELLED = "fal_cancelled"  # result GET → 499
    SLOW = "slow"  # inference takes slow_seconds
    QUEUE = "queue"  # queue positions 3, 2, 1 before IN_PROGRESS
    SSE_ERROR = "sse_error"  # the status stream answers 500
    SSE_DROP = "sse_drop"  # the status stream closes after its first event
    STATUS_500 = "status_500"  # the first two status reads answer 500 (then normal)
    IMAGE_FLAKY = "image_flaky"  # the CDN answers 503 to the first GET of each image


SUBMIT_FAULTS = frozenset(f for f in Fault if f.startswith("submit_"))
_ALIASES = {code: Fault(f"submit_{code}") for code in ("422", "429", "500", "503")}
_ALIASES["502"] = Fault.SUBMIT_502_PROXY
_TRIGGER = re.compile(r"fault:([a-z0-9_]+)(?:\*(\d+))?")


@dataclass
class _Scripted:
    fault: Fault
    count: int
    endpoint: str | None


class FaultScript:
    """Scripted faults still to hit, and how often each prompt's trigger words were used."""

    def __init__(self) -> None:
        self._script: list[_Scripted] = []
        self._trigger_uses: Counter[tuple[str, Fault]] = Counter()

    def add(self, fault: Fault | str, count: int, endpoint: str | None) -> None:
        self._script.append(_Scripted(Fault(fault), count, endpoint))

    def clear(self) -> None:
        self._script.clear()

    def _take(self, kinds: frozenset[Fault], endpoint: str, *, first: bool) -> list[Fault]:
        taken: list[Fault] = []
        for entry in list(self._script):
            if entry.fault in kinds and entry.endpoint in (None, endpoint):
                entry.count -= 1
                if entry.count <= 0:
                    self._script.remove(entry)
                taken.append(entry.fault)
                if first:
                    break
        return taken

    @staticmethod
    def _triggers(prompt: str) -> list[tuple[Fault, int]]:
        found = []
        for name, count in _TRIGGER.findall(prompt):
            fault = _ALIASES.get(name) or Fault._value2member_map_.get(name)
            if isinstance(fault, Fault):  # other "fault:…" words are ordinary prompt text
                found.append((fault, int(count or 1)))
        return found

    def submit_fault(self, endpoint: str, prompt: str) -> Fault | None:
        """The fault this submit meets, if any (it uses up a scripted one or a trigger)."""
        scripted = self._take(SUBMIT_FAULTS, endpoint, first=True)
        if scripted:
            return scripted[0]
        for fault, count in self._triggers(prompt):
            if fault in SUBMIT_FAULTS:
                self._trigger_uses[(prompt, fault)] += 1
                if self._trigger_uses[(prompt, fault)] <= count:
                    return fault
        return None

    def job_faults(self, endpoint: str, prompt: str) -> frozenset[Fault]:
        """Every fault the new job will show (scripted ones are used up)."""
        job_kinds = frozenset(Fault) - SUBMIT_FAULTS
        scripted = self._take(job_kinds, endpoint, first=False)
        triggered = [fault for fault, _ in self._triggers(prompt) if fault in job_kinds]
        return frozenset([*scripted, *triggered])
