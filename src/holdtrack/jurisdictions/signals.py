"""Signals of the reference data, for the apps above it (this app imports none of them)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent, inside the writing transaction, after a write that may have moved agencies between areas of
# responsibility without saving each model (``load_reference``'s set-based upserts). Argument ``lea_ids``: the
# agencies concerned, or None for all. Saves of one agency or jurisdiction are seen through ``post_save``.
areas_changed = Signal()
