"""The Procfile that `make stack` runs (scripts/stack.sh, docs/deploy.md): each role is a real holdtrack command
whose options parse, each records the pid `make stack-stop` reads, and the web role leaves tasks to the worker."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class
from honcho.environ import parse_procfile

ROOT = Path(__file__).resolve().parents[2]
STACK_ENV = {
    "STACK_RUN": "run",
    "STACK_BIND": "127.0.0.1:8000",
    "STACK_WEB_WORKERS": "2",
    "STACK_WEB_THREADS": "4",
    "STACK_HUEY_WORKERS": "3",
}


def _procfile() -> dict[str, str]:
    return dict(parse_procfile((ROOT / "Procfile").read_text()).processes)


def _exec_argv(line: str) -> list[str]:
    """The argv of the command a Procfile line execs, with the stack's variables filled in."""
    _, _, command = line.partition("; exec ")
    assert command, f"the line must exec its command so the recorded pid is the process's: {line}"
    expanded = re.sub(r"\$(\w+)", lambda m: STACK_ENV[m.group(1)], command)
    return shlex.split(expanded)


def test_roles_are_web_worker_and_chainer_and_stack_sh_knows_them() -> None:
    assert list(_procfile()) == ["web", "worker", "chainer"]
    # stack.sh checks each role's pid file when stopping and in `status`.
    assert "ROLES=(web worker chainer)" in (ROOT / "scripts" / "stack.sh").read_text()


@pytest.mark.parametrize("role", ["web", "worker", "chainer"])
def test_each_role_records_its_pid_for_stack_stop(role: str) -> None:
    line = _procfile()[role]
    assert line.startswith(f'echo $$ > "$STACK_RUN/{role}.pid"; exec ')


@pytest.mark.parametrize("role", ["web", "worker", "chainer"])
def test_each_role_is_a_holdtrack_command_whose_options_parse(role: str) -> None:
    program, name, *args = _exec_argv(_procfile()[role])
    assert program == "holdtrack"
    app = get_commands()[name]
    parser = load_command_class(app, name).create_parser("holdtrack", name)
    parser.parse_args(args)  # SystemExit (an unknown or malformed option) fails the test


def test_web_runs_the_distributed_mode_and_the_worker_the_queue() -> None:
    _, _, *web = _exec_argv(_procfile()["web"])
    options = load_command_class("holdtrack.console", "serve").create_parser("holdtrack", "serve").parse_args(web)
    assert options.no_task_worker, "tasks belong to the worker role, not to a web process"
    assert (options.workers, options.threads, options.bind) == (2, 4, "127.0.0.1:8000")
    _, _, *worker = _exec_argv(_procfile()["worker"])
    opts = (
        load_command_class("huey.contrib.djhuey", "run_huey").create_parser("holdtrack", "run_huey").parse_args(worker)
    )
    # SIGTERM from honcho or systemd lets running tasks finish.
    assert (opts.workers, opts.worker_type, opts.graceful_signal) == (3, "process", "TERM")
    _, _, *chainer = _exec_argv(_procfile()["chainer"])
    assert chainer == ["chain", "--follow"]
