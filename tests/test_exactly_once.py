"""Exactly once, as GitHub really behaves: redeliveries under new and old ids, a restart, a
burst of events for one issue, a comment answered after the client gave up, a requester
racing the bot, a maintainer's command in the same delivery as triage. Each ends with one bot
comment per marker and the right labels, and a replay of every delivery plus a sweep writes
nothing."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import replace

from bot.core import markers
from bot.core.rules import load_rules
from bot.runtime.sweep import sweep
from bot.runtime.webhook import make_app
from tests.conftest import FAST, REPO, ROOT, Bot, headers_for, payload, service_for
from tests.test_triage_flow import COMPLETE
from tests.test_webhook import PEP541_INCOMPLETE, incomplete_pep541

AWAITING = "status: awaiting response"


def labels(github, number: int) -> set[str]:
    return {label["name"] for label in github.issue(REPO, number)["labels"]}


def markers_of(github, number: int) -> Counter:
    """How many of the bot's comments carry each marker (kind and identity)."""
    found = Counter()
    for comment in github.comments(REPO, number):
        trailing = markers.trailing(comment["body"])
        if trailing is not None:
            found[markers.identity(*trailing)] += 1
    return found


def assert_once(github, number: int) -> None:
    counts = markers_of(github, number)
    assert counts and max(counts.values()) == 1, counts


async def replay_writes_nothing(bot: Bot, deliveries: list[tuple[str, dict]]) -> None:
    """Every delivery again (new ids), then a sweep: nothing to write."""
    github = bot.github
    writes = len(github.writes)
    for event, data in deliveries:
        await bot.deliver(event, data, seed=False)
    await bot.settle()
    github.advance(minutes=11)
    service = bot.service
    await sweep(service, await service.github.api_for_repo(REPO), REPO)
    # A command's reaction is said again (GitHub answers 200: it is there already, nothing
    # changes); looking first would cost a read on every command, not only on a replay.
    changed = [
        w for w in github.writes[writes:] if not (w.path.endswith("/reactions") and w.status == 200)
    ]
    assert changed == []


async def open_request(bot: Bot, number: int = 1) -> dict:
    data = incomplete_pep541()
    data["issue"]["number"] = number
    await bot.deliver("issues", data)
    await bot.settle()
    return data


async def test_a_redelivery_under_a_new_id_changes_nothing(bot):
    data = await open_request(bot)
    assert labels(bot.github, 1) == {"PEP 541", AWAITING}
    assert_once(bot.github, 1)
    await replay_writes_nothing(bot, [("issues", data)] * 3)
    assert_once(bot.github, 1)


async def test_the_same_id_after_a_failed_attempt_is_worked_once(bot):
    github = bot.github
    data = incomplete_pep541()
    github.inject("POST", r"/issues/1/labels$", status=502, times=None)
    await bot.deliver("issues", data, delivery="d-1")
    await bot.settle()
    github.clear_faults()
    # GitHub shows the delivery as failed; someone presses "Redeliver" (same id).
    response = await bot.deliver("issues", data, delivery="d-1", seed=False)
    assert (await response.json())["status"] == "queued"
    await bot.settle()
    assert labels(github, 1) == {"PEP 541", AWAITING}
    assert_once(github, 1)
    await replay_writes_nothing(bot, [("issues", data)])


async def test_a_restart_then_every_delivery_again_writes_nothing(make_bot, github):
    first = await make_bot()
    opened = await open_request(first)
    github.advance(minutes=5)
    await first.edit(1, by="alice", title="PEP 541 Request: widgets", body=COMPLETE)
    await first.settle()
    await first.comment(1, "Thanks, done.", by="alice")
    await first.settle()
    assert labels(github, 1) == {"PEP 541"}
    edited = payload("issues.edited.1")
    edited["issue"] = github.issue(REPO, 1)
    edited["sender"] = {**edited["sender"], "login": "alice"}
    # A new process: the memory of delivery ids is gone.
    second = await make_bot()
    await replay_writes_nothing(second, [("issues", opened), ("issues", edited)])
    assert_once(github, 1)


async def test_a_burst_of_twenty_events_for_one_issue_converges(bot):
    github = bot.github
    opened = incomplete_pep541()
    bot.github_seed(opened["issue"])
    burst: list[tuple[str, dict]] = [("issues", opened)]
    for n in range(19):
        github.advance(seconds=30)
        if n % 3 == 0:
            github.edit_issue(REPO, 1, body=PEP541_INCOMPLETE + f"\n(edit {n})", editor="alice")
            data = payload("issues.edited.1")
            data["issue"] = github.issue(REPO, 1)
            data["changes"] = {"body": {"from": "(before)"}}
            data["sender"] = {**data["sender"], "login": "alice"}
            burst.append(("issues", data))
        else:
            comment = github.add_comment(REPO, 1, f"Any news? ({n})", user="alice")
            data = payload("issue_comment.created.1")
            data["issue"] = github.issue(REPO, 1)
            data["comment"] = comment
            data["sender"] = {**data["sender"], "login": "alice"}
            burst.append(("issue_comment", data))
    sends = []
    for event, data in burst:
        body = json.dumps(data).encode()
        sends.append(bot.client.post("/webhook", data=body, headers=headers_for(event, body)))
    responses = await asyncio.gather(*sends)
    assert {r.status for r in responses} == {202}
    await bot.settle()
    assert_once(github, 1)
    # Every event was on GitHub before the bot first looked: it sorted the request once, from
    # what it saw, and asked for what the form still lacks (the comments gave nothing new).
    assert labels(github, 1) == {"PEP 541", AWAITING}
    (triage,) = [c for c in github.comments(REPO, 1) if markers.read(c["body"], "triage")]
    assert "the name of the project you want to claim" in triage["body"]
    await replay_writes_nothing(bot, burst)
    # The requester answers after being asked: the wait ends, once.
    github.advance(minutes=1)
    await bot.comment(1, "The project is widgets.", by="alice")
    await bot.settle()
    assert labels(github, 1) == {"PEP 541"}
    assert_once(github, 1)


async def test_a_comment_answered_after_the_client_timeout_is_posted_once(github, aiohttp_client):
    # The client gives up after 0.3 s; GitHub writes the comment at 0.5 s and answers later.
    policy = replace(FAST, request_timeout=0.3, confirm_for=None, confirm_interval=0.05)
    service = service_for(github, policy=policy)
    bot = Bot(await aiohttp_client(make_app(service, grace=5)), service, github)
    github.inject("POST", r"/issues/1/comments$", status=None, delay=0.5, times=1)
    data = await open_request(bot)
    assert labels(github, 1) == {"PEP 541", AWAITING}
    assert_once(github, 1)
    posts = [c for c in github.calls if c.method == "POST" and c.path.endswith("/comments")]
    assert len(posts) == 1  # found by its marker: never sent twice
    # And when the answer is lost after the write (GitHub acted, the client cannot know):
    github.inject("POST", r"/issues/2/comments$", status=None, delay=0.5, after=True, times=1)
    await open_request(bot, number=2)
    assert_once(github, 2)
    await replay_writes_nothing(bot, [("issues", data)])


async def until(condition) -> None:
    """Wait until `condition()` holds (the bot works in the background)."""
    while not condition():
        await asyncio.sleep(0.005)


async def test_a_completing_edit_racing_the_bots_label_ends_the_wait(bot):
    github = bot.github
    opened = incomplete_pep541()
    # The bot has read the issue and is adding its label when the requester saves an edit.
    github.inject("POST", r"/issues/1/labels$", status=None, delay=0.3, times=1)
    await bot.deliver("issues", opened)
    await until(lambda: any(c.path.endswith("/issues/1/labels") for c in github.calls))
    github.advance(minutes=1)
    await bot.edit(1, by="alice", title="PEP 541 Request: widgets", body=COMPLETE)
    await bot.settle()
    assert labels(github, 1) == {"PEP 541"}
    (triage,) = [c for c in github.comments(REPO, 1) if markers.read(c["body"], "triage")]
    assert "everything the form asks for is now there" in triage["body"]
    assert_once(github, 1)
    # The sweep later finds nothing to nag the requester about.
    github.advance(days=20)
    service = bot.service
    report = await sweep(service, await service.github.api_for_repo(REPO), REPO)
    assert not [a for n, a in report.planned if n == 1 and a.kind == "set_comment"]


async def test_a_maintainers_command_and_triage_in_one_delivery(make_bot, github):
    # A maintainer files a request for someone, with commands in it; triage sorts maintainers'
    # issues too in this repository's rules.
    rules = load_rules(ROOT / "rules.yaml")
    repo_rules = rules.for_repo(REPO)
    repo_rules = replace(repo_rules, triage=replace(repo_rules.triage, skip_maintainers=False))
    bot = await make_bot()
    bot.service.rules = replace(rules, repositories={REPO: repo_rules})
    github.set_permission(REPO, "tria", "triage")
    for name in repo_rules.labels:
        github.add_label(REPO, name)
    body = PEP541_INCOMPLETE + '\n/label urgent\n/unlabel "PEP 541"\n'
    data = payload(
        "issues.opened.1",
        title="PEP 541 Request: PROJECT_NAME",
        body=body,
        user="tria",
        author_association="MEMBER",
        labels=[],
    )
    await bot.deliver("issues", data)
    await bot.settle()
    # The maintainer's /label stays (triage no longer writes all labels at once), and their
    # /unlabel wins over triage's wish for the same label.
    assert labels(github, 1) == {"urgent", AWAITING}
    await replay_writes_nothing(bot, [("issues", data)])
