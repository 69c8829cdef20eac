"""How a stopped import names its stop (custody/ingest/lifecycle.py): a SIGTERM or Ctrl-C that lands while a
query runs surfaces as the database error of the rollback after it, and is still reported as the stop."""

from __future__ import annotations

from django.db import ProgrammingError

from holdtrack.console.terminal import Terminated
from holdtrack.custody.ingest.lifecycle import failure_reason, stop_in


def _rollback_failed_after(stop: BaseException) -> ProgrammingError:
    try:
        try:
            raise stop
        except BaseException:
            raise ProgrammingError("can't change 'autocommit' now: connection in transaction status ACTIVE")  # noqa: B904
    except ProgrammingError as exc:
        return exc


def test_a_stop_behind_a_database_error_is_found_and_named() -> None:
    sigterm = _rollback_failed_after(Terminated("stopped by SIGTERM"))
    assert isinstance(stop_in(sigterm), Terminated)
    assert failure_reason(sigterm) == "stopped by SIGTERM"
    ctrl_c = _rollback_failed_after(KeyboardInterrupt())
    assert isinstance(stop_in(ctrl_c), KeyboardInterrupt)
    assert failure_reason(ctrl_c) == "interrupted (Ctrl-C)"


def test_a_database_error_without_a_stop_stays_itself() -> None:
    plain = ProgrammingError("relation does not exist")
    assert stop_in(plain) is None
    assert failure_reason(plain) == "ProgrammingError: relation does not exist"
