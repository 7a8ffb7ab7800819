"""Logging: secrets never reach the sink, stdlib loggers are routed, httpx is quiet."""

import io
import logging

from loguru import logger

from bot.logs import setup_logging

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_secrets_and_token_shaped_strings_are_redacted_everywhere() -> None:
    out = io.StringIO()
    setup_logging("DEBUG", ["fal-secret-key-1"], stream=out)
    logger.bind(job_id="j1", request_id="r1").info("using fal-secret-key-1")
    logging.getLogger("telegram.ext").error("GET https://api.telegram.org/bot%s/getMe", TOKEN)
    try:
        raise RuntimeError(f"boom fal-secret-key-1 {TOKEN}")
    except RuntimeError:
        logger.exception("failed")
    text = out.getvalue()
    assert "fal-secret-key-1" not in text and TOKEN not in text
    assert text.count("[REDACTED]") >= 4
    assert "[job_id=j1 request_id=r1]" in text
    assert "RuntimeError" in text


def test_httpx_request_lines_are_not_logged() -> None:
    out = io.StringIO()
    setup_logging("DEBUG", [], stream=out)
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot1:x/getMe")
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert "HTTP Request" not in out.getvalue()
