"""The README's command table against the real parsers: every command, subcommand, flag and listed choice it
shows exists; every project command is in the table; every subcommand prints its own ``--help``.

The parsers are the ones ``holdtrack <command>`` builds (``BaseCommand.create_parser``); no database is used.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

README = Path(__file__).resolve().parents[2] / "README.md"
PIPE = "\x00"  # stands for an escaped pipe (a\|b) while the table row is split into cells


@dataclass(frozen=True)
class Usage:
    """One code span of the table's first column, e.g. `holdtrack report declined --week 2026-W47`."""

    line: int
    command: str
    words: tuple[str, ...]  # the rest, brackets removed; "a|b" alternatives kept together

    def __str__(self) -> str:
        return f"README line {self.line}: holdtrack {self.command} {' '.join(self.words)}"


def _project_commands() -> dict[str, str]:
    return {name: app for name, app in get_commands().items() if app.startswith("holdtrack.")}


def _parser(command: str) -> argparse.ArgumentParser:
    app = get_commands()[command]
    return load_command_class(app, command).create_parser("holdtrack", command)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def readme_usages() -> list[Usage]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("## The `holdtrack` command"))
    usages: list[Usage] = []
    for number, line in enumerate(lines[start:], start=start + 1):
        if line.startswith("## ") and number > start + 1:
            break
        if not line.startswith("| `holdtrack"):
            continue
        first_cell = line.replace("\\|", PIPE).split("|")[1]
        previous: Usage | None = None
        for span in re.findall(r"`([^`]+)`", first_cell):
            words = tuple(w.strip("[]") for w in span.replace(PIPE, "|").split() if w.strip("[]"))
            if words[0] == "holdtrack":
                usage = Usage(number, words[1], words[2:])
            elif words[0] in _project_commands() or previous is None:
                usage = Usage(number, words[0], words[1:])  # `simulate bookings …` after a `/`
            elif words[0].startswith("--"):
                # `--inspect [--out F]` after a `·`: more options of the previous subcommand
                usage = Usage(number, previous.command, (*_path(previous), *words))
            else:
                # `deactivate ID` after a `·`: a sibling subcommand of the previous one
                usage = Usage(number, previous.command, (*_path(previous)[:-1], *words))
            usages.append(usage)
            previous = usage
    return usages


def _path(usage: Usage) -> tuple[str, ...]:
    """The subcommand words of a usage (those naming subparsers)."""
    parser, path = _parser(usage.command), []
    for word in usage.words:
        choices = _subparsers(parser)
        if not choices or word.split("|")[0] not in choices:
            break
        path.append(word)
        parser = choices[word.split("|")[0]]
    return tuple(path)


USAGES = readme_usages()


def test_the_table_was_read():
    assert len(USAGES) >= 30
    assert {"simulate", "screening", "report", "import", "export", "audit", "api-client"} <= {u.command for u in USAGES}


@pytest.mark.smoke
def test_every_project_command_is_in_the_table():
    shown = {u.command for u in USAGES}
    missing = sorted(set(_project_commands()) - shown)
    assert not missing, f"commands missing from the README table: {missing}"


def _check(usage: Usage) -> None:
    assert usage.command in get_commands(), f"{usage}: no such command"
    parser = _parser(usage.command)
    words = list(usage.words)
    # Subcommands first: each word must name a real subparser (a positional with choices does not count).
    while words and _subparsers(parser) and not words[0].startswith("-"):
        names = words.pop(0).split("|")
        choices = _subparsers(parser)
        for name in names:
            assert name in choices, f"{usage}: {name!r} is not a subcommand (has {sorted(choices)})"
        parser = choices[names[0]]
    required = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction) and a.required]
    assert not required, f"{usage}: names no subcommand of {sorted(_subparsers(parser))}"
    options = parser._option_string_actions
    positionals = [a for a in parser._actions if not a.option_strings]
    given = 0
    while words:
        word = words.pop(0)
        if word in ("…", "/", "·"):
            continue
        if not word.startswith("--"):
            given += 1
            assert given <= len(positionals), f"{usage}: {word!r} is an argument the command does not take"
            chosen = positionals[given - 1].choices
            assert chosen is None or word not in chosen, f"{usage}: {word!r} is a choice, not a subcommand with --help"
            continue
        flag, _, inline = word.partition("=")
        assert flag in options, f"{usage}: no option {flag} (has {sorted(o for o in options if o.startswith('--'))})"
        action = options[flag]
        if action.nargs == 0:
            continue
        values = [inline] if inline else []
        while not inline and words and not words[0].startswith("--"):
            values.append(words.pop(0))
            if action.nargs in (None, "?", 1):
                break
        if action.choices is not None:
            for value in values:
                for choice in value.split("|"):
                    if not re.fullmatch(r"[A-Z_…]+", choice):  # a placeholder such as NAME, not a value
                        assert choice in action.choices, f"{usage}: {flag} has no choice {choice!r}"


@pytest.mark.parametrize("usage", USAGES, ids=str)
def test_every_command_subcommand_and_flag_shown_exists(usage: Usage) -> None:
    _check(usage)


def test_the_checker_refuses_what_does_not_exist():
    for words, command in [
        (("registry", "--no-such-flag"), "simulate"),
        (("train", "--size", "3"), "screening"),
        (("nope",), "report"),
        (("detainers", "--by", "color"), "report"),
    ]:
        with pytest.raises(AssertionError):
            _check(Usage(0, command, words))


def _help(command: str, path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        _parser(command).parse_args([*path, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def _subcommand_paths(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, child in _subparsers(parser).items():
        yield (*path, name)
        yield from _subcommand_paths(child, (*path, name))


def _with_subcommands() -> list[tuple[str, tuple[str, ...]]]:
    return [(command, path) for command in sorted(_project_commands()) for path in _subcommand_paths(_parser(command))]


def test_the_commands_with_subcommands_use_subparsers():
    commands = {command for command, _ in _with_subcommands()}
    assert {"simulate", "screening", "report", "import", "export", "audit", "api-client"} <= commands


@pytest.mark.parametrize(
    ("command", "path"), _with_subcommands(), ids=lambda v: v if isinstance(v, str) else " ".join(v)
)
def test_every_subcommand_has_its_own_help(command: str, path: tuple[str, ...], capsys) -> None:
    own = _help(command, path, capsys)
    parent = _help(command, path[:-1], capsys)
    assert own.startswith(f"usage: holdtrack {command} {' '.join(path)}"), own[:200]
    assert own != parent


def test_report_help_names_every_report(capsys):
    text = " ".join(_help("report", (), capsys).split())
    for name in _subparsers(_parser("report")):
        assert f"'{name}'" in text, name
