"""Run one poll in a fresh process and report how far its peak memory rose (for test_ingest_memory).

Usage: python -m tests.integration.memory_probe DATABASE_URL INBOX_URL WORKDIR
"""
import json
import sys
from pathlib import Path


def memory_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process image; ru_maxrss would include the parent's
    peak, which Linux carries across fork and exec."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def main() -> None:
    database_url, inbox_url, workdir = sys.argv[1:4]
    from assembly import build_app
    from mail_ingest.poller import poll_once

    app = build_app("testing", {
        "SQLALCHEMY_DATABASE_URI": database_url, "SOPORTE_INBOX_URL": inbox_url,
        "SOPORTE_MAIL_DIR": str(Path(workdir) / "mail"),
        "SOPORTE_ATTACHMENT_DIR": str(Path(workdir) / "attachments"),
        "SOPORTE_ATTACHMENT_MAX_BYTES": 30 * 1024 * 1024})
    with app.app_context():
        before = max(memory_kb("VmRSS"), memory_kb("VmHWM"))  # the peak so far, to be strict
        report = poll_once()
        peak = memory_kb("VmHWM")
    # the poller is two processes: this one, and the read-ahead child that downloads, parses
    # and stores attachments; both rises are counted, as if they peaked at the same moment
    reader = report.reader["reader_peak_rise_kb"]
    print(json.dumps({"rise_kb": peak - before + reader, "poller_rise_kb": peak - before,
                      "reader_rise_kb": reader, "outcomes": report.outcomes,
                      "before_kb": before, "peak_kb": peak}))


if __name__ == "__main__":
    main()
