"""Version folders of the knowledge index on disk: ``v-<nanoseconds>-<pid>``, newest by the time in the name.

The folder's name is the version a replica learns (:mod:`agent.state.versions`) and loads, so it is
checked before it names a path. The newest :data:`KEEP_VERSIONS` folders stay: a replica still loading
the previous version when the next one is published is not broken; older ones and folders of builds
that never finished are removed by the indexer after each build.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

KEEP_VERSIONS = 3  # the current version folder and the two before it
_NAME = re.compile(r"v-(\d+)-(\d+)")


def new_version(pid: int) -> str:
    return f"v-{time.time_ns()}-{pid}"


def is_version(name: str) -> bool:
    return _NAME.fullmatch(name) is not None


def older(name: str, than: str) -> bool:
    """Whether version ``name`` was built before version ``than`` (a name that is no version is older)."""
    a, b = _NAME.fullmatch(name), _NAME.fullmatch(than)
    return b is not None and (a is None or int(a[1]) < int(b[1]))


def prune(root: Path, keep: str, versions: int = KEEP_VERSIONS) -> list[str]:
    """Keep ``keep`` and the newest folders before it (``versions`` in all); return the removed ones."""
    found: list[tuple[int, str]] = []
    removed: list[str] = []
    for entry in root.iterdir():
        if not (entry.is_dir() and entry.name.startswith("v-")) or entry.name == keep:
            continue
        if (named := _NAME.fullmatch(entry.name)) is None:  # "….tmp": a build that never finished
            removed.append(entry.name)
        else:
            found.append((int(named[1]), entry.name))
    removed += [name for _, name in sorted(found, reverse=True)[versions - 1:]]
    for name in removed:
        shutil.rmtree(root / name, ignore_errors=True)
    return removed
