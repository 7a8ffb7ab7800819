"""The fake fal as a process of its own (``python -m tests.fakes.fal_server``)."""

from __future__ import annotations

import argparse
import asyncio
import signal

from tests.fakes.fal_server.server import FakeFal


async def _serve(port: int, inference_seconds: float, queue_steps: int) -> None:
    fake = FakeFal(port=port, inference_seconds=inference_seconds, queue_steps=queue_steps)
    async with fake:
        print(fake.url, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m tests.fakes.fal_server``."""
    parser = argparse.ArgumentParser(description="Fake fal.ai server for tests")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--inference-seconds", type=float, default=0.5)
    parser.add_argument("--queue-steps", type=int, default=1)
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.port, args.inference_seconds, args.queue_steps))
