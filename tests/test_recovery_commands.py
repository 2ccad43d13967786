"""`plan` and `backtest` on account recovery requests: offline, the note says the index was
not asked; with `--pypi`, it shows what the index says of the account (GitHub is still not
asked, and the note says so)."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

import aiohttp

from bot.adapters.account_lookup import AccountLookup
from bot.adapters.pypi import PyPIClient
from bot.core.rules import load_rules
from bot.core.text import escape
from bot.runtime import backtest, cli, plan
from bot.runtime.reconcile import OFFLINE, OFFLINE_INDEX
from tests.conftest import ROOT
from tests.test_recovery_flow import form, request, serve

RULES = load_rules("rules.yaml").for_repo("pypi/support")
CLOSED = "http://127.0.0.1:9"


def note_in(result: dict) -> str:
    (note,) = [
        a["body"]
        for a in result["actions"]
        if a["kind"] == "set_comment" and "pypi-support-bot:recovery-note" in a["body"]
    ]
    return note


def record(number: int, username: str) -> dict:
    return {
        "number": number,
        "title": "Account recovery request",
        "body": form(username),
        "labels": ["account-recovery"],
        "author": "alice",
        "created_at": "2025-03-01",
        "state": "closed",
    }


async def run_async(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """`python -m bot ARGS` in a child process, while this event loop serves the fakes."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "BOT_RULES": "rules.yaml", **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), timeout=60)
    return child.returncode or 0, out.decode(), err.decode()


async def pypi_with_alice(aiohttp_server):
    fake = await serve(aiohttp_server)
    fake.add_user("alice-py")
    fake.add_project(
        "alpha",
        releases={"1.0": ["2025-11-02T10:00:00Z"]},
        project_urls={"Source": "https://github.com/alice/alpha"},
        roles=[("Owner", "alice-py")],
    )
    fake.add_project(
        "beta",
        releases={"1.0": ["2024-11-02T10:00:00Z"]},
        project_urls={"Source": "https://github.com/acme/beta"},
        roles=[("Owner", "alice-py")],
    )
    return fake


async def test_plan_offline_says_the_index_was_not_asked():
    rules = load_rules("rules.yaml")
    result = await plan.plan("issues", request("alice-py"), rules, datetime.now(UTC))
    assert "recovery" in result["features"]
    assert result["index"].startswith("not asked")
    note = note_in(result)
    assert f"⚠️ not checked: {escape(OFFLINE_INDEX)}" in note


async def test_plan_with_the_index_shows_the_accounts_facts(tmp_path, aiohttp_server):
    fake = await pypi_with_alice(aiohttp_server)
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(request("alice-py")))
    env = {"PYPI_URL": fake.url, "TEST_PYPI_URL": CLOSED}
    code, out, err = await run_async("plan", "issues", str(path), "--pypi", env=env)
    assert code == 0, err
    result = json.loads(out)
    assert result["index"] == "asked"
    note = note_in(result)
    assert "| [`alpha`](" in note and "<https://github.com/alice/alpha>" in note
    assert note.count(f"⚠️ not checked: {escape(OFFLINE)}") == 2  # GitHub, for each project
    assert [p for _, p, _ in fake.requests][:2] == ["/user/alice-py/", "/pypi"]
    assert len(fake.requests) == 4


async def test_backtest_with_the_index_gives_each_request_its_note(
    tmp_path, aiohttp_server, capsys
):
    fake = await pypi_with_alice(aiohttp_server)
    issues = [record(1, "alice-py"), record(2, "nobody-here"), record(3, "USERNAME")]
    async with aiohttp.ClientSession() as session:
        accounts = AccountLookup(PyPIClient(session, fake.url), PyPIClient(session, CLOSED))
        now = datetime(2026, 1, 1, tzinfo=UTC)
        evidence = await backtest.recovery_evidence(issues, RULES, "pypi/support", accounts, now)
    assert sorted(evidence) == [1, 2]  # the placeholder names no account
    rows = backtest.run(issues, RULES, "pypi/support", evidence=evidence)
    by = {row.number: backtest.row_json(row) for row in rows}
    assert "| [`alpha`](" in by[1]["recovery_note"]
    assert by[2]["missing"] == [
        "a PyPI username that exists: PyPI has no account named `nobody-here`. Usernames are "
        "easy to mistype; please check it, for example in an email PyPI sent you"
    ]
    assert by[3]["recovery_note"] is None
    summary = backtest.summary(rows)["recovery"]
    assert summary == {
        "index": "asked",
        "requests": 2,
        "unknown_username": 1,
        "email_only": 0,
        "found": 1,
        "not_checked": 0,
        "suggested_project": 0,  # GitHub was not asked
    }
    report = backtest.report(rows, "rules.yaml")
    assert "#2 'nobody-here' on PyPI: unknown;" in report

    # The command line, the same way, and without --pypi.
    path = tmp_path / "issues.json"
    path.write_text(json.dumps(issues))
    env = {"PYPI_URL": fake.url, "TEST_PYPI_URL": CLOSED}
    code, out, err = await run_async("backtest", str(path), "--pypi", env=env)
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["summary"]["recovery"]["unknown_username"] == 1
    capsys.readouterr()
    assert cli.main(["backtest", str(path)]) == 0  # no --pypi: nothing asked, in this process
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[-1]["summary"]["recovery"] == {"index": "not asked (run with --pypi to ask it)"}
    assert all(line["recovery_note"] is None for line in lines[:-1])
