"""`python -m bot COMMAND`: serve, sweep, report, check, plan, backtest (README, "Commands")."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.core.rules import Rules, RulesError, load_rules
from bot.core.text import redact_urls
from bot.runtime import logs
from bot.runtime.config import ConfigError, from_env, index_urls

log = logging.getLogger("bot")


def _rules(path: str) -> Rules:
    return load_rules(path)


def cmd_check(args: argparse.Namespace) -> int:
    path = args.rules or os.environ.get("BOT_RULES") or "rules.yaml"
    try:
        rules = _rules(path)
    except RulesError as exc:
        print("\n".join(exc.lines()))
        return 1
    count = sum(len(r.categories) for r in rules.repositories.values())
    print(f"{path}: ok ({len(rules.repositories)} repositories, {count} categories)")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.runtime.service import Service
    from bot.runtime.webhook import SERVER_OPTIONS, make_app

    logs.setup()
    settings = from_env(dry_run=args.dry_run)
    rules = _rules(settings.rules_path)
    if settings.webhook_secret is None and not settings.dry_run:
        raise ConfigError("GITHUB_WEBHOOK_SECRET is required to serve (or use --dry-run)")
    if settings.webhook_secret is None:
        logs.event(
            log,
            "no GITHUB_WEBHOOK_SECRET: deliveries are not verified (dry-run only)",
            level=logging.WARNING,
        )
    logs.event(
        log,
        "starting",
        host=settings.host,
        port=settings.port,
        dry_run=settings.dry_run,
        auth="app" if settings.app_id else "token" if settings.token else "none",
        api_url=redact_urls(settings.api_url),
        pypi_url=redact_urls(settings.pypi_url),
        test_pypi_url=redact_urls(settings.test_pypi_url),
        repositories=sorted(rules.repositories),
    )
    service = Service(settings, rules, background=True)
    web.run_app(
        make_app(service),
        host=settings.host,
        port=settings.port,
        print=None,
        access_log=None,
        **SERVER_OPTIONS,  # keep-alive and header limits; run_app passes them to the server
    )
    return 0


def _load_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None


def _one_repo(rules: Rules, name: str | None) -> tuple[str, Any]:
    if name:
        repo_rules = rules.for_repo(name)
        if repo_rules is None:
            raise ConfigError(f"--repo {name}: not in the rules file")
        return name, repo_rules
    return next(iter(rules.repositories.items()))


def cmd_sweep(args: argparse.Namespace) -> int:
    from bot.runtime.sweep import run_sweep_command

    logs.setup()
    settings = from_env(dry_run=args.dry_run)
    rules = _rules(settings.rules_path)
    if args.repo and rules.for_repo(args.repo) is None:
        raise ConfigError(f"--repo {args.repo}: not in the rules file")
    return asyncio.run(run_sweep_command(settings, rules, args.repo, settings.dry_run))


def cmd_report(args: argparse.Namespace) -> int:
    from bot.runtime.report import parse_when, run_report_command

    logs.setup()
    settings = from_env()
    rules = _rules(args.rules or settings.rules_path)
    since = parse_when(args.since, "--since") if args.since else None
    until = parse_when(args.until, "--until") if args.until else None
    return asyncio.run(
        run_report_command(settings, rules, args.repo, since, until, args.format, args.output)
    )


def cmd_plan(args: argparse.Namespace) -> int:
    from bot.runtime import plan

    rules = _rules(args.rules or os.environ.get("BOT_RULES") or "rules.yaml")
    data = _load_json(args.payload)
    if not isinstance(data, dict):
        raise ConfigError(f"{args.payload}: expected a webhook payload (a JSON object)")
    now = datetime.now(UTC)

    async def run() -> dict[str, Any]:
        if not args.pypi:
            return await plan.plan(args.event, data, rules, now)
        from bot.adapters.account_lookup import open_accounts

        async with open_accounts(*index_urls()) as accounts:
            return await plan.plan(args.event, data, rules, now, accounts)

    result = asyncio.run(run())
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from bot.runtime import backtest

    rules_path = args.rules or os.environ.get("BOT_RULES") or "rules.yaml"
    rules = _rules(rules_path)
    issues = _load_json(args.issues)
    if not isinstance(issues, list) or not all(isinstance(i, dict) for i in issues):
        raise ConfigError(
            f"{args.issues}: expected a JSON list of GitHub issue objects (or simplified records)"
        )
    repo, repo_rules = _one_repo(rules, args.repo)
    blind = not args.keep_labels
    evidence = None
    if args.pypi:
        evidence = asyncio.run(_recovery_evidence(issues, repo_rules, repo, blind))
    rows = backtest.run(issues, repo_rules, repo, blind=blind, evidence=evidence)
    changes = None
    if args.compare:
        old_rules = _rules(args.compare)
        old_repo = old_rules.for_repo(repo) or next(iter(old_rules.repositories.values()))
        old_rows = backtest.run(issues, old_repo, repo, blind=blind, evidence=evidence)
        changes = backtest.compare(old_rows, rows)
    if args.format == "text":
        print(backtest.report(rows, rules_path, changes, args.compare), end="")
        return 0
    for row in rows:
        print(json.dumps(backtest.row_json(row), ensure_ascii=False))
    if changes is not None:
        print(json.dumps({"changes": [c.to_json() for c in changes]}, ensure_ascii=False))
    print(json.dumps({"summary": backtest.summary(rows)}, ensure_ascii=False))
    return 0


async def _recovery_evidence(issues: Any, repo_rules: Any, repo: str, blind: bool) -> Any:
    from bot.adapters.account_lookup import open_accounts
    from bot.runtime import backtest

    async with open_accounts(*index_urls()) as accounts:
        return await backtest.recovery_evidence(
            issues, repo_rules, repo, accounts, datetime.now(UTC), blind=blind
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="PyPI support tracker triage bot"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the webhook service")
    serve.add_argument("--dry-run", action="store_true", help="log writes instead of making them")
    serve.set_defaults(func=cmd_serve)
    sweep = sub.add_parser("sweep", help="one pass of the stale and lifecycle checks, then exit")
    sweep.add_argument("--repo", help="only this OWNER/NAME")
    sweep.add_argument(
        "--dry-run", action="store_true", help="print planned actions, write nothing"
    )
    sweep.set_defaults(func=cmd_sweep)
    report = sub.add_parser("report", help="the queue report: figures per category, from GitHub")
    report.add_argument("--repo", help="OWNER/NAME (default: the first in the rules file)")
    report.add_argument(
        "--since", help="start of the window, a date or a UTC time (default: until - window)"
    )
    report.add_argument("--until", help="end of the window, excluded (default: now)")
    report.add_argument(
        "--format", choices=("markdown", "json", "html"), default="markdown", help="(markdown)"
    )
    report.add_argument("--output", metavar="FILE", help="write here instead of to stdout")
    report.add_argument("--rules", help="rules file (default: $BOT_RULES or rules.yaml)")
    report.set_defaults(func=cmd_report)
    check = sub.add_parser("check", help="validate a rules file")
    check.add_argument(
        "rules", nargs="?", help="path of the rules file (default: $BOT_RULES or rules.yaml)"
    )
    check.set_defaults(func=cmd_check)
    plan = sub.add_parser("plan", help="what the bot would do for one delivery, offline")
    plan.add_argument("event", help="the X-GitHub-Event name, e.g. issues")
    plan.add_argument("payload", help="the delivery's JSON body")
    plan.add_argument("--rules", help="rules file (default: $BOT_RULES or rules.yaml)")
    plan.add_argument(
        "--pypi",
        action="store_true",
        help="ask the index ($PYPI_URL, $TEST_PYPI_URL) about a recovery request's account",
    )
    plan.set_defaults(func=cmd_plan)
    backtest = sub.add_parser("backtest", help="run the rules over exported issues")
    backtest.add_argument(
        "issues",
        help="a JSON list of GitHub REST issue objects, or of simplified records "
        "(labels as names, author as a login, optional kind)",
    )
    backtest.add_argument("--rules", help="rules file (default: $BOT_RULES or rules.yaml)")
    backtest.add_argument("--repo", help="which configured repository's rules to use")
    backtest.add_argument("--keep-labels", action="store_true", help="let the issues' labels count")
    backtest.add_argument(
        "--compare", metavar="OLD_RULES", help="also run these rules and list what changes"
    )
    backtest.add_argument(
        "--pypi",
        action="store_true",
        help="ask the index ($PYPI_URL, $TEST_PYPI_URL) about each recovery request's account",
    )
    backtest.add_argument(
        "--format",
        choices=("json", "text"),
        default="json",
        help="json: one line per issue, then the summary (default); text: a report to read",
    )
    backtest.set_defaults(func=cmd_backtest)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RulesError as exc:
        print("\n".join(exc.lines()), file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"error: {redact_urls(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
