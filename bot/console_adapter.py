"""Terminal front end: the same commands as the chat platforms, one per line of input.

Scriptable: ``printf '/imagine a fox\\n/balance\\n' | python -m bot console``. Progress and
results are printed; images are saved under the configured output folder. At end of input
it waits for the jobs still in flight, then returns.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TextIO

from bot.core import texts
from bot.core.commands import Caller
from bot.core.ports import DeliveredImage
from bot.core.present import progress_text, result_caption
from bot.core.router import CommandRouter
from bot.core.runner import JobRunner
from records import ChatRef, Job, Stage

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class ConsoleNotifier:
    """Prints progress and failures; saves delivered images to ``output_dir``."""

    def __init__(self, *, out: TextIO, output_dir: Path) -> None:
        self._out = out
        self._dir = output_dir
        self._last: dict[str, str] = {}

    def _say(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    async def progress(self, job: Job, stage: Stage, position: int | None) -> None:
        line = f"[{job.id}] {progress_text(job, stage, position)}"
        if self._last.get(job.id) != line:
            self._last[job.id] = line
            self._say(line)

    async def delivered(self, job: Job, images: Sequence[DeliveredImage]) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        paths = [self._save(job, image) for image in images]
        self._last.pop(job.id, None)
        self._say(result_caption(job))
        for path in paths:
            self._say(texts.SAVED_TO.format(path=path))

    def _save(self, job: Job, image: DeliveredImage) -> Path:
        ext = EXTENSIONS.get(image.content_type, "img")
        path = self._dir / f"{job.id}-{image.index + 1}.{ext}"
        # Written whole then renamed, so a crash never leaves half an image under the name.
        partial = path.with_suffix(".part")
        partial.write_bytes(image.data)
        partial.replace(path)
        return path

    async def failed(self, job: Job, message: str) -> None:
        self._last.pop(job.id, None)
        self._say(message)


async def read_lines(stream: TextIO) -> AsyncIterator[str]:
    """Lines of a pipe or terminal without blocking the loop; a regular file is read plainly."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stream)
    except (ValueError, OSError):  # a regular file: reads never block
        for line in stream:
            yield line
        return
    while raw := await reader.readline():
        yield raw.decode("utf-8", errors="replace")


class ConsoleFrontEnd:
    """Reads commands from standard input and answers on standard output."""

    def __init__(
        self,
        *,
        router: CommandRouter,
        runner: JobRunner,
        caller: Caller,
        stdin: TextIO = sys.stdin,
        out: TextIO = sys.stdout,
    ) -> None:
        self._router = router
        self._runner = runner
        self._caller = caller
        self._stdin = stdin
        self._out = out
        self._chat = ChatRef(chat_id="console")

    async def wait_ready(self) -> None:
        """The terminal is always there."""

    async def run(self) -> None:
        print(texts.CONSOLE_READY, file=self._out, flush=True)
        started = 0
        async for line in read_lines(self._stdin):
            if not line.strip():
                continue
            reply = await self._router.handle(self._caller, line, self._chat)
            print(reply.text, file=self._out, flush=True)
            started += 1 if reply.new else 0
        if started:
            print(texts.CONSOLE_WAITING.format(count=started), file=self._out, flush=True)
        await self._runner.wait_idle()
