"""Logs for people and for cron: ISO timestamps on machine lines, and one closing summary.

A nightly job's log is read by a collector (`--log-format json`): every line carries `time`
(UTC, ISO 8601) and the structured fields a stage attaches, and the last line of a command is a
`run_summary` event with the document counts by status, the check counts and the exit code, so
an alert can key on one line instead of parsing the table printed on stdout.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timezone

log = logging.getLogger("pipeline")

SUMMARY_EVENT = "run_summary"


def iso_time(created: float) -> str:
    """A log record's time as ISO 8601 in UTC, to the millisecond: 2026-12-01T20:45:48.123Z."""
    return datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def log_run_summary(command: str, statuses: Iterable[str], exit_code: int, seconds: float, **counts: int) -> None:
    """The closing event of a command: INFO when it ended 0 or 3 (partial is a normal night with
    editions not yet published), ERROR when it failed, so `--quiet` prints it only then."""
    by_status = dict(sorted(Counter(statuses).items()))
    text = ", ".join(f"{n} {status}" for status, n in by_status.items()) or "no documents"
    extra_text = "".join(f"; {n} {name.replace('_', ' ')}" for name, n in counts.items())
    level = logging.INFO if exit_code in (0, 3) else logging.ERROR
    log.log(level, "%s: %s exited %d: %s%s; %.1fs", SUMMARY_EVENT, command, exit_code, text, extra_text, seconds,
            extra={"event": SUMMARY_EVENT, "command": command, "exit_code": exit_code, "documents": by_status,
                   "seconds": round(seconds, 3), **counts})
