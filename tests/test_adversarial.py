"""Problems an adversarial review found from the outside (black-box through the webhook, the
sweep or the CLI, against the fake GitHub), each kept as the test that reproduced it. Each
docstring tells the problem as it was found; the test asserts the behaviour that holds now."""

from __future__ import annotations

from bot.core import markers
from tests.conftest import REPO, payload
from tests.test_exactly_once import assert_once, labels
from tests.test_webhook import incomplete_pep541

AWAITING = "status: awaiting response"


# 1 -------------------------------------------------------------------------------------------
async def test_a_restart_while_github_will_not_say_who_the_bot_is_posts_no_second_comment(
    make_bot, github
):
    """After a restart the bot learns its own login from GET /user. When that read fails
    (GitHub flaking, 5xx on every try), the bot works deliveries anyway, trusting none of its
    own comments: it posts a second triage comment. (`sweep` refuses to run without the
    login for exactly this reason; deliveries do not.)"""
    first = await make_bot()
    data = incomplete_pep541()
    await first.deliver("issues", data)
    await first.settle()
    assert_once(github, 1)
    # A new process; GitHub's /user fails for a while.
    second = await make_bot()
    github.inject("GET", r"^/user$", status=502, times=None)
    github.advance(minutes=5)
    # The requester edits the request (still incomplete): GitHub delivers issues.edited.
    body = github.issue(REPO, 1)["body"] + "\nI also opened an issue on the tracker.\n"
    await second.edit(1, by="alice", body=body)
    await second.settle()
    assert_once(github, 1)


# 2 -------------------------------------------------------------------------------------------
def _maintainer_setup(github):
    from bot.core.rules import load_rules
    from tests.conftest import ROOT

    for name in load_rules(ROOT / "rules.yaml").for_repo(REPO).labels:
        github.add_label(REPO, name)
    github.set_permission(REPO, "tria", "triage")
    github.add_issue(REPO, number=7, title="PEP 541 request: widgets", body="Hello", user="alice")


async def _say(bot, body: str, by: str = "tria"):
    comment = await bot.comment(7, body, by=by)
    await bot.settle()
    return comment


async def _redeliver_after_restart(make_bot, github, comment, by="tria"):
    """A new process, ten minutes on, gets GitHub's redelivery of `comment` and works it."""
    data = payload("issue_comment.created.1")
    data["issue"] = github.issue(REPO, 7)
    data["comment"] = comment
    data["sender"] = {**data["sender"], "login": by, "type": "User"}
    second = await make_bot()
    github.advance(minutes=10)
    await second.deliver("issue_comment", data, seed=False)
    await second.settle()


async def test_a_redelivered_pep541_contacted_does_not_restart_a_stopped_clock(make_bot, github):
    """`/pep541 contacted`, then `/pep541 owner-replied` (the bot takes its label off and
    records the stop). After a restart GitHub redelivers the first comment's delivery: the
    bot restarts the clock (the marker loses "stopped") and puts the label the owner-replied
    command took off back on."""
    _maintainer_setup(github)
    first = await make_bot()
    contacted = await _say(first, "/pep541 contacted")
    github.advance(days=3)
    await _say(first, "/pep541 owner-replied")
    assert "pep541: owner contacted" not in labels(github, 7)
    clock_before = [c["body"] for c in github.comments(REPO, 7) if "pep541-clock" in c["body"]]
    await _redeliver_after_restart(make_bot, github, contacted)
    clock_after = [c["body"] for c in github.comments(REPO, 7) if "pep541-clock" in c["body"]]
    assert "pep541: owner contacted" not in labels(github, 7)
    assert clock_after == clock_before


async def test_a_redelivered_snooze_does_not_undo_a_later_unsnooze(make_bot, github):
    _maintainer_setup(github)
    first = await make_bot()
    snooze = await _say(first, "/snooze 30")
    github.advance(days=1)
    await _say(first, "/unsnooze")
    (note,) = [c for c in github.comments(REPO, 7) if markers.read(c["body"], "snooze") is not None]
    assert markers.read(note["body"], "snooze")["until"] is None
    await _redeliver_after_restart(make_bot, github, snooze)
    (note,) = [c for c in github.comments(REPO, 7) if markers.read(c["body"], "snooze") is not None]
    assert markers.read(note["body"], "snooze")["until"] is None, note["body"]


async def test_a_redelivered_label_command_does_not_undo_a_later_unlabel_command(make_bot, github):
    """`/label urgent`, then `/unlabel urgent` (the bot carries out both). A redelivery of
    the first comment after a restart puts the label back: `since_undone` only counts what
    people did by hand, not what the bot did on a person's later command."""
    _maintainer_setup(github)
    first = await make_bot()
    label = await _say(first, "/label urgent")
    github.advance(hours=1)
    await _say(first, "/unlabel urgent")
    assert "urgent" not in labels(github, 7)
    await _redeliver_after_restart(make_bot, github, label)
    assert "urgent" not in labels(github, 7)


async def test_a_redelivered_close_command_does_not_undo_a_later_reopen_command(make_bot, github):
    _maintainer_setup(github)
    first = await make_bot()
    close = await _say(first, "/close")
    assert github.issue(REPO, 7)["state"] == "closed"
    github.advance(hours=1)
    await _say(first, "/reopen")
    assert github.issue(REPO, 7)["state"] == "open"
    await _redeliver_after_restart(make_bot, github, close)
    assert github.issue(REPO, 7)["state"] == "open"


# 3 -------------------------------------------------------------------------------------------
async def test_a_requester_who_reopens_after_the_bots_close_is_not_closed_again(github):
    """The close reply says "Comment or reopen when you can continue". The requester
    reopens (no comment). A week later the sweep closes the issue again, silently (the close
    comment is said once per waiting period, the close action is not)."""
    from tests.test_sweep import Sweeper, wait_on_requester

    wait_on_requester(github, 1, 20)
    async with Sweeper(github) as run:
        await run()  # the nudge
        github.advance(days=15)
        await run()  # the close for no response
        assert github.issue(REPO, 1)["state"] == "closed"
        github.advance(days=1)
        github.add_event(REPO, 1, "reopened", "alice", apply=True)
        for _ in range(4):
            github.advance(days=3)
            await run()
            assert github.issue(REPO, 1)["state"] == "open"


# 4 -------------------------------------------------------------------------------------------
async def test_an_edit_answer_hidden_by_later_activity_still_stops_the_requester_clock(bot):
    """The bot asked for missing fields (its triage comment and awaiting label); the
    requester answers by editing the issue (README: the wait ends with "a comment, or an
    edit of the issue"); a day later a stranger comments "+1". GitHub keeps no event for an
    edit of the text, so the bot records the requester's edit from its delivery: the +1
    (which moves the issue's update time) cannot hide it, and nobody is nudged or closed.
    (For an issue the bot never commented on, the edit is still inferred from the update
    time: see README, "lifecycle".)"""
    from tests.test_sweep import Sweeper

    github = bot.github
    await bot.deliver("issues", incomplete_pep541())
    await bot.settle()
    github.advance(hours=1)
    await bot.edit(1, by="alice", body=github.issue(REPO, 1)["body"] + "\nThe owner is gone.\n")
    await bot.settle()
    github.advance(days=1)
    github.add_comment(REPO, 1, "+1, same problem here", user="bystander")
    github.advance(days=40)
    async with Sweeper(github) as run:
        report = await run()
    assert not [a for n, a in report.planned if n == 1 and a.kind != "add_labels"], report.planned


# 5 -------------------------------------------------------------------------------------------
def test_serve_on_a_port_in_use_says_so_in_one_line_without_a_traceback():
    """`PORT` names a port another process holds (a second `serve`, a stale one): start-up
    fails with an OSError traceback instead of one clear line naming PORT."""
    import socket

    from tests.conftest import run_bot

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        done = run_bot("serve", "--dry-run", env={"PORT": str(port), "HOST": "127.0.0.1"})
    finally:
        holder.close()
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr[-600:]
    assert "PORT" in done.stderr or str(port) in done.stderr


def test_the_commands_the_spec_lists_exist():
    """SPEC, "Commands": `--version`, `init OWNER/NAME`, `demo`, and `--rules` on `serve`
    and `sweep`. None of them is accepted."""
    from tests.conftest import run_bot

    version = run_bot("--version", env={})
    assert version.returncode == 0 and version.stdout.strip(), version.stderr
    init = run_bot("init", "pypi/support", env={})
    assert init.returncode == 0 and "pypi/support" in init.stdout, init.stderr
    # A rules file that is not there: `--rules` is taken and read (and nothing waits on a
    # GitHub this machine cannot reach).
    for command in ("sweep", "serve"):
        done = run_bot(command, "--rules", "no/such/rules.yaml", "--dry-run", env={})
        assert done.returncode == 1, (command, done.stderr)
        why = "no/such/rules.yaml:1: cannot read the rules file"
        assert done.stderr.startswith(why), (command, done.stderr)


# 6 -------------------------------------------------------------------------------------------
def _timeline_length(github, number: int) -> int:
    return len(github.events(REPO, number)) + len(github.comments(REPO, number))


async def test_a_reminder_past_a_full_timeline_page_is_not_posted_again(github):
    """GitHub's ETag covers a page's body, not its Link header. Once the bot has read an
    issue's timeline when it held exactly 100 entries (one full page, no next page), a later
    read of page 1 is a 304 and gidgethub replays the cached "no next page": every newer
    entry is invisible, the bot's own comments included. The PEP 541 reminder the sweep
    posted as entry 101 is not found by the next sweep, which posts it again (and again,
    every sweep, while the cache holds the page)."""
    from tests.test_sweep import Sweeper, days_ago, seed

    seed(github, 1, labels=("PEP 541", "pep541: owner contacted"), age=30)
    github.add_event(
        REPO, 1, "labeled", "staff", days_ago(github, 20), label="pep541: owner contacted"
    )
    n = 0
    while _timeline_length(github, 1) < 100:
        github.add_comment(
            REPO, 1, f"+1 ({n})", user=f"bystander{n}", created_at=days_ago(github, 19)
        )
        n += 1
    async with Sweeper(github) as run:
        await run()
        reminders = [c for c in github.comments(REPO, 1) if "pep541-reminder" in c["body"]]
        assert len(reminders) == 1
        github.advance(hours=1)
        await run()
        github.advance(hours=1)
        await run()
    reminders = [c for c in github.comments(REPO, 1) if "pep541-reminder" in c["body"]]
    assert len(reminders) == 1


# 7 -------------------------------------------------------------------------------------------
async def test_a_label_spelled_otherwise_on_github_is_not_re_added_after_a_human_removed_it(bot):
    """GitHub's label names are case-insensitive: `POST .../labels {"labels": ["PEP 541"]}`
    on a repository whose label is `pep 541` adds `pep 541`, and events name it so. The bot
    compares names case-sensitively (present labels, "ever removed"), so a label staff took
    off comes back on the requester's next edit."""
    github = bot.github
    github.add_label(REPO, "pep 541")
    github.add_label(REPO, "status: awaiting response")
    await bot.deliver("issues", incomplete_pep541())
    await bot.settle()
    assert "pep 541" in labels(github, 1)
    github.advance(minutes=5)
    # Staff: this is no PEP 541 request.
    github.add_event(REPO, 1, "unlabeled", "staff", label="pep 541", apply=True)
    github.advance(minutes=5)
    body = github.issue(REPO, 1)["body"] + "\nMore details: the owner never answered.\n"
    await bot.edit(1, by="alice", body=body)
    await bot.settle()
    assert "pep 541" not in labels(github, 1)


# 8 -------------------------------------------------------------------------------------------
async def test_the_dashboard_write_counts_against_the_sweeps_write_budget(github):
    """`write_budget`: "the most writes one sweep makes". With the dashboard on, a sweep
    that spent its budget on nudges still opens (or edits) the dashboard issue: one write
    more than the budget (and closing duplicate dashboards: more again)."""
    from dataclasses import replace

    from tests.test_sweep import REPO_RULES, Sweeper, wait_on_requester, with_repo_rules

    for n in range(1, 4):
        wait_on_requester(github, n, 20)
    repo_rules = replace(
        REPO_RULES,
        lifecycle=replace(REPO_RULES.lifecycle, write_budget=2),
        report=replace(REPO_RULES.report, dashboard=True),
    )
    github.reset_calls()
    async with Sweeper(github, with_repo_rules(repo_rules), concurrency=1) as run:
        report = await run()
    assert report.budget_exhausted
    assert len(github.writes) <= 2, [(w.method, w.path) for w in github.writes]


async def test_a_short_budget_goes_to_the_longest_wait_first(github):
    """README: the requester's clock runs "the longest waits first" when the budget is short.
    The pass lists issues oldest-created first instead: an old issue that has waited 15 days
    takes the budget before a newer one that has waited 40 days and is due to be closed."""
    from dataclasses import replace

    import bot.features.lifecycle.decide as lifecycle
    from tests.test_sweep import (
        REPO_RULES,
        Sweeper,
        bot_comment,
        days_ago,
        wait_on_requester,
        with_repo_rules,
    )

    wait_on_requester(github, 1, 15, age=100)  # waiting 15 days: nudge due
    wait_on_requester(github, 2, 40, age=50)  # waiting 40 days, nudged 10 days ago: close due
    bot_comment(github, 2, 10, "nudge", {"since": lifecycle.iso(days_ago(github, 40))})
    repo_rules = replace(REPO_RULES, lifecycle=replace(REPO_RULES.lifecycle, write_budget=2))
    async with Sweeper(github, with_repo_rules(repo_rules), concurrency=1) as run:
        await run()
    assert github.issue(REPO, 2)["state"] == "closed"


# 9 -------------------------------------------------------------------------------------------
async def test_a_maintainer_redacting_the_request_is_no_answer_from_the_requester(bot):
    """Staff often edit a request to take out what should not be public (an e-mail address,
    a token). The delivery says who edited (sender: the maintainer), yet the bot counts the
    edit as the requester's answer: the wait on the requester ends and the awaiting label
    triage put on comes off, though the requester has given nothing."""
    github = bot.github
    github.set_permission(REPO, "tria", "triage")
    await bot.deliver("issues", incomplete_pep541())
    await bot.settle()
    assert AWAITING in labels(github, 1)
    github.advance(hours=2)
    body = github.issue(REPO, 1)["body"].replace(
        "I emailed the owner twice in March.", "I emailed the owner twice in March. [redacted]"
    )
    await bot.edit(1, by="tria", body=body)
    await bot.settle()
    assert AWAITING in labels(github, 1)


async def test_a_slow_comment_on_an_issue_with_a_hundred_comments_is_posted_once(github):
    """The same ETag replay in the confirmation of a create: a nudge whose POST times out
    before GitHub writes it. The bot's first look (GitHub not done yet) caches page 1 of the
    comments, full at 100 and without a next page; GitHub then writes the nudge as comment
    101, on page 2; every later look is a 304 replaying "no next page", so the nudge is not
    found and is posted again."""
    from dataclasses import replace as dc_replace

    from bot.runtime.sweep import sweep
    from tests.conftest import FAST, service_for
    from tests.test_sweep import days_ago, wait_on_requester

    wait_on_requester(github, 1, 20)
    while len(github.comments(REPO, 1)) < 100:
        n = len(github.comments(REPO, 1))
        github.add_comment(
            REPO, 1, f"+1 ({n})", user=f"bystander{n}", created_at=days_ago(github, 21)
        )
    policy = dc_replace(FAST, request_timeout=0.3, confirm_for=None, confirm_interval=0.05)
    service = service_for(github, policy=policy)
    await service.start()
    try:
        github.inject("POST", r"/issues/1/comments$", status=None, delay=0.5, times=1)
        await sweep(service, await service.github.api_for_repo(REPO), REPO)
    finally:
        await service.stop()
    nudges = [c for c in github.comments(REPO, 1) if markers.read(c["body"], "nudge") is not None]
    assert len(nudges) == 1


# 10 ------------------------------------------------------------------------------------------
async def test_the_sweep_does_not_act_on_an_issue_a_maintainer_closed_after_the_listing(github):
    """The sweep decides from the issue as its listing page showed it (unless this process
    worked the issue since), with a fresh timeline. A maintainer who closes a request as
    completed between the listing and the bot's look at it (seconds to minutes on a big
    page, at a write a second) gets the bot's "Closing due to lack of response" comment on
    it, and its close reason changed to not planned; the timeline the bot just read shows
    the close."""
    import asyncio

    import bot.features.lifecycle.decide as lifecycle
    from tests.test_sweep import Sweeper, bot_comment, days_ago, wait_on_requester

    wait_on_requester(github, 1, 40)
    bot_comment(github, 1, 10, "nudge", {"since": lifecycle.iso(days_ago(github, 40))})
    github.inject("GET", r"/issues/1/timeline$", status=None, delay=0.3, times=1)
    async with Sweeper(github) as run:
        task = asyncio.create_task(run())
        while not any(c.path.endswith("/issues/1/timeline") for c in github.calls):
            await asyncio.sleep(0.005)
        github.add_event(REPO, 1, "closed", "staff", state_reason="completed", apply=True)
        await task
    issue = github.issue(REPO, 1)
    assert issue["state_reason"] == "completed"
    assert not [c for c in github.comments(REPO, 1) if "close-no-response" in c["body"]]


async def test_a_redelivered_awaiting_does_not_restart_the_wait_on_a_requester_who_answered(
    make_bot, github
):
    """The same family, as the requester feels it: `/awaiting`, the requester answers, the
    bot takes the label off. A redelivery of the `/awaiting` comment after a restart puts
    the label back on; the wait restarts from now and the requester who answered is nudged
    two weeks later (and then closed)."""
    from tests.test_sweep import Sweeper

    _maintainer_setup(github)
    first = await make_bot()
    awaiting = await _say(first, "/awaiting")
    assert AWAITING in labels(github, 7)
    github.advance(hours=3)
    await first.comment(7, "Here is what you asked for.", by="alice")
    await first.settle()
    assert AWAITING not in labels(github, 7)
    await _redeliver_after_restart(make_bot, github, awaiting)
    assert AWAITING not in labels(github, 7)
    github.advance(days=15)
    async with Sweeper(github) as run:
        await run()
    assert not [c for c in github.comments(REPO, 7) if "pypi-support-bot:nudge" in c["body"]]


# 11 ------------------------------------------------------------------------------------------
async def test_owner_replied_stops_a_clock_started_with_the_start_label(make_bot, github):
    """README: adding `reachability.start_label` "starts the PEP 541 clock (as /pep541
    contacted does)", and the sweep reminds from it. But `/pep541 owner-replied` only knows
    attempts recorded by `/pep541 contacted`: on a clock started with the label it answers
    "no contact attempt is recorded yet", and the reminders go on."""
    from tests.test_sweep import Sweeper

    _maintainer_setup(github)
    bot = await make_bot()
    github.add_event(REPO, 7, "labeled", "tria", label="pep541: owner contacted", apply=True)
    github.advance(days=3)
    await _say(bot, "/pep541 owner-replied")
    replies = [c["body"] for c in github.comments(REPO, 7) if "command-reply" in c["body"]]
    assert not any("no contact attempt is recorded" in r for r in replies), replies
    github.advance(days=14)
    async with Sweeper(github) as run:
        await run()
    assert not [c for c in github.comments(REPO, 7) if "pep541-reminder" in c["body"]]


async def test_contacted_after_the_start_label_counts_as_the_second_attempt(make_bot, github):
    """The clock started with the start label (first contact, day 0). The sweep reminds
    that attempt 2 is due on day 14; the maintainer answers `/pep541 contacted`. The bot
    then forgets day 0: the marker's attempts are only [day 14], the clock restarts from
    there (its "since" moves), and the request is ready for a decision on day 56, not 42."""
    from tests.test_sweep import Sweeper

    _maintainer_setup(github)
    github.add_event(REPO, 7, "labeled", "tria", label="pep541: owner contacted", apply=True)
    github.advance(days=14, minutes=5)
    async with Sweeper(github) as run:
        await run()
    assert len([c for c in github.comments(REPO, 7) if "pep541-reminder" in c["body"]]) == 1
    bot = await make_bot()
    await _say(bot, "/pep541 contacted")
    github.advance(days=28)  # day 42 and some
    async with Sweeper(github) as run:
        await run()
    reminders = [c["body"] for c in github.comments(REPO, 7) if "pep541-reminder" in c["body"]]
    assert not any('"attempt":2' in r for r in reminders[1:]), reminders
    assert [c for c in github.comments(REPO, 7) if "pep541-ready" in c["body"]], reminders


# 12 ------------------------------------------------------------------------------------------
async def test_an_unsigned_gzip_bomb_is_refused_before_it_is_inflated(bot):
    """GitHub never compresses a delivery, but aiohttp inflates a `Content-Encoding: gzip`
    body before the handler can check its size or signature. 2 MB of gzip (2 GiB of zeros)
    from anyone costs the service well over 100 MB and half a second of event loop before
    the 413; sixteen at once took 1.4 GB of RSS and 8 s in a measurement of `serve`. Here
    256 KB of gzip (256 MiB of zeros, five times the bound below; the 2 GiB one took 14 s
    to make)."""
    import tracemalloc
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"0" * (1 << 20)
    bomb = b"".join([packer.compress(zeros) for _ in range(256)] + [packer.flush()])
    headers = {
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": "bomb",
        "X-Hub-Signature-256": "sha256=" + "0" * 64,
    }
    tracemalloc.start()
    try:
        response = await bot.client.post("/webhook", data=bomb, headers=headers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status in (400, 401, 413, 415)
    assert peak < 48 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB for a 256 KB request"


# 13 ------------------------------------------------------------------------------------------
async def test_the_overdue_flag_follows_the_category_staff_gave_the_issue(github):
    """The queue report's category is "the first of the rules' categories whose label it
    carries now", and the README says the clocks follow the report. The overdue clock
    recognises the category from the text instead: a request filed on the recovery form
    that staff moved to PEP 541 (7 days' target) is flagged overdue after 2 days as an
    account recovery request, while the report shows it within its target."""
    from tests.test_recovery_flow import form
    from tests.test_sweep import Sweeper, bot_comment, days_ago

    github.add_issue(
        REPO,
        number=1,
        title="Account recovery request",
        body=form("bob-py", "My colleague who owned the project left the company."),
        user="alice",
        labels=["PEP 541"],
        created_at=days_ago(github, 3),
    )
    # Triaged on arrival (the bot's comment), then moved to PEP 541 by staff.
    bot_comment(github, 1, 3, "triage", {"category": "account-recovery", "next_steps": True})
    github.add_event(REPO, 1, "labeled", "staff", days_ago(github, 2.9), label="PEP 541")
    async with Sweeper(github) as run:
        await run()
    assert "overdue" not in labels(github, 1)


async def test_the_budget_never_splits_a_closing_comment_from_its_close(github):
    """A close for no response is two writes: the comment, then the close. A budget that
    ends between them posts "Closing due to lack of response" on an issue it leaves open;
    if the requester then answers, it stays open for good under that comment."""
    from dataclasses import replace

    import bot.features.lifecycle.decide as lifecycle
    from tests.test_sweep import (
        REPO_RULES,
        Sweeper,
        bot_comment,
        days_ago,
        wait_on_requester,
        with_repo_rules,
    )

    wait_on_requester(github, 1, 40)
    bot_comment(github, 1, 10, "nudge", {"since": lifecycle.iso(days_ago(github, 40))})
    repo_rules = replace(REPO_RULES, lifecycle=replace(REPO_RULES.lifecycle, write_budget=1))
    async with Sweeper(github, with_repo_rules(repo_rules)) as run:
        await run()
    closing = [c for c in github.comments(REPO, 1) if "close-no-response" in c["body"]]
    closed = github.issue(REPO, 1)["state"] == "closed"
    assert bool(closing) == closed, (len(closing), github.issue(REPO, 1)["state"])


# 15 ------------------------------------------------------------------------------------------
async def test_report_with_a_far_date_says_so_without_a_traceback(github):
    """`report --until 9999-12-31` (a typo for 2025, or "everything") and `--until
    0001-01-05` end in an OverflowError traceback (the weekly table steps past
    datetime.max; the default window steps before datetime.min) instead of one line naming
    the option."""
    import asyncio

    from tests.conftest import ROOT, TOKEN, run_bot

    github.add_issue(
        REPO,
        number=1,
        title="Account recovery request",
        body="I lost my 2FA",
        user="alice",
        labels=["account-recovery"],
    )
    env = {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": github.url,
        "BOT_RULES": str(ROOT / "rules.yaml"),
    }
    for args in (("--until", "9999-12-31"), ("--until", "0001-01-05")):
        done = await asyncio.to_thread(run_bot, "report", "--format", "json", *args, env=env)
        assert "Traceback" not in done.stderr, (args, done.stderr[-500:])
        assert done.returncode in (0, 1), args


async def test_staff_deleting_spam_is_no_answer_from_the_requester(bot):
    """The bot asked for missing fields; a spammer comments; staff delete the spam (GitHub
    moves the issue's update time and keeps no trace in the timeline). That update is no
    edit by the requester (the bot knows their edits from their deliveries): the nudge comes
    when it is due."""
    from tests.test_sweep import Sweeper

    github = bot.github
    await bot.deliver("issues", incomplete_pep541())
    await bot.settle()
    github.advance(days=1)
    spam = github.add_comment(REPO, 1, "Buy cheap followers", user="spammer")
    github.advance(days=1)
    # Staff delete it (the fake has no DELETE for comments: as GitHub leaves it).
    issue = github._repo(REPO).issues[1]
    issue.comments = [c for c in issue.comments if c.id != spam["id"]]
    issue.updated_at = github.now()
    github.advance(days=18)
    async with Sweeper(github) as run:
        report = await run()
    assert [a for n, a in report.planned if n == 1 and a.kind == "set_comment"], report.planned


# 16 ------------------------------------------------------------------------------------------
async def test_a_lost_answer_is_not_posted_again_when_the_check_cannot_read(bot):
    """A comment whose answer is lost (GitHub wrote it, then the connection failed) is
    confirmed by reading the issue's comments. When those reads fail too (GitHub having a
    bad minute), the bot takes "could not read" for "not there" and posts again: two triage
    comments. Not knowing should mean not posting (and failing the delivery, which the
    catch-up or a redelivery completes)."""
    github = bot.github
    github.inject("POST", r"/issues/1/comments$", status=502, after=True, times=1)
    github.inject("GET", r"/issues/1/comments$", status=502, times=None)
    await bot.deliver("issues", incomplete_pep541())
    await bot.settle()
    github.clear_faults()
    assert_once(github, 1)


# 17 ------------------------------------------------------------------------------------------
async def test_a_pep541_request_ready_for_a_decision_is_flagged_when_overdue(github):
    """The maintainer clock is paused "while the issue waits on a PEP 541 owner". Once the
    reachability clock says the request is ready for a decision (42 days without the
    owner's reply), it waits on the maintainers, and the queue report lists it so; but the
    clock stays paused for ever (only `owner-replied` stops it), so a requester asking
    "any news?" a week after that is never flagged overdue."""
    from tests.test_sweep import Sweeper, days_ago, seed

    seed(github, 1, labels=("PEP 541", "pep541: owner contacted"), age=70)
    github.add_comment(
        REPO,
        1,
        "I have emailed the owner.",
        user="staff",
        association="MEMBER",
        created_at=days_ago(github, 60),
    )
    github.add_event(
        REPO, 1, "labeled", "staff", days_ago(github, 60), label="pep541: owner contacted"
    )
    async with Sweeper(github) as run:
        await run()  # reminders and, past day 42, "ready for a decision"
        assert [c for c in github.comments(REPO, 1) if "pep541-ready" in c["body"]]
        # The requester asks, ten days ago; nobody answers.
        github.add_comment(REPO, 1, "Any news?", user="alice", created_at=days_ago(github, 10))
        await run()
    assert "overdue" in labels(github, 1)
