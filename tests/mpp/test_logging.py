from __future__ import annotations

import io
import json
import logging

from mpp.logging import configure_logging


def test_json_lines_with_personal_data_redacted() -> None:
    buf = io.StringIO()
    configure_logging("INFO", buf)
    log = logging.getLogger("test.redaction")
    log.info("pesan dari 081234567890: NIK 3174012304850003", extra={"first_name": "Budi", "chat_id": 42})
    try:
        raise ValueError("nomor 0812-3456-7890 gagal")
    except ValueError:
        log.exception("gagal")
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert lines[0]["msg"] == "pesan dari [PHONE]: NIK [NIK]"
    assert lines[0]["first_name"] == "[NAME]"
    assert lines[0]["chat_id"] == 42
    assert lines[0]["level"] == "INFO"
    assert "0812" not in lines[1]["exc"] and "[PHONE]" in lines[1]["exc"]
    assert "Budi" not in buf.getvalue()


def test_newlines_cannot_forge_log_lines() -> None:
    buf = io.StringIO()
    configure_logging("INFO", buf)
    logging.getLogger("t").warning("halo\nINFO fake log line")
    assert len(buf.getvalue().splitlines()) == 1
