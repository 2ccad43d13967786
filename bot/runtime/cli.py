"""`python -m bot COMMAND`: serve, sweep, report, check, init, demo, plan, backtest (README,
"Commands")."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot import __version__
from bot.core.rules import Rules, RulesError, load_rules
from bot.core.text import redact_urls
from bot.runtime import logs
from bot.runtime.config import ConfigError, from_env, index_urls, one_repository

log = logging.getLogger("bot")


def _rules(path: str) -> Rules:
    return load_rules(path)


def cmd_check(args: argparse.Namespace) -> int:
    path = _rules_path(args)
    try:
        rules = _rules(path)
    except RulesError as exc:
        print("\n".join(exc.lines()))
        return 1
    count = sum(len(r.categories) for r in rules.repositories.values())
    print(f"{path}: ok ({len(rules.repositories)} repositories, {count} categories)")
    return 0


def _rules_path(args: argparse.Namespace) -> str:
    """--rules, else $BOT_RULES, else rules.yaml."""
    return getattr(args, "rules", None) or os.environ.get("BOT_RULES", "").strip() or "rules.yaml"


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.runtime.server import serve
    from bot.runtime.service import Service

    logs.setup()
    settings = replace(from_env(dry_run=args.dry_run), rules_path=_rules_path(args))
    rules = _rules(settings.rules_path)
    if settings.webhook_secret is None and not settings.dry_run:
        raise ConfigError("GITHUB_WEBHOOK_SECRET is required to serve (or use --dry-run)")
    asyncio.run(serve(Service(settings, rules)))
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from bot.runtime.starter import starter_rules

    text = starter_rules(args.repo)
    if args.output is None:
        sys.stdout.write(text)
        where = "FILE"
    else:
        where = args.output
        try:
            with open(args.output, "x", encoding="utf-8") as fh:
                fh.write(text)
        except FileExistsError:
            raise ConfigError(
                f"{args.output} exists already; init never overwrites a file"
            ) from None
        except OSError as exc:
            raise ConfigError(f"{args.output}: {exc.strerror}") from None
        print(f"wrote {args.output}", file=sys.stderr)
    print(
        f"next: python -m bot check {where}; then python -m bot serve --dry-run --rules {where}",
        file=sys.stderr,
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.runtime.demo import run_demo

    rules = _rules(_rules_path(args))
    return asyncio.run(run_demo(rules, _rules_path(args), args.repo))


def _load_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None


def cmd_sweep(args: argparse.Namespace) -> int:
    from bot.runtime.sweep import run_sweep_command

    logs.setup()
    settings = replace(from_env(dry_run=args.dry_run), rules_path=_rules_path(args))
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
    from bot.runtime.delivery import Refused

    rules = _rules(_rules_path(args))
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

    try:
        result = asyncio.run(run())
    except Refused as exc:
        raise ConfigError(f"{args.payload}: {exc}") from None
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from bot.runtime import backtest

    rules_path = _rules_path(args)
    rules = _rules(rules_path)
    issues = _load_json(args.issues)
    if not isinstance(issues, list) or not all(isinstance(i, dict) for i in issues):
        raise ConfigError(
            f"{args.issues}: expected a JSON list of GitHub issue objects (or simplified records)"
        )
    repo, repo_rules = one_repository(rules, args.repo)
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


ENVIRONMENT = """\
environment:
  PORT, HOST           where the service listens (8000, 0.0.0.0; PORT=0: any free port)
  GITHUB_WEBHOOK_SECRET
                       the webhook's secret; serve requires it unless in dry-run
  GITHUB_TOKEN         a token (Issues: read and write); or, for a GitHub App:
  GITHUB_APP_ID        the App's id, with GITHUB_PRIVATE_KEY (the PEM text) or
                       GITHUB_PRIVATE_KEY_PATH (a file holding it)
  GITHUB_API_URL       the REST API (https://api.github.com; GitHub Enterprise Server: .../api/v3)
  BOT_RULES            the rules file when --rules is not given (rules.yaml)
  PYPI_URL             the package index, or a mirror of it (https://pypi.org)
  TEST_PYPI_URL        TestPyPI, for TestPyPI recovery requests (https://test.pypi.org)
  BOT_CACHE_DIR        where GitHub's answers are kept between runs (off: nowhere)

Without GITHUB_TOKEN or GITHUB_APP_ID the bot runs in dry-run: it reads what it can and logs
each write it would make. Logs are JSON lines on stderr."""


class _Help(argparse.HelpFormatter):
    """Descriptions wrapped to the terminal; text with line breaks (the environment) kept."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _command(
    sub: Any, name: str, summary: str, description: str, *, environment: bool = False
) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=summary,
        description=description,
        epilog=ENVIRONMENT if environment else None,
        formatter_class=_Help,
    )


def _rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules", metavar="FILE", help="the rules file (default: $BOT_RULES, else rules.yaml)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="The triage bot for PyPI's support tracker: a GitHub webhook service, "
        "and the commands to check, try and run its rules.",
        epilog="Start with `python -m bot demo`; `python -m bot COMMAND --help` tells more.",
    )
    parser.add_argument("--version", action="version", version=f"pypi-support-bot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = _command(
        sub,
        "serve",
        "run the webhook service",
        "Run the webhook service: POST /webhook for GitHub's deliveries, GET /healthz and GET "
        "/metrics. It also sweeps every configured repository on the rules' schedule. SIGTERM "
        "or Ctrl-C stops it gracefully: deliveries get 503 while queued work finishes (25 s "
        "at most).",
        environment=True,
    )
    serve.add_argument(
        "--dry-run",
        action="store_true",
        help="log writes instead of making them, even with credentials",
    )
    _rules_option(serve)
    serve.set_defaults(func=cmd_serve)
    sweep = _command(
        sub,
        "sweep",
        "one pass of the stale and lifecycle checks, then exit",
        "One pass of the stale and lifecycle checks over every configured repository (or one), "
        "catching up new issues the bot never answered; then exit. For cron or a scheduler.",
        environment=True,
    )
    sweep.add_argument("--repo", metavar="OWNER/NAME", help="only this repository")
    sweep.add_argument(
        "--dry-run", action="store_true", help="print planned actions, write nothing"
    )
    _rules_option(sweep)
    sweep.set_defaults(func=cmd_sweep)
    report = _command(
        sub,
        "report",
        "the queue report: figures per category, from GitHub",
        "Compute the queue report over [--since, --until) from GitHub: opened, closed, first "
        "response times, waiting on maintainers and on requesters, per category and per week "
        '(README, "Queue report"). Progress goes to stderr.',
        environment=True,
    )
    report.add_argument("--repo", help="OWNER/NAME (default: the first in the rules file)")
    report.add_argument(
        "--since", help="start of the window, a date or a UTC time (default: until - window)"
    )
    report.add_argument("--until", help="end of the window, excluded (default: now)")
    report.add_argument(
        "--format", choices=("markdown", "json", "html"), default="markdown", help="(markdown)"
    )
    report.add_argument("--output", metavar="FILE", help="write here instead of to stdout")
    _rules_option(report)
    report.set_defaults(func=cmd_report)
    check = _command(
        sub,
        "check",
        "validate a rules file",
        "Validate a rules file: exit 0, or exit 1 with one FILE:LINE: message line per problem.",
    )
    check.add_argument(
        "rules", nargs="?", help="path of the rules file (default: $BOT_RULES, else rules.yaml)"
    )
    check.set_defaults(func=cmd_check)
    init = _command(
        sub,
        "init",
        "write a small, valid rules file for a repository",
        "Write a small, commented rules file for OWNER/NAME to start from: it passes `check` "
        "as it is. Try it in dry-run first: BOT_RULES=FILE python -m bot serve --dry-run.",
    )
    init.add_argument("repo", metavar="OWNER/NAME", help="the repository the bot will work on")
    init.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write it to FILE, which must not exist yet (default: print it)",
    )
    init.set_defaults(func=cmd_init)
    demo = _command(
        sub,
        "demo",
        "watch the bot work on a few sample deliveries, offline",
        "Start the service in dry-run on a free loopback port, send it a few signed deliveries "
        "(a complete PEP 541 request, an incomplete one, a maintainer's /label) and print what "
        "the bot would do with each. Offline: GitHub is played from the deliveries and PyPI "
        "from a small built-in snapshot, so nothing is read or written outside this machine.",
    )
    _rules_option(demo)
    demo.add_argument(
        "--repo", metavar="OWNER/NAME", help="which configured repository (default: the first)"
    )
    demo.set_defaults(func=cmd_demo)
    plan = _command(
        sub,
        "plan",
        "what the bot would do for one delivery, offline",
        "Print, as JSON, what the bot would do for one delivery, without GitHub: the issue as "
        "the payload shows it, with no earlier comments, and each person's role from the "
        "payload's author_association.",
    )
    plan.add_argument("event", help="the X-GitHub-Event name, e.g. issues")
    plan.add_argument("payload", help="the delivery's JSON body")
    _rules_option(plan)
    plan.add_argument(
        "--pypi",
        action="store_true",
        help="ask the index ($PYPI_URL, $TEST_PYPI_URL) about a recovery request's account",
    )
    plan.set_defaults(func=cmd_plan)
    backtest = _command(
        sub,
        "backtest",
        "run the rules over exported issues",
        "Run the triage rules over exported issues and print one JSON line per issue, then a "
        "summary of how often the bot restored the category staff chose, and how often it "
        "chose a wrong one.",
    )
    backtest.add_argument(
        "issues",
        help="a JSON list of GitHub REST issue objects, or of simplified records "
        "(labels as names, author as a login, optional kind)",
    )
    _rules_option(backtest)
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
