"""Every subcommand's ``--help``, run through the real ``holdtrack`` entry point, lists its own options and none
that only a sibling subcommand takes; invalid use ends in a usage error, never a traceback."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command, get_commands, load_command_class

from holdtrack.cli import main


def _parser(command: str) -> argparse.ArgumentParser:
    return load_command_class(get_commands()[command], command).create_parser("holdtrack", command)


def _children(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {o for o in parser._option_string_actions if o.startswith("--")}


def _subcommands() -> Iterator[tuple[str, str, set[str], set[str]]]:
    """(command, subcommand, its long options, the long options only its siblings take)."""
    for command, app in sorted(get_commands().items()):
        if not app.startswith("holdtrack."):
            continue
        children = _children(_parser(command))
        for name, child in children.items():
            siblings = set().union(*(_options(c) for n, c in children.items() if n != name))
            yield command, name, _options(child), siblings - _options(child)


SUBCOMMANDS = list(_subcommands())


def test_the_project_commands_live_in_the_console_app():
    mine = {name for name, app in get_commands().items() if app.startswith("holdtrack.")}
    assert {"import", "simulate", "screening", "audit", "report", "export", "api-client", "otp_code"} <= mine
    assert {app for name, app in get_commands().items() if name in mine} == {"holdtrack.console"}


def test_the_subcommands_were_found():
    found = {(command, name) for command, name, _, _ in SUBCOMMANDS}
    assert {
        ("import", "registry"),
        ("import", "bookings"),
        ("simulate", "bookings"),
        ("simulate", "registry"),
        ("screening", "train"),
        ("audit", "verify"),
        ("report", "detainers"),
        ("report", "hold-impact"),
        ("export", "events"),
        ("export", "packet"),
        ("api-client", "create"),
    } <= found


@pytest.mark.parametrize(
    ("command", "name", "own", "others"), SUBCOMMANDS, ids=[f"{c} {n}" for c, n, _, _ in SUBCOMMANDS]
)
def test_a_subcommand_help_lists_its_own_options_only(command, name, own, others, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, name, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: holdtrack {command} {name}"), text[:200]
    shown = {word.strip("[],=") for word in text.split() if word.startswith(("--", "[--"))}
    assert own - {"--help"} <= shown, f"missing: {sorted(own - shown)}"
    assert not others & shown, f"a sibling's options: {sorted(others & shown)}"


def test_import_registry_help_through_the_installed_script():
    script = os.path.join(os.path.dirname(sys.executable), "holdtrack")
    argv = [script, "import", "registry", "--help"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603 - our own script
    assert done.returncode == 0, done.stderr
    assert "--synthetic" in done.stdout and "--mapping" not in done.stdout  # registry's option, not bookings'


@pytest.mark.parametrize(
    "argv",
    [
        ["import"],
        ["import", "nope"],
        ["import", "registry"],
        ["simulate", "bookings", "--count", "many"],
        ["screening", "train", "--size", "3"],
        ["audit", "checkpoint"],
        ["report", "detainers", "--by", "color"],
        ["export", "packet", "x", "--out", "."],
    ],
    ids=" ".join,
)
def test_invalid_use_is_a_usage_error_not_a_traceback(argv, capsys):
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: holdtrack ") and "error: " in err
    assert "Traceback" not in err


def test_invalid_use_through_call_command_is_a_command_error():
    with pytest.raises(CommandError, match="required: FILE"):
        call_command("import", "registry")
