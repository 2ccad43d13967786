"""`python -m bot demo` and the command line's own help: what a newcomer meets first."""

from __future__ import annotations

import pytest

from bot import __version__
from bot.runtime.cli import main
from tests.conftest import run_bot


def test_demo_shows_the_bot_at_work_offline_without_an_error():
    result = run_bot("demo", env={})  # no credentials, no network settings at all
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    steps = out.split("\n\n")
    complete, incomplete, command, ignored = (s for s in steps if s[:2] in ("1.", "2.", "3.", "4."))
    assert "POST /webhook (issues.opened, signed): 202 queued" in complete
    assert "- add the labels: PEP 541\n" in complete
    assert "- comment (triage):" in complete and "- comment (name-report):" in complete
    assert "no release in the last 12 months" in complete  # from the built-in PyPI snapshot
    assert "- add the labels: PEP 541, status: awaiting response" in incomplete
    assert "your PyPI username" in incomplete
    assert "- add the labels: urgent" in command and "react 👍 to the comment" in command
    # Acknowledged on its envelope (queued), then found to be no feature's work.
    assert "202 queued" in ignored and "ignored: no feature acts on" in ignored
    assert "The service also logged" not in out  # no warning, no error
    assert "error" not in result.stderr.lower()


def test_help_names_the_environment_and_version_prints_it(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out == f"pypi-support-bot {__version__}\n"
    for command in ("serve", "sweep"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "--rules FILE" in text and "GITHUB_WEBHOOK_SECRET" in text and "PORT" in text
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for command in ("serve", "sweep", "check", "init", "demo", "plan", "backtest"):
        assert f"    {command} " in text
