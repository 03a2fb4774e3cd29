"""Writing and removing the policy files of :mod:`bridge.install.policy`.

Every file is written with :func:`bridge.fileio.write_json` (atomically), mode 0644 (browsers run as the
logged-in user and must read it). *root* prefixes every path: ``/`` on a real machine, a
folder when preparing a disk image or in tests.

Firefox's ``policies.json`` is shared with the organisation's other policies: it is read,
merged (or unmerged) and written back; a file that is not JSON is left alone with an error,
never overwritten.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bridge.fileio import write_json
from bridge.install.policy import PolicyFile, merge_firefox, unmerge_firefox

MAX_POLICY_FILE = 1024 * 1024


def target(root: Path, file: PolicyFile) -> Path:
    return root / file.path.lstrip("/")


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_POLICY_FILE + 1)
    except FileNotFoundError:
        return None
    if len(raw) > MAX_POLICY_FILE:
        raise ValueError(f"{path} is larger than {MAX_POLICY_FILE // 1024} KiB: not touching it")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError(f"{path} is not valid JSON: fix or remove it by hand, then run this again") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object: fix or remove it by hand, then run this again")
    return data


def rendered(root: Path, file: PolicyFile) -> dict[str, Any]:
    """The whole document that writing *file* would leave on disk."""
    if file.merged:
        return merge_firefox(_read_json(target(root, file)), file.content)
    return file.content


def write(root: Path, files: tuple[PolicyFile, ...]) -> list[str]:
    # Render everything first: a Firefox file we must not touch stops the run before any write.
    docs = [(target(root, f), rendered(root, f)) for f in files]
    done = []
    for path, doc in docs:
        os.makedirs(path.parent, mode=0o755, exist_ok=True)
        write_json(path, doc, mode=0o644)
        done.append(f"wrote {path}")
    return done


def remove(root: Path, files: tuple[PolicyFile, ...]) -> list[str]:
    done = []
    for f in files:
        path = target(root, f)
        if not f.merged:
            try:
                path.unlink()
                done.append(f"removed {path}")
            except FileNotFoundError:
                done.append(f"already gone: {path}")
            continue
        existing = _read_json(path)
        if existing is None:
            done.append(f"already gone: {path}")
            continue
        rest = unmerge_firefox(existing)
        if rest == existing:
            done.append(f"nothing of ours in {path}")
        elif rest in ({}, {"policies": {}}):
            path.unlink()
            done.append(f"removed {path} (nothing else was in it)")
        else:
            write_json(path, rest, mode=0o644)
            done.append(f"removed our entries from {path}, kept the others")
    return done
