"""Moved to the kernel (ADR 0019): the step machinery is ``holdtrack.kernel.steps``, the party checks are the
rules of ``holdtrack.kernel.parties``. Kept so older imports of the role-only helpers keep working."""

from __future__ import annotations

from holdtrack.kernel.steps import locked, note, require, step, when

__all__ = ["locked", "note", "require", "step", "when"]
