"""The account recovery note (pure): what public sources say about the account a recovery
request names, for the maintainers, in one collapsed comment kept current in place.

Staff start every recovery the same way: does the account exist; which of its projects links
a public source repository that the person asking can push to (PyPI then asks them to push a
branch named with a one-time token); is the person on the issue plausibly the account holder.
The lookups are the feature's `gather`; this module turns their results into text, so every
wording is tested without network. Only what PyPI and GitHub publish is written: never an
e-mail address, nothing about the account that PyPI does not show to everyone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from bot.core import markers
from bot.core.actions import Action, SetComment
from bot.core.model import History
from bot.core.recovery import Account, ProjectEvidence, RepoFacts, github_repository
from bot.core.text import dated, escape, link_url, redact_urls

MARKER = "recovery-note"
SUMMARY = "Account recovery: what PyPI and GitHub show, for the maintainers"


@dataclass(frozen=True)
class Repository:
    """A project's source repository on GitHub, and how the requester relates to it."""

    owner: str  # as the project's URL names it
    name: str
    facts: RepoFacts | None = None  # None: GitHub shows no such repository (or `error`)
    error: str | None = None  # why GitHub could not be asked
    member: bool | None = None  # the requester is a public member of the owning organization
    member_error: str | None = None

    def owned_by(self, login: str) -> bool:
        return self.facts is not None and self.facts.owner.lower() == login.lower()

    def shows_member(self) -> bool:
        return (
            self.facts is not None
            and self.facts.owner_type == "Organization"
            and self.member is True
        )

    @property
    def usable(self) -> bool:
        """Public and not archived: a branch can be pushed to it."""
        return self.facts is not None and not self.facts.private and not self.facts.archived

    @property
    def shown(self) -> str:
        full_name = self.facts.full_name if self.facts is not None else f"{self.owner}/{self.name}"
        return escape(f"github.com/{full_name}", limit=150)


@dataclass(frozen=True)
class Findings:
    """What the lookups found for one request."""

    account: Account
    requester: str  # the issue author's GitHub login
    index_url: str
    # By repository_key of the repository the projects' source URLs name.
    repositories: Mapping[tuple[str, str], Repository] = field(default_factory=dict)

    @property
    def incomplete(self) -> bool:
        return self.account.incomplete or any(
            r.error or r.member_error for r in self.repositories.values()
        )

    def repository(self, project: ProjectEvidence) -> Repository | None:
        where = source_repository(project)
        return None if where is None else self.repositories.get(repository_key(where))


def source_repository(project: ProjectEvidence) -> tuple[str, str] | None:
    """The GitHub repository (owner, name) the project's source URL names, as written."""
    return github_repository(project.facts.source_url if project.facts is not None else None)


def repository_key(where: tuple[str, str]) -> tuple[str, str]:
    """How the findings keep repositories: GitHub's owner and repository names ignore case."""
    return (where[0].lower(), where[1].lower())


def by_last_release(projects: Sequence[ProjectEvidence]) -> list[ProjectEvidence]:
    """Most recently released first; projects without a release last, in listing order."""

    def key(project: ProjectEvidence) -> tuple[bool, float]:
        last = project.facts.last_upload if project.facts is not None else None
        return (last is None, -last.timestamp() if last is not None else 0.0)

    return sorted(projects, key=key)


def _project_link(name: str, index_url: str) -> str:
    return f"[{escape(name, code=True, limit=100)}]({index_url}/project/{quote(name, safe='')}/)"


def _release(project: ProjectEvidence, now: datetime) -> str:
    facts = project.facts
    if facts is None:
        return f"⚠️ not checked: {escape(project.error)}" if project.error else "no release"
    version = escape(facts.version, code=True, limit=40) if facts.version else "no version"
    if facts.last_upload is None:
        return f"{version}, no files"
    return f"{version}, {dated(facts.last_upload, now)}"


def _ownership(project: ProjectEvidence, username: str) -> str:
    facts = project.facts
    if facts is None:
        return "—"
    if facts.roles is None:
        said = "not given"
    else:
        roles = [role for role, user in facts.roles if user.lower() == username.lower()]
        user = escape(username, code=True, limit=60)
        said = (
            f"lists {user} ({escape(roles[0], limit=30)})" if roles else f"**does not list** {user}"
        )
    if facts.organization:
        said += f"; PyPI organization {escape(facts.organization, code=True, limit=60)}"
    return said


def _requester(project: ProjectEvidence, f: Findings) -> str:
    facts = project.facts
    if facts is None or not facts.source_url:
        return "—"
    repo = f.repository(project)
    if repo is None:
        return "not on GitHub: not checked"
    if repo.error:
        return f"⚠️ not checked: {escape(repo.error)}"
    if repo.facts is None:
        return "no such public repository on GitHub (private, renamed or deleted)"
    owner = escape(repo.facts.owner, code=True, limit=60)
    if repo.owned_by(f.requester):
        said = f"✅ **owns** {repo.shown}"
    elif repo.shows_member():
        said = f"✅ **public member** of {owner}, which owns {repo.shown}"
    elif repo.member_error:
        said = f"{repo.shown} is {owner}'s; ⚠️ membership not checked: {escape(repo.member_error)}"
    else:
        said = f"{repo.shown} is {owner}'s"
    flags = [name for name in ("private", "archived") if getattr(repo.facts, name)]
    return said + (f" ({', '.join(flags)})" if flags else "")


def suggestion(f: Findings, projects: Sequence[ProjectEvidence]) -> str:
    """The project to verify through, as the note's last line: the most recently released
    one whose public, unarchived repository the requester owns, else one whose organization
    shows them as a public member."""
    for test, why in (
        (lambda r: r.owned_by(f.requester), "owned by the requester"),
        (lambda r: r.shows_member(), None),
    ):
        for project in projects:
            repo = f.repository(project)
            if repo is None or not repo.usable or not test(repo):
                continue
            if why is None:
                assert repo.facts is not None
                org = escape(repo.facts.owner, code=True, limit=60)
                why = f"the requester is a public member of {org}"
            name = escape(project.name, code=True, limit=100)
            return f"**Suggested verification project:** {name} → {repo.shown} ({why})"
    last = (
        "**No verification project qualifies:** no project looked up links a public GitHub "
        "repository that the requester owns or whose organization shows them as a public member."
    )
    if f.incomplete:
        last += " Not everything could be checked (⚠️ above)."
    return last


def render(f: Findings, now: datetime) -> tuple[str, dict]:
    """The note, and the state its marker keeps."""
    a = f.account
    index_url = redact_urls(f.index_url.rstrip("/"))
    spelled = a.canonical or a.username
    user = escape(spelled, code=True, limit=60)
    who = escape(f.requester, code=True, limit=60)
    head = f"**{a.index_name} account"
    lines = ["<details>", f"<summary>{SUMMARY}</summary>", ""]
    if a.exists is False:
        lines.append(
            f"{head} {user}**: {a.index_name} has **no account** with this username. "
            f"Requested by GitHub user {who}, as of {now:%Y-%m-%d}."
        )
    else:
        link = f"[{user}]({index_url}/user/{quote(spelled, safe='')}/)"
        lines.append(
            f"{head} {link}**, requested by GitHub user {who}, as of {now:%Y-%m-%d}."
            + (" The requester's next reply checks again what is marked ⚠️." * f.incomplete)
        )
        lines.append("")
        if a.exists is None:
            lines.append(f"- Account: ⚠️ not checked: {escape(a.error)}")
        elif a.projects is None:
            lines.append("- Account: exists")
            lines.append(f"- Projects: ⚠️ not listed: {escape(a.error)}")
        else:
            lines += _projects(f, now, index_url)
    state = {"account": a.key, **({"incomplete": True} if f.incomplete else {})}
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n", state


def _projects(f: Findings, now: datetime, index_url: str) -> list[str]:
    a = f.account
    assert a.projects is not None
    if not a.projects:
        return [
            "- Account: exists, with a role on **no project**: no repository can verify it, "
            "so only the e-mail path is left."
        ]
    count = f"{a.total} project{'s' * (a.total != 1)}"
    shown = by_last_release(a.projects)
    lines = [
        f"- Account: exists, with a role on {count}"
        + (f"; the first {len(shown)} as {a.index_name} lists them:" if a.others else ":"),
        "",
        "| Project | Role | Last release | Source | JSON API ownership | Requester on GitHub |",
        "|:--|:--|:--|:--|:--|:--|",
    ]
    spelled = a.canonical or a.username
    for project in shown:
        facts = project.facts
        source = f"<{link_url(facts.source_url)}>" if facts and facts.source_url else "none listed"
        if facts is None:
            source = "—"
        cells = (
            _project_link(project.name, index_url),
            escape(project.role, limit=30),
            _release(project, now),
            source,
            _ownership(project, spelled),
            _requester(project, f),
        )
        lines.append("| " + " | ".join(cells) + " |")
    if a.others:
        names = ", ".join(escape(name, code=True, limit=100) for name in a.others)
        more = a.total - len(shown) - len(a.others)
        lines += [
            "",
            f"Not looked up: {names}" + (f" and {more} more" if more > 0 else "") + ".",
        ]
    lines += ["", suggestion(f, shown)]
    return lines


def decide(findings: Findings, now: datetime) -> tuple[Action, ...]:
    text, state = render(findings, now)
    return (SetComment("account recovery note", MARKER, text, state),)


def note_state(history: History) -> dict | None:
    """The state kept in the existing note's marker, or None when there is no note."""
    return markers.state_of(history, MARKER)
