"""The periodic sweep (``cases.tasks``) is found by the worker's discovery, as ``run_huey`` and the in-process
worker run it, and keeps its once-a-minute schedule."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY

from holdtrack.cases.services.sweep import SweepResult
from holdtrack.cases.tasks import sweep_periodic


def test_the_worker_discovers_the_sweep_every_minute():
    autodiscover_modules("tasks")
    periodic = {f"{t.__module__}.{t.__name__}": t for t in HUEY._registry._periodic_tasks}
    task = periodic["holdtrack.cases.tasks.sweep_periodic"]()
    assert all(task.validate_datetime(datetime(2026, 12, 6, 12, minute)) for minute in (0, 1, 59))


@pytest.mark.django_db
def test_the_task_runs_the_sweep():
    assert sweep_periodic.call_local() == SweepResult().as_dict()  # nothing is due in an empty database
