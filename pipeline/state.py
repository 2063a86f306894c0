"""State files: derived data the next run can always rebuild, written so a crash never tears them.

`data/state/*.json`, the extraction and page-text caches and the commit journal are all derived
from the raw files and the code. So a file that cannot be read (garbage, empty, truncated,
not the shape expected) never stops a run: it is logged, moved aside as
`<name>.corrupt-<n>` (for a person to look at; nothing reads it again) and treated as absent,
which makes the run re-fetch, re-extract or rebuild what it described. Every state file is
written like any other file of the data directory (`workspace.write_json_atomic`); temporaries a
killed run left behind are swept at the start of the next run (`Workspace.sweep_temporaries`).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

log = logging.getLogger("pipeline")


def move_aside(path: Path, reason: str) -> Path:
    """Rename an unreadable state file out of the way, keeping every earlier one."""
    n = 1
    while (aside := path.with_name(f"{path.name}.corrupt-{n}")).exists():
        n += 1
    os.replace(path, aside)
    log.warning("state: %s could not be read (%s); moved aside as %s and rebuilt", path, reason, aside.name,
                extra={"stage": "state", "status": "corrupt"})
    return aside


def read_json_state(path: Path, expected: type = dict):
    """The JSON in `path` if it is there and of the `expected` type, else None (a corrupt file is
    moved aside first, see the module docstring)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as err:
        move_aside(path, f"not UTF-8 text: {err}")
        return None
    try:
        value = json.loads(text)
    except ValueError as err:
        move_aside(path, f"{'empty' if not text.strip() else 'not JSON'}: {err}")
        return None
    if not isinstance(value, expected):
        move_aside(path, f"expected a JSON {expected.__name__}, found a {type(value).__name__}")
        return None
    return value
