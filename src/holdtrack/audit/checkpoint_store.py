"""Scheduled checkpoints of the audit chain (ADR 0015, issue 11 item 8).

The task worker signs a checkpoint every hour (``audit.tasks.audit_checkpoint_periodic``) into a folder:
``HOLDTRACK_AUDIT_CHECKPOINT_DIR``, by default ``checkpoints/`` in the var folder. Point the setting at storage
the database host cannot rewrite (another machine's mount, a bucket synced off the host) — a checkpoint proves
something only where the database owner cannot reach it. ``latest.json`` is a copy of the newest, so
``holdtrack audit verify --checkpoint DIR`` checks against it; the oldest beyond ``HOLDTRACK_AUDIT_CHECKPOINT_KEEP``
are removed (the newest covers every earlier position: a cut tail or a rebuilt chain fails against it).

Before signing, the chain is verified against the newest checkpoint already there: a tail cut since the last run
is reported, never signed over. Nothing is written while the chain has not grown.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from holdtrack.audit import checkpoint
from holdtrack.audit.services import ChainReport, audit_verify
from holdtrack.core.timeutil import now

log = logging.getLogger(__name__)

LATEST = "latest.json"
PATTERN = "checkpoint-*.json"
DEFAULT_KEEP = 24 * 30  # a month of hourly checkpoints


def checkpoint_dir() -> Path:
    configured = getattr(settings, "HOLDTRACK_AUDIT_CHECKPOINT_DIR", "")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "checkpoints"


def newest(directory: Path) -> Path | None:
    """The newest checkpoint file of ``directory`` (names sort by time, then position)."""
    files = sorted(directory.glob(PATTERN))
    return files[-1] if files else None


def resolve(path: Path) -> Path:
    """A checkpoint file as given, or the newest in a folder of scheduled checkpoints."""
    if not path.is_dir():
        return path
    found = newest(path)
    if found is None:
        raise checkpoint.CheckpointError(f"no checkpoint in {path}")
    return found


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    tmp.write_text(text)
    os.replace(tmp, path)


def checkpoint_write(out: Path) -> ChainReport:
    """Verify the chain, then write a checkpoint of it to ``out``. Raises CheckpointError for a broken chain."""
    report = audit_verify()
    if not report.ok:
        raise checkpoint.CheckpointError(f"Refusing to sign a broken chain: {report.problem}")
    _write_atomic(out, checkpoint.sign(report.checked, report.head, report.head_key, report.events, report.transitions))
    return report


@dataclass
class Scheduled:
    written: str = ""  # file name, or "" when nothing was written
    seq: int = 0
    removed: int = 0
    skipped: str = ""  # why nothing was written
    ok: bool = True  # False when the chain (or the newest checkpoint) does not verify

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def checkpoint_scheduled(directory: Path | None = None, keep: int | None = None) -> Scheduled:
    """Sign a checkpoint into ``directory`` if the chain grew since the newest one there, then apply retention."""
    directory = directory or checkpoint_dir()
    keep = keep if keep is not None else int(getattr(settings, "HOLDTRACK_AUDIT_CHECKPOINT_KEEP", DEFAULT_KEEP))
    directory.mkdir(parents=True, exist_ok=True)
    previous_path = newest(directory)
    previous = None
    if previous_path is not None:
        try:
            previous = checkpoint.load(previous_path.read_text())
        except checkpoint.CheckpointError as exc:
            log.error("audit checkpoint: %s does not load (%s); nothing signed", previous_path, exc)
            return Scheduled(skipped=f"{previous_path.name}: {exc}", ok=False)
    report = audit_verify(checkpoint=previous)
    if not report.ok:
        log.error("audit checkpoint: chain does not verify (%s); nothing signed", report.problem)
        return Scheduled(skipped=f"chain does not verify: {report.problem}", seq=report.checked, ok=False)
    if previous is not None and previous.seq == report.checked:
        return Scheduled(skipped="chain unchanged since the newest checkpoint", seq=previous.seq)
    text = checkpoint.sign(report.checked, report.head, report.head_key, report.events, report.transitions)
    name = f"checkpoint-{now():%Y%m%dT%H%M%SZ}-{report.checked:012d}.json"
    _write_atomic(directory / name, text)
    _write_atomic(directory / LATEST, text)
    removed = 0
    if keep > 0:  # 0 keeps every checkpoint
        for old in sorted(directory.glob(PATTERN))[:-keep]:
            old.unlink(missing_ok=True)
            removed += 1
    log.info("audit checkpoint %s written (position %s, %s removed)", name, report.checked, removed)
    return Scheduled(written=name, seq=report.checked, removed=removed)
