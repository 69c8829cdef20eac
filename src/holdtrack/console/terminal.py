"""Terminal helpers shared by the commands: consoles on the command's streams, the operator's login name for
provenance, and a progress bar with one task per stage."""

from __future__ import annotations

import getpass
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import IO, NoReturn, cast

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from holdtrack.accounts.models import User
from holdtrack.accounts.services import system_user
from holdtrack.core.importfile import Problems, bad_rows

StageProgress = Callable[[str, int, int | None], None]


def consoles(command: BaseCommand) -> tuple[Console, Console]:
    """(stderr, stdout) consoles; progress and problems go to stderr so stdout stays clean."""
    command.stderr.ending = ""
    err = Console(file=cast(IO[str], command.stderr), highlight=False, soft_wrap=True)
    out = Console(file=cast(IO[str], command.stdout), highlight=False, soft_wrap=True)
    return err, out


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


def actor_named(username: str) -> User:
    """The user ``--as USER`` names, or the system account when none is named."""
    if not username:
        return system_user()
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user named {username!r}.", returncode=1)
    return user


@contextmanager
def phase_bar(console: Console, what: str, *, disable: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A bar for one phase of a long command (the demo's, a simulated history), with the time elapsed and an
    estimate of what remains; ``progress(done, total)`` moves it."""
    with Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("remaining"),
        TimeRemainingColumn(),
        console=console,
        transient=not console.is_terminal,
        disable=disable,
    ) as bar:
        task = bar.add_task(what, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield progress


@contextmanager
def stage_progress(err: Console) -> Iterator[StageProgress]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=not err.is_terminal,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{stage} rows", total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield progress


class Terminated(BaseException):
    """SIGTERM as an exception, so that a long command's failure handlers run (an import marks its run FAILED)."""


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises ``Terminated`` instead of ending the process silently."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread (e.g. a test's worker thread)
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated("stopped by SIGTERM")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


SHOWN_PROBLEMS = 100


def refuse_file(err: Console, file_name: str, problems: Problems, rows_read: int) -> NoReturn:
    """The first problems of a refused file on standard error, then exit 1: a file with a bad row saves nothing."""
    lines = problems.lines()
    for line in lines[:SHOWN_PROBLEMS]:
        err.print(line, markup=False)
    if len(lines) > SHOWN_PROBLEMS:
        err.print(f"… and {len(lines) - SHOWN_PROBLEMS:,} more problems")
    raise CommandError(
        f"{file_name}: {bad_rows(problems.bad_rows)} of {rows_read:,}; nothing was imported.", returncode=1
    )
