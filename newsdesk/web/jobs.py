"""Reports added from the desk, analysed in a background thread with visible progress.

One worker thread takes jobs in order: SQLite has one writer at a time anyway, and the
spaCy model is loaded once and reused. Each job goes through the runner
(`pipeline.run_articles`, without publishing), so a report added here gets exactly the
analysis, the stored records and the run log entry a report given to `newsdesk analyze`
gets.
"""

from __future__ import annotations

import logging
import queue
import re
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from newsdesk.web.errors import DeskError

log = logging.getLogger(__name__)

_SAFE_SUFFIXES = {
    ".txt",
    ".text",
    ".html",
    ".htm",
    ".jsonl",
    ".json",
    ".xml",
    ".rss",
    ".atom",
    ".warc",
    ".gz",
    ".md",
}


@dataclass(slots=True)
class _Job:
    id: str
    files: int
    status: str = "queued"  # queued, reading, analysing, linking, done, failed
    total: int = 0
    done: int = 0
    article_ids: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    message: str = ""
    created: float = field(default_factory=time.time)
    finished: float | None = None


class Jobs:
    """The queue of uploads for one store, and their progress for the page to poll."""

    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[str, Path]] = queue.Queue()
        self._thread: threading.Thread | None = None

    def submit(self, items: list[tuple[str, bytes]]) -> dict[str, Any]:
        """Save the uploaded files under safe names in a private folder and queue them."""
        folder = Path(tempfile.mkdtemp(prefix="newsdesk-upload-"))
        for i, (name, data) in enumerate(items):
            (folder / _safe_name(i, name)).write_bytes(data)
        job = _Job(id=secrets.token_hex(8), files=len(items))
        with self._lock:
            self._jobs[job.id] = job
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._work, name="newsdesk-jobs", daemon=True
                )
                self._thread.start()
        self._queue.put((job.id, folder))
        return self.get(job.id)

    def get(self, job_id: str) -> dict[str, Any]:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise DeskError(404, f"no such upload job: {job_id}")
            return asdict(job)

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            job = self._jobs[job_id]
            for key, value in changes.items():
                setattr(job, key, value)

    def _work(self) -> None:
        while True:
            job_id, folder = self._queue.get()
            try:
                self._run(job_id, folder)
            except Exception as exc:  # the worker must survive one bad job
                log.exception("upload job %s failed", job_id)
                self._update(
                    job_id,
                    status="failed",
                    message=f"{type(exc).__name__}: {exc}",
                    finished=time.time(),
                )
            finally:
                shutil.rmtree(folder, ignore_errors=True)
                self._queue.task_done()

    def _run(self, job_id: str, folder: Path) -> None:
        from newsdesk.ingest.readers import read_inputs
        from newsdesk.models import Article, InputError
        from newsdesk.pipeline import run_articles

        self._update(job_id, status="reading")
        paths = sorted(folder.iterdir())
        items = list(read_inputs([str(p) for p in paths]))
        unreadable = {id(i) for i in items if isinstance(i, InputError)}
        total = len({i.id for i in items if isinstance(i, Article)})
        self._update(job_id, status="analysing", total=total)
        ids: list[str] = []
        errors: list[str] = []
        failed = 0

        def advanced() -> None:
            done = len(ids) + failed
            status = "linking" if done == total else "analysing"
            self._update(
                job_id, status=status, done=done, article_ids=list(ids), errors=list(errors)
            )

        def stored(article_id: str) -> None:
            ids.append(article_id)
            advanced()

        def error(err: InputError) -> None:
            nonlocal failed
            errors.append(f"{Path(err.source).name}: {err.reason}")
            if id(err) not in unreadable:  # an article whose analysis failed
                failed += 1
            advanced()

        run_articles(
            items,
            sources=[f"upload:{p.name}" for p in paths],
            out_dir=None,
            db_path=self._db_path,
            on_error=error,
            on_article=stored,
        )
        self._update(
            job_id,
            status="done",
            finished=time.time(),
            message=f"{len(ids)} report(s) added, {len(errors)} error(s)",
        )


def _safe_name(index: int, name: str) -> str:
    """A file name that cannot leave the job's folder: the client's name is only a hint.

    The base name keeps letters, digits, dots, dashes and underscores (ingest may read the
    outlet or format from it); the index prefix keeps names unique and never hidden.
    """
    base = (
        re.sub(r"[^A-Za-z0-9._-]", "_", Path(name.replace("\\", "/")).name).strip("._") or "report"
    )
    suffix = Path(base).suffix.lower()
    if suffix not in _SAFE_SUFFIXES:
        base += ".txt"
    return f"{index:03d}-{base[-120:]}"
