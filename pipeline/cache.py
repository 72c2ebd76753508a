"""Content-keyed artifacts: a phase's output is stored under the hash of its inputs.

A re-run after a crash, or a revision that changes one scene, finds finished artifacts
by key and skips their work.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel


def content_key(*parts: object) -> str:
    """A short stable hash of JSON-able parts (pydantic models are dumped first)."""
    norm = [p.model_dump(mode="json") if isinstance(p, BaseModel) else p for p in parts]
    blob = json.dumps(norm, sort_keys=True, default=str, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


class WorkDir:
    """One task's working folder; every path below it comes from a hash, never from user text."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, kind: str, key: str, suffix: str) -> Path:
        folder = self.root / kind
        folder.mkdir(exist_ok=True)
        return folder / f"{key}{suffix}"

    @contextmanager
    def writing(self, final: Path) -> Iterator[Path]:
        """Yield a temporary path; rename it to `final` only if the block succeeds.

        The name is unique per writer: two threads may build the same content at once (two
        identical scenes), and the later rename then just replaces equal bytes.
        """
        tmp = final.with_name(f".tmp-{uuid.uuid4().hex[:12]}-{final.name}")
        try:
            yield tmp
            tmp.replace(final)
        finally:
            tmp.unlink(missing_ok=True)

    def build(self, final: Path, write: Callable[..., object], *args: object) -> Path:
        """`final`, made by `write(temporary path, *args)` only if it is not there yet (content
        keys make an existing file the same bytes), renamed into place only if `write` succeeds."""
        if not final.exists():
            with self.writing(final) as tmp:
                write(tmp, *args)
        return final

    def clean_temporaries(self) -> None:
        for tmp in self.root.rglob(".tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
