"""Records: the plain values every layer shares (front ends, core, storage, providers).

Frozen dataclasses and StrEnums only; this package imports nothing of the project, so
storage and providers can use it without importing ``bot`` (see the import-linter
contracts in pyproject.toml).

    users        Platform, UserRef, ChatRef
    generation   what is asked of a provider and what it returns (ImageRequest, ImageResult …)
    jobs         JobState and Job
    credits      Balance and LedgerEntry
"""

from records.credits import Balance, LedgerEntry
from records.generation import (
    GeneratedImage,
    ImageRequest,
    ImageResult,
    InputImage,
    JobKind,
    LoraWeight,
    Progress,
    Stage,
    Submission,
)
from records.jobs import TERMINAL_STATES, Job, JobState
from records.users import ChatRef, Platform, UserRef

__all__ = [
    "TERMINAL_STATES",
    "Balance",
    "ChatRef",
    "GeneratedImage",
    "ImageRequest",
    "ImageResult",
    "InputImage",
    "Job",
    "JobKind",
    "JobState",
    "LedgerEntry",
    "LoraWeight",
    "Platform",
    "Progress",
    "Stage",
    "Submission",
    "UserRef",
]
