"""The console front end driven through standard input, as an operator scripts it."""

from pathlib import Path

from PIL import Image

from bot.core import texts
from tests.fakes.fal_server import FakeFal
from tests.subprocess_bot import finished, start_console


async def test_console_end_to_end(tmp_path: Path) -> None:
    async with FakeFal(inference_seconds=0.1, queue_steps=2) as fal:
        bot = await start_console(tmp_path, fal)
        script = b"/imagine a red fox at dawn --ar 16:9\n/imagine broken fault:422\n/balance\n"
        stdout, stderr = await finished(bot, script, 60)
    assert bot.returncode == 0, stderr
    assert texts.CONSOLE_READY in stdout
    assert "accepted: 1 image(s), 2 credits held" in stdout
    assert "⏳ Queued" in stdout or "🎨 Generating" in stdout
    assert "credits were returned" in stdout and "fal refused the request" in stdout
    saved = [line.split("saved ", 1)[1] for line in stdout.splitlines() if "saved " in line]
    assert len(saved) == 1
    with Image.open(saved[0]) as image:
        assert image.size[0] > image.size[1]  # 16:9
    assert "Traceback" not in stdout + stderr  # (and finished() scanned both for secrets)


async def test_console_admin_needs_the_flag(tmp_path: Path) -> None:
    async with FakeFal() as fal:
        plain = await start_console(tmp_path, fal)
        out, _ = await finished(plain, b"/grant local 5\n", 30)
        assert texts.NOT_ADMIN in out
        admin = await start_console(tmp_path, fal, "--as-admin")
        out, _ = await finished(admin, b"/start\n/grant local 5\n/balance\n", 30)
    assert "Granted 5 credits to console:local" in out
    assert "💳 15 credits available" in out
