"""The command line: handlers dispatched by sub-command, `--help` that explains every option
and its default, `--version`."""

from __future__ import annotations

import argparse
import importlib.metadata

import pytest

from form4_assets import settings
from form4_assets.cli import build_parser, main


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", ["parse", "make-mirror", "export", "explain", "import-form345", "demo"])
def test_every_option_is_explained_with_its_default(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    sub = _subparsers(build_parser())[command]
    assert sub.description and sub.get_default("func") is not None
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{command} {action.dest}: no help"
        name = action.option_strings[0] if action.option_strings else action.metavar
        assert name in text, f"{command}: {name} not in --help"
        if action.option_strings and not action.required:
            # A default is stated: argparse's own (%(default)s) or the setting's resolution order.
            assert "default" in action.help.lower(), f"{command} {name}: no default in its help"
            if action.default not in (None, False):
                assert str(action.default) in text, f"{command} {name}: default {action.default} not shown"


def test_settings_in_help_name_their_variable_and_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert settings.WAREHOUSE_URL.env in text and settings.WAREHOUSE_URL.default in text


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"form4-assets {importlib.metadata.version('form4_assets')}"


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err
