"""Worker processes that run Django: the start of a spawned worker.

A spawned worker unpickles its initializer by module path before anything has set Django up, so this module
imports nothing of Django's models at import time.
"""

from __future__ import annotations

import importlib
import os
from typing import Any


def django_worker_start(settings_module: str, database: str, tuning: dict[str, dict[str, Any]]) -> None:
    """Set Django up in a spawned worker on the parent's database (under the test runner, its test database),
    then give the named modules the settings the parent has (``tuning``: module → attribute → value), which a
    benchmark or a test may have changed at run time."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django  # noqa: PLC0415 - set up here, in the worker

    django.setup()
    from django.db import connections  # noqa: PLC0415 - after setup

    connections["default"].settings_dict["NAME"] = database
    for module, values in tuning.items():
        for name, value in values.items():
            setattr(importlib.import_module(module), name, value)
