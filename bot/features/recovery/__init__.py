"""Account recovery evidence: the maintainers' note of what public sources say about the
account a recovery request names (does it exist on PyPI, or on TestPyPI for a TestPyPI
request; its projects, the user's role on each, their last release, source repository and
ownership; whether the requester owns each GitHub repository or is a public member of the
organization that does), with the project to verify through. Made when a request arrives,
made again when its username (or its index) changes, and, when a source could not be
checked (or the note could not be posted), completed on the requester's next reply or edit:
a retry tied to a person's action, so an outage never turns into a storm of lookups.

Bounded: one account lookup (two requests to the index, cached 10 minutes, shared with
triage), at most `max_projects` project documents, and at most that many repository and
membership lookups on GitHub, which stop at the first failure."""

from __future__ import annotations

from bot.core.reconcile import Proposal
from bot.core.recovery import Account, account_key, on_test_pypi
from bot.core.recovery import requested_username as username_of
from bot.core.rules import RepoRules
from bot.core.text import mention
from bot.core.trigger import ISSUE_COMMENT, ISSUES, Trigger
from bot.features.base import Feature, Lookups, Situation, edited_by_a_stranger, on_request
from bot.features.recovery import decide as note

NAME = "recovery"
# Said of GitHub lookups not made after one failed (each would wait out its own retries).
GITHUB_GAVE_UP = "not asked: GitHub failed on an earlier lookup"


def wants(trigger: Trigger, rules: RepoRules) -> bool:
    settings = rules.recovery_evidence
    if not settings.enabled:
        return False
    decided = on_request(trigger, rules)
    if decided is not None:
        return decided
    if trigger.is_(ISSUES, "labeled", "unlabeled") and trigger.label is not None:
        # The request's category given by hand, or the index changed (TestPyPI or not).
        category = rules.category(settings.category)
        if trigger.label == settings.test_pypi_label:
            return True
        labeled = trigger.action == "labeled"
        return labeled and category is not None and trigger.label == category.label
    return trigger.is_(ISSUE_COMMENT, "created") and trigger.by_requester


async def gather(situation: Situation, lookups: Lookups) -> note.Findings | None:
    accounts = lookups.accounts()
    snapshot, rules = situation.snapshot, situation.rules
    settings = rules.recovery_evidence
    if accounts is None or not situation.is_request_in(settings.category):
        return None
    issue = snapshot.issue
    username = username_of(issue, settings, snapshot.parsed)
    if username is None:
        return None  # triage asks for it
    test = on_test_pypi(issue, snapshot.history, rules, situation.verdict)
    state = note.note_state(snapshot.history)
    if await edited_by_a_stranger(situation, lookups):
        return None
    if (
        state is not None
        and state.get("account") == account_key(username, test)
        and not state.get("incomplete")
    ):
        return None  # the note is about this account, and complete
    account = await accounts.account(username, test=test, limit=settings.max_projects)
    repositories = await _repositories(account, issue.author, lookups)
    return note.Findings(account, issue.author, accounts.index_url(test), repositories)


async def _repositories(
    account: Account, requester: str, lookups: Lookups
) -> dict[tuple[str, str], note.Repository]:
    """What GitHub says of each project's repository, once per repository, and of the
    requester's public membership, once per organization."""
    found: dict[tuple[str, str], note.Repository] = {}
    members: dict[str, tuple[bool | None, str | None]] = {}
    given_up: str | None = None  # why the rest are not asked, once one lookup failed
    for project in account.projects or ():
        where = note.source_repository(project)
        if where is None or (key := note.repository_key(where)) in found:
            continue
        if given_up is not None:
            found[key] = note.Repository(*where, error=given_up)
            continue
        facts, error = await lookups.repository(*where)
        member = member_error = None
        if facts is not None and facts.owner_type == "Organization":
            org = facts.owner.lower()
            if mention(requester) is None:
                member_error = "the requester has no GitHub login"
            else:
                if org not in members:
                    members[org] = await lookups.public_member(facts.owner, requester)
                member, member_error = members[org]
        if error is not None or member_error is not None:
            given_up = GITHUB_GAVE_UP if lookups.online else (error or member_error)
        found[key] = note.Repository(*where, facts, error, member, member_error)
    return found


def propose(situation: Situation, findings: note.Findings) -> Proposal:
    return Proposal(NAME, note.decide(findings, situation.now))


FEATURE = Feature(NAME, wants, propose, gather)
