"""An in-memory GitHub REST API behind a real ``aiohttp`` application, for tests.

Start it with pytest-aiohttp and point gidgethub at it::

    fake = FakeGitHub()
    fake.add_token("user-token", "octocat")
    fake.add_issue("pypi/support", title="Help", user="someone")
    server = await aiohttp_server(fake.app)
    gh = gidgethub.aiohttp.GitHubAPI(session, "bot", oauth_token="user-token",
                                     base_url=str(server.make_url("")))

Only the operations in ``tests/data/github-openapi-subset.json`` are served.  Every request
and response is checked against that OpenAPI subset; problems end up in
``fake.contract_violations`` (tests can assert it stays empty).  Time only comes from the
injectable clock (``set_clock``/``advance``); the fake never sleeps unless a fault with a
``delay`` was injected.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import random
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from typing import Any

import jwt
from aiohttp import web

if __package__:
    from .openapi_contract import Contract, Problem, get_contract
else:  # imported as a top-level module (tests/ on sys.path)
    from openapi_contract import Contract, Problem, get_contract

__all__ = ["DEFAULT_NOW", "Call", "FakeGitHub", "Fault"]

#: The default (frozen) time of a new fake.
DEFAULT_NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
DOCS = "https://docs.github.com/rest"
RATE_LIMIT_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
WEB = "https://github.com"
NO_INTEGRATION = "Resource not accessible by integration"
BAD_JWT = "A JSON web token could not be decoded"
MAX_COMMENT_LENGTH = 65536
MAX_ASSIGNEES = 10
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
# Legacy base permission reported for each repository role.
ROLE_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
}
_NO_BODY = object()


# --------------------------------------------------------------------------------------------
# Records and knobs


@dataclass
class Call:
    """One request received by the fake."""

    method: str
    path: str  # as sent (percent-encoded), without the query string
    query: dict[str, str]
    json: Any  # parsed JSON body, or None when the body was empty (or not JSON)
    headers: dict[str, str]  # lower-cased names
    status: int | None = None  # status answered (None: connection reset)
    at: float = 0.0  # when it arrived (time.monotonic)

    @property
    def is_write(self) -> bool:
        return self.method not in ("GET", "HEAD")


@dataclass
class Fault:
    """An injected failure; see :meth:`FakeGitHub.inject`."""

    method: str  # "*" for any method
    path_regex: re.Pattern[str]
    status: int | None
    times: int | None  # None: forever
    headers: dict[str, str]
    body: Any
    delay: float
    reset_connection: bool
    probability: float = 1.0  # chance that a matching request fails (seeded: reproducible)
    after: bool = False  # the request is carried out first: GitHub acted, the answer is lost
    until: asyncio.Event | None = None  # the request is held until this is set

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and bool(self.path_regex.search(path))


@dataclass
class _Bucket:
    resource: str
    limit: int
    remaining: int
    reset: int  # epoch seconds
    window: int  # seconds

    @property
    def used(self) -> int:
        return max(0, self.limit - self.remaining)

    def as_json(self) -> dict[str, int]:
        return {
            "limit": self.limit,
            "remaining": self.remaining,
            "reset": self.reset,
            "used": self.used,
        }


@dataclass
class _User:
    login: str
    id: int
    type: str
    site_admin: bool = False
    name: str | None = None
    email: str | None = None


@dataclass
class _Label:
    id: int
    name: str
    color: str
    description: str | None
    default: bool


@dataclass
class _Reaction:
    id: int
    user: str
    content: str
    created_at: datetime


@dataclass
class _Event:
    id: int
    event: str
    actor: str
    created_at: datetime
    extra: dict[str, Any]
    via_app: bool = False


@dataclass
class _Comment:
    id: int
    repo: str  # key
    number: int
    body: str
    user: str
    author_association: str
    created_at: datetime
    updated_at: datetime
    reactions: list[_Reaction] = field(default_factory=list)
    via_app: bool = False


@dataclass
class _Issue:
    number: int
    id: int
    title: str
    body: str | None
    user: str
    labels: list[str]  # label names, as in the repo's label set
    assignees: list[str]
    state: str
    state_reason: str | None
    locked: bool
    active_lock_reason: str | None
    author_association: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    pull_request: bool
    comments: list[_Comment] = field(default_factory=list)
    events: list[_Event] = field(default_factory=list)
    reactions: list[_Reaction] = field(default_factory=list)


@dataclass
class _Repo:
    owner: str
    name: str
    id: int
    private: bool
    labels: dict[str, _Label] = field(default_factory=dict)  # lower-cased name -> label
    issues: dict[int, _Issue] = field(default_factory=dict)
    roles: dict[str, tuple[str, str]] = field(default_factory=dict)  # login -> (role, perm)
    assignable: dict[str, bool] = field(default_factory=dict)
    associations: dict[str, str] = field(default_factory=dict)
    archived: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def key(self) -> str:
        return self.full_name.lower()


@dataclass
class _App:
    id: int
    slug: str
    name: str
    owner: str
    public_key: str
    installations: dict[int, list[str]]  # id -> repo keys
    created_at: datetime

    @property
    def bot_login(self) -> str:
        return f"{self.slug}[bot]"


@dataclass
class _Token:
    token: str
    login: str
    kind: str  # "user" | "installation"
    installation_id: int | None = None
    repos: frozenset[str] = frozenset()
    expires_at: datetime | None = None


@dataclass
class _Principal:
    kind: str  # "user" | "installation" | "app"
    login: str
    installation_id: int | None = None
    repos: frozenset[str] = frozenset()


@dataclass
class _Result:
    status: int
    body: Any = _NO_BODY
    headers: dict[str, str] = field(default_factory=dict)


class _APIError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        documentation_url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.documentation_url = documentation_url


def _not_found() -> _APIError:
    return _APIError(404, "Not Found")


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _to_datetime(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _int_param(raw: str | None, default: int) -> int:
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


_PRINCIPAL = web.RequestKey("principal", _Principal)


# --------------------------------------------------------------------------------------------
# The fake


class FakeGitHub:
    """In-memory GitHub for the REST operations the bot uses.

    Attributes tests may read: ``calls`` / ``writes`` (lists of :class:`Call`),
    ``contract_violations`` (list of str), ``installation_tokens_issued`` (int),
    ``faults`` (pending :class:`Fault`s), ``installation_token_ttl`` (timedelta, settable),
    ``allow_any_assignee`` (bool knob), ``app`` (the ``aiohttp.web.Application``).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        contract: Contract | None = None,
        core_limit: int = 5000,
        search_limit: int = 30,
    ) -> None:
        self.contract = contract or get_contract()
        self._clock: Callable[[], datetime] = clock or (lambda: DEFAULT_NOW)
        self._offset = timedelta(0)
        self._ids = itertools.count(1001)
        self._request_ids = itertools.count(1)
        self._users: dict[str, _User] = {}
        self._repos: dict[str, _Repo] = {}
        self._teams: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
        self._public_members: dict[str, set[str]] = {}  # org -> logins, lower-cased
        self._tokens: dict[str, _Token] = {}
        self._app_config: _App | None = None
        self._limits = {"core": core_limit, "search": search_limit}
        self._windows = {"core": 3600, "search": 60}
        self._buckets: dict[str, _Bucket] = {}
        self._base_url = "https://api.github.com"
        self.calls: list[Call] = []
        self.writes: list[Call] = []
        self._violations: list[str] = []
        # Responses sent and not yet checked against the contract, in order with the
        # requests' problems (see contract_violations).
        self._unchecked: list[Callable[[], Iterable[str]]] = []
        self.faults: list[Fault] = []
        # Secondary rate limits, when enforced (see enforce_secondary_limits).
        self._secondary: tuple[int, int, bool] | None = None
        self._writing: dict[str, int] = {}
        self._created: dict[str, list[float]] = {}
        self.refusals: list[Call] = []
        self.random = random.Random(541)
        self.installation_tokens_issued = 0
        self.installation_token_ttl = timedelta(hours=1)
        self.allow_any_assignee = False
        self._app: web.Application | None = None
        #: Free for the test harness to record the server's base URL once started.
        self.url: str | None = None

    # ---------------------------------------------------------------------------- time

    def now(self) -> datetime:
        """Current fake time (aware, UTC)."""
        value = self._clock()
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return (value + self._offset).astimezone(UTC)

    def set_clock(self, clock: Callable[[], datetime]) -> None:
        """Replace the clock (a callable returning a datetime; naive means UTC)."""
        self._clock = clock
        self._offset = timedelta(0)

    def set_now(self, when: datetime | str) -> None:
        """Freeze the clock at ``when``."""
        frozen = _to_datetime(when)
        assert frozen is not None
        self.set_clock(lambda: frozen)

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move the clock forward (works with any clock); returns the new time."""
        self._offset += timedelta(seconds=seconds, **delta)
        return self.now()

    # ---------------------------------------------------------------------------- seeding

    def add_user(
        self,
        login: str,
        *,
        type: str | None = None,  # GitHub's field name
        site_admin: bool = False,
        name: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """Create (or update) a user; ``type`` defaults to ``Bot`` for ``*[bot]`` logins."""
        user = self._users.get(login.lower())
        if user is None:
            user = _User(login, next(self._ids), "User")
            self._users[login.lower()] = user
        user.type = type or ("Bot" if login.endswith("[bot]") else "User")
        user.site_admin = site_admin
        user.name = name
        user.email = email
        return self._user_json(login)

    def _user(self, login: str) -> _User:
        user = self._users.get(login.lower())
        if user is None:
            self.add_user(login)
            user = self._users[login.lower()]
        return user

    def add_token(self, token: str, login: str) -> None:
        """Register a user (OAuth/PAT) token that authenticates as ``login``."""
        self._user(login)
        self._tokens[token] = _Token(token, login, "user")

    def revoke_token(self, token: str) -> None:
        self._tokens.pop(token, None)

    def tokens(self, kind: str | None = None) -> list[str]:
        """Every token known, or those of one kind ("user", "installation")."""
        return [t.token for t in self._tokens.values() if kind is None or t.kind == kind]

    def expire_installation_tokens(self) -> None:
        """Make every installation token issued so far expire now."""
        for tok in self._tokens.values():
            if tok.kind == "installation":
                tok.expires_at = self.now()

    def add_repo(
        self, repo: str, *, private: bool = False, archived: bool = False
    ) -> dict[str, Any]:
        """Create a repository ``owner/name`` (also created implicitly by other helpers). Its
        owner is a user unless ``add_org`` made it an organization."""
        r = self._repo(repo, create=True)
        r.private, r.archived = private, archived
        return {"id": r.id, "full_name": r.full_name, "private": r.private}

    def add_org(self, org: str, *, public_members: Iterable[str] = ()) -> None:
        """An organization (an account of type ``Organization``) and the members who show
        their membership publicly."""
        self.add_user(org, type="Organization")
        members = self._public_members.setdefault(org.lower(), set())
        for login in public_members:
            self._user(login)
            members.add(login.lower())

    def _repo(self, repo: str, *, create: bool = False) -> _Repo:
        found = self._repos.get(repo.lower())
        if found is None:
            if not create:
                raise KeyError(f"unknown repository {repo!r}")
            owner, _, name = repo.partition("/")
            if not owner or not name or "/" in name:
                raise ValueError(f"repository must be 'owner/name', got {repo!r}")
            self._user(owner)
            found = _Repo(owner, name, next(self._ids), False)
            self._repos[repo.lower()] = found
        return found

    def add_label(
        self,
        repo: str,
        name: str,
        *,
        color: str = "ededed",
        description: str | None = None,
        default: bool = False,
    ) -> dict[str, Any]:
        r = self._repo(repo, create=True)
        label = r.labels.get(name.lower())
        if label is None:
            label = _Label(next(self._ids), name, color, description, default)
            r.labels[name.lower()] = label
        else:
            label.color, label.description, label.default = color, description, default
        return self._label_json(r, label)

    def _ensure_label(self, r: _Repo, name: str) -> _Label:
        label = r.labels.get(name.lower())
        if label is None:
            label = _Label(next(self._ids), name, "ededed", None, False)
            r.labels[name.lower()] = label
        return label

    def set_permission(
        self, repo: str, user: str, role_name: str | None, *, permission: str | None = None
    ) -> None:
        """Make ``user`` a collaborator with ``role_name`` (admin/maintain/write/triage/read or
        a custom role; pass ``permission`` for a custom role's base).  ``None`` or ``"none"``
        removes the collaborator."""
        r = self._repo(repo, create=True)
        self._user(user)
        if role_name in (None, "none"):
            r.roles.pop(user.lower(), None)
            return
        perm = permission or ROLE_PERMISSION.get(role_name, "read")
        r.roles[user.lower()] = (role_name, perm)

    def set_assignable(self, repo: str, user: str, assignable: bool = True) -> None:
        """Override whether ``user`` can be assigned to issues in ``repo``."""
        self._repo(repo, create=True).assignable[user.lower()] = assignable
        self._user(user)

    def set_association(self, repo: str, user: str, association: str) -> None:
        """Force the ``author_association`` computed for new content by ``user``."""
        self._repo(repo, create=True).associations[user.lower()] = association

    def add_team_member(
        self, org: str, team_slug: str, user: str, *, role: str = "member", state: str = "active"
    ) -> None:
        self._user(user)
        self._teams.setdefault((org.lower(), team_slug.lower()), {})[user.lower()] = (
            role,
            state,
        )

    def remove_team_member(self, org: str, team_slug: str, user: str) -> None:
        self._teams.get((org.lower(), team_slug.lower()), {}).pop(user.lower(), None)

    def add_issue(
        self,
        repo: str,
        *,
        number: int | None = None,
        title: str = "An issue",
        body: str | None = None,
        user: str = "octocat",
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        state: str = "open",
        state_reason: str | None = None,
        locked: bool = False,
        active_lock_reason: str | None = None,
        author_association: str | None = None,
        created_at: datetime | str | None = None,
        updated_at: datetime | str | None = None,
        closed_at: datetime | str | None = None,
        closed_by: str | None = None,
        pull_request: bool = False,
    ) -> dict[str, Any]:
        """Seed an issue (or a pull request with ``pull_request=True``); returns its JSON.

        Labels are created in the repository if missing.  Assignees are stored as given (no
        assignability filtering when seeding).  No events are recorded (use ``add_event``).
        """
        r = self._repo(repo, create=True)
        self._user(user)
        if number is None:
            number = max(r.issues, default=0) + 1
        if number in r.issues:
            raise ValueError(f"{repo}#{number} already exists")
        created = _to_datetime(created_at) or self.now()
        closed = _to_datetime(closed_at)
        if state == "closed" and closed is None:
            closed = created
        issue = _Issue(
            number=number,
            id=next(self._ids),
            title=title,
            body=body,
            user=user,
            labels=[self._ensure_label(r, name).name for name in labels],
            assignees=[self._user(a).login for a in assignees],
            state=state,
            state_reason=state_reason
            if state_reason is not None or state == "open"
            else "completed",
            locked=locked,
            active_lock_reason=active_lock_reason,
            author_association=author_association or self._association(r, user),
            created_at=created,
            updated_at=_to_datetime(updated_at) or created,
            closed_at=closed if state == "closed" else None,
            closed_by=closed_by,
            pull_request=pull_request,
        )
        r.issues[number] = issue
        return self._issue_json(r, issue)

    def add_comment(
        self,
        repo: str,
        number: int,
        body: str,
        user: str = "octocat",
        association: str | None = None,
        created_at: datetime | str | None = None,
        updated_at: datetime | str | None = None,
    ) -> dict[str, Any]:
        """Seed a comment; the issue's ``updated_at`` moves forward to it if later."""
        r = self._repo(repo)
        issue = self._issue(r, number)
        self._user(user)
        created = _to_datetime(created_at) or self.now()
        comment = _Comment(
            id=next(self._ids),
            repo=r.key,
            number=number,
            body=body,
            user=user,
            author_association=association or self._association(r, user),
            created_at=created,
            updated_at=_to_datetime(updated_at) or created,
        )
        issue.comments.append(comment)
        issue.updated_at = max(issue.updated_at, comment.updated_at)
        return self._comment_json(r, comment)

    def edit_issue(
        self,
        repo: str,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        editor: str | None = None,
    ) -> dict[str, Any]:
        """Edit an issue as a person does in the UI; returns its JSON. GitHub records a
        ``renamed`` event for a new title and nothing for a new body (only ``updated_at``
        moves)."""
        r = self._repo(repo)
        issue = self._issue(r, number)
        when = self.now()
        if title is not None and title != issue.title:
            ev = self._record_event(
                issue,
                "renamed",
                editor or issue.user,
                when,
                rename={"from": issue.title, "to": title},
            )
            self._apply_event(r, issue, ev)
        if body is not None:
            issue.body = body
        issue.updated_at = max(issue.updated_at, when)
        return self._issue_json(r, issue)

    def add_event(
        self,
        repo: str,
        number: int,
        event: str,
        actor: str,
        created_at: datetime | str | None = None,
        *,
        label: str | None = None,
        assignee: str | None = None,
        state_reason: str | None = None,
        rename: tuple[str, str] | None = None,
        lock_reason: str | None = None,
        apply: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        """Record an issue event by ``actor`` at ``created_at`` (default: now).

        ``label`` for labeled/unlabeled, ``assignee`` for assigned/unassigned,
        ``state_reason`` for closed/reopened, ``rename=(from, to)`` for renamed,
        ``lock_reason`` for locked; ``extra`` is merged into the event JSON.  With
        ``apply=True`` the change is also applied to the issue (labels, assignees, state,
        title, lock) and ``updated_at`` moves forward to the event time.
        """
        r = self._repo(repo)
        issue = self._issue(r, number)
        self._user(actor)
        when = _to_datetime(created_at) or self.now()
        data: dict[str, Any] = dict(extra)
        if label is not None:
            lab = self._ensure_label(r, label)
            data["label"] = {"name": lab.name, "color": lab.color}
        if assignee is not None:
            self._user(assignee)
            data["assignee"] = assignee
            data["assigner"] = actor
        if event in ("closed", "reopened"):
            data["state_reason"] = state_reason or (
                "reopened" if event == "reopened" else "completed"
            )
        if rename is not None:
            data["rename"] = {"from": rename[0], "to": rename[1]}
        if event == "locked":
            data["lock_reason"] = lock_reason
        ev = self._record_event(issue, event, actor, when, **data)
        if apply:
            self._apply_event(r, issue, ev)
            issue.updated_at = max(issue.updated_at, when)
        return self._event_json(r, issue, ev)

    def _apply_event(self, r: _Repo, issue: _Issue, ev: _Event) -> None:
        lowered = [n.lower() for n in issue.labels]
        if ev.event == "labeled" and ev.extra["label"]["name"].lower() not in lowered:
            issue.labels.append(ev.extra["label"]["name"])
        elif ev.event == "unlabeled":
            name = ev.extra["label"]["name"].lower()
            issue.labels = [n for n in issue.labels if n.lower() != name]
        elif ev.event == "assigned" and ev.extra["assignee"] not in issue.assignees:
            issue.assignees.append(ev.extra["assignee"])
        elif ev.event == "unassigned":
            issue.assignees = [a for a in issue.assignees if a != ev.extra["assignee"]]
        elif ev.event == "closed":
            issue.state, issue.state_reason = "closed", ev.extra["state_reason"]
            issue.closed_at, issue.closed_by = ev.created_at, ev.actor
        elif ev.event == "reopened":
            issue.state, issue.state_reason = "open", "reopened"
            issue.closed_at = issue.closed_by = None
        elif ev.event == "renamed":
            issue.title = ev.extra["rename"]["to"]
        elif ev.event == "locked":
            issue.locked, issue.active_lock_reason = True, ev.extra.get("lock_reason")
        elif ev.event == "unlocked":
            issue.locked, issue.active_lock_reason = False, None

    def add_reaction(
        self,
        repo: str,
        content: str,
        user: str,
        *,
        number: int | None = None,
        comment_id: int | None = None,
    ) -> dict[str, Any]:
        """Seed a reaction on an issue (``number``) or a comment (``comment_id``)."""
        r = self._repo(repo)
        target = (
            self._comment(r, comment_id).reactions
            if comment_id is not None
            else self._issue(r, number or 0).reactions
        )
        self._user(user)
        reaction = _Reaction(next(self._ids), user, content, self.now())
        target.append(reaction)
        return self._reaction_json(reaction)

    # ---------------------------------------------------------------------------- GitHub App

    def configure_app(
        self,
        app_id: int | str,
        public_key_pem: str | bytes,
        slug: str,
        installations: Mapping[int, Iterable[str]] | None = None,
        *,
        name: str | None = None,
        owner: str = "pypi",
    ) -> None:
        """Register the GitHub App: JWTs must be RS256-signed by the matching private key
        with ``iss == app_id``.  ``installations`` maps installation id -> repositories."""
        if isinstance(public_key_pem, bytes):
            public_key_pem = public_key_pem.decode()
        self._user(owner)
        app = _App(
            id=int(app_id),
            slug=slug,
            name=name or slug,
            owner=owner,
            public_key=public_key_pem,
            installations={},
            created_at=self.now(),
        )
        self._app_config = app
        self._user(app.bot_login)
        for inst_id, repos in (installations or {}).items():
            self.add_installation(int(inst_id), repos)

    def add_installation(self, installation_id: int, repos: Iterable[str]) -> None:
        app = self._require_app()
        keys = []
        for repo in repos:
            keys.append(self._repo(repo, create=True).key)
        app.installations[int(installation_id)] = keys

    def _require_app(self) -> _App:
        if self._app_config is None:
            raise RuntimeError("configure_app() first")
        return self._app_config

    @property
    def app_bot_login(self) -> str:
        return self._require_app().bot_login

    # ---------------------------------------------------------------------------- rate limits

    def _bucket(self, resource: str) -> _Bucket:
        now = int(self.now().timestamp())
        bucket = self._buckets.get(resource)
        if bucket is None:
            limit = self._limits.get(resource, 5000)
            window = self._windows.get(resource, 3600)
            bucket = _Bucket(resource, limit, limit, now + window, window)
            self._buckets[resource] = bucket
        elif now >= bucket.reset:  # a new window
            bucket.remaining = bucket.limit
            bucket.reset = now + bucket.window
        return bucket

    def set_rate_limit(
        self,
        remaining: int | None = None,
        *,
        resource: str = "core",
        limit: int | None = None,
        reset: datetime | int | None = None,
    ) -> None:
        """Set the primary rate limit of ``resource`` ("core" or "search").  When
        ``remaining`` is 0 every counted request gets 403 "API rate limit exceeded" until the
        clock passes ``reset`` (epoch seconds or datetime)."""
        bucket = self._bucket(resource)
        if limit is not None:
            bucket.limit = limit
            if remaining is None:
                bucket.remaining = min(bucket.remaining, limit)
        if remaining is not None:
            bucket.remaining = remaining
        if reset is not None:
            bucket.reset = int(reset.timestamp()) if isinstance(reset, datetime) else int(reset)

    def rate_limit(self, resource: str = "core") -> dict[str, int]:
        """Snapshot ``{"limit", "remaining", "reset", "used"}`` of a resource."""
        return self._bucket(resource).as_json()

    # ---------------------------------------------------------------------------- faults

    def inject(
        self,
        method: str,
        path_regex: str,
        status: int | None = 502,
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        delay: float = 0.0,
        reset_connection: bool = False,
        probability: float = 1.0,
        after: bool = False,
        until: asyncio.Event | None = None,
    ) -> Fault:
        """Make the next ``times`` requests matching ``method`` ("*" = any) and
        ``path_regex`` (searched in the path, without query) fail.

        ``probability``: each matching request fails with this chance (from ``self.random``,
        seeded, so a run is reproducible); requests let through do not use up ``times``.
        ``after``: the request is carried out, then its answer replaced by the failure (or the
        connection dropped): GitHub acted, but the client cannot know.

        ``status=None`` with a ``delay`` just slows the real response down; with ``until``
        (an event) it holds the request until the test sets the event.  ``body``: a dict
        or list (JSON) or str; by default ``{"message": <reason>}``.  ``reset_connection``
        drops the TCP connection without answering.  Faults are consumed in insertion order;
        ``times=None`` never runs out.
        """
        fault = Fault(
            method=method.upper(),
            path_regex=re.compile(path_regex),
            status=status,
            times=times,
            headers={k.lower(): str(v) for k, v in (headers or {}).items()},
            body=body,
            delay=delay,
            reset_connection=reset_connection,
            probability=probability,
            after=after,
            until=until,
        )
        self.faults.append(fault)
        return fault

    def inject_secondary_rate_limit(
        self,
        method: str = "*",
        path_regex: str = ".*",
        *,
        status: int = 403,
        retry_after: int | None = 60,
        times: int | None = 1,
    ) -> Fault:
        """A secondary (abuse) rate limit: 403 or 429, ``retry-after`` header, while the
        primary limit still has requests remaining."""
        headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
        body = {
            "message": (
                "You have exceeded a secondary rate limit. Please wait a few minutes before "
                "you try again. If you reach out to GitHub Support for help, please include "
                "the request ID."
            ),
            "documentation_url": RATE_LIMIT_DOCS,
            "status": str(status),
        }
        return self.inject(
            method, path_regex, status=status, times=times, headers=headers, body=body
        )

    def enforce_secondary_limits(
        self, *, content_per_minute: int = 80, content_per_hour: int = 500, serial: bool = True
    ) -> None:
        """Refuse as GitHub's secondary rate limits do (403, ``retry-after: 60``): content
        creation (comments, issues) beyond ``content_per_minute`` / ``content_per_hour`` per
        principal, and, with ``serial``, a write sent while another of the same principal is
        still being answered. Refused calls are listed in ``refusals``."""
        self._secondary = (content_per_minute, content_per_hour, serial)

    def _secondary_refusal(self, call: Call) -> _Result | None:
        if self._secondary is None or not call.is_write:
            return None
        per_minute, per_hour, serial = self._secondary
        principal = call.headers.get("authorization", "")
        refused = serial and self._writing.get(principal, 0) > 1
        creates = call.method == "POST" and (
            call.path.endswith("/comments") or call.path.endswith("/issues")
        )
        if creates and not refused:
            times = self._created.setdefault(principal, [])
            times[:] = [x for x in times if x > call.at - 3600]
            last_minute = [x for x in times if x > call.at - 60]
            refused = len(last_minute) >= per_minute or len(times) >= per_hour
            if not refused:
                times.append(call.at)
        if not refused:
            return None
        body = {
            "message": (
                "You have exceeded a secondary rate limit. Please wait a few minutes before "
                "you try again."
            ),
            "documentation_url": RATE_LIMIT_DOCS,
        }
        return _Result(403, body, {"retry-after": "60"})

    def clear_faults(self) -> None:
        self.faults.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                if fault.probability < 1 and self.random.random() >= fault.probability:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    # ---------------------------------------------------------------------------- inspection

    def reset_calls(self) -> None:
        self.calls.clear()
        self.writes.clear()
        self._check_served()  # the responses held would grow for ever too

    @property
    def contract_violations(self) -> list[str]:
        """Every problem with a request or a response, in the order they were served."""
        self._check_served()
        return self._violations

    def _check_served(self) -> None:
        """Responses are checked when the problems are read, not while the client waits:
        checking a long timeline against GitHub's schema takes longer than GitHub takes to
        answer, and would count against the client's timeout."""
        while self._unchecked:
            self._violations.extend(self._unchecked.pop(0)())

    def _response_check(
        self, method: str, path: str, result: _Result, response: web.Response
    ) -> Callable[[], Iterable[str]]:
        """The contract check of a response, as sent: the JSON is decoded from the bytes
        sent, so that later changes to the fake's state do not reach it."""
        body = result.body
        if body is _NO_BODY:
            body = None
        sent = response.body if isinstance(body, dict | list) else None

        def check() -> Iterable[str]:
            payload = json.loads(sent) if sent is not None else body
            return (
                f"response: {v}"
                for v in self.contract.check_response(method, path, result.status, payload)
            )

        return check

    def issue(self, repo: str, number: int) -> dict[str, Any]:
        """Current JSON of an issue (as ``GET /repos/{owner}/{repo}/issues/{number}``)."""
        r = self._repo(repo)
        return self._issue_json(r, self._issue(r, number))

    def issues(self, repo: str) -> list[dict[str, Any]]:
        """Current JSON of every issue and pull request, by number."""
        r = self._repo(repo)
        return [self._issue_json(r, r.issues[n]) for n in sorted(r.issues)]

    def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        r = self._repo(repo)
        return [self._comment_json(r, c) for c in self._issue(r, number).comments]

    def events(self, repo: str, number: int) -> list[dict[str, Any]]:
        r = self._repo(repo)
        issue = self._issue(r, number)
        return [self._event_json(r, issue, e) for e in issue.events]

    def labels(self, repo: str) -> list[dict[str, Any]]:
        r = self._repo(repo)
        return [self._label_json(r, lab) for lab in r.labels.values()]

    def reactions(
        self, repo: str, *, number: int | None = None, comment_id: int | None = None
    ) -> list[dict[str, Any]]:
        r = self._repo(repo)
        target = (
            self._comment(r, comment_id).reactions
            if comment_id is not None
            else self._issue(r, number or 0).reactions
        )
        return [self._reaction_json(x) for x in target]

    # ---------------------------------------------------------------------------- JSON shapes

    def _user_json(self, login: str) -> dict[str, Any]:
        user = self._user(login)
        base = f"{self._base_url}/users/{urllib.parse.quote(user.login)}"
        html = (
            f"{WEB}/apps/{user.login.removesuffix('[bot]')}"
            if user.type == "Bot"
            else f"{WEB}/{user.login}"
        )
        return {
            "login": user.login,
            "id": user.id,
            "node_id": f"U_fake{user.id}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": base,
            "html_url": html,
            "followers_url": f"{base}/followers",
            "following_url": f"{base}/following{{/other_user}}",
            "gists_url": f"{base}/gists{{/gist_id}}",
            "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{base}/subscriptions",
            "organizations_url": f"{base}/orgs",
            "repos_url": f"{base}/repos",
            "events_url": f"{base}/events{{/privacy}}",
            "received_events_url": f"{base}/received_events",
            "type": user.type,
            "site_admin": user.site_admin,
            "user_view_type": "public",
        }

    def _repo_url(self, r: _Repo) -> str:
        return f"{self._base_url}/repos/{r.owner}/{r.name}"

    def _full_repo_json(self, r: _Repo) -> dict[str, Any]:
        """A repository as ``GET /repos/{owner}/{repo}`` shows it (the full-repository
        schema's required fields, with plain values)."""
        api, html = self._repo_url(r), f"{WEB}/{r.full_name}"
        templated = {
            key: f"{api}/{path}"
            for key, path in {
                "archive_url": "{archive_format}{/ref}",
                "assignees_url": "assignees{/user}",
                "blobs_url": "git/blobs{/sha}",
                "branches_url": "branches{/branch}",
                "collaborators_url": "collaborators{/collaborator}",
                "comments_url": "comments{/number}",
                "commits_url": "commits{/sha}",
                "compare_url": "compare/{base}...{head}",
                "contents_url": "contents/{+path}",
                "git_commits_url": "git/commits{/sha}",
                "git_refs_url": "git/refs{/sha}",
                "git_tags_url": "git/tags{/sha}",
                "issue_comment_url": "issues/comments{/number}",
                "issue_events_url": "issues/events{/number}",
                "issues_url": "issues{/number}",
                "keys_url": "keys{/key_id}",
                "labels_url": "labels{/name}",
                "milestones_url": "milestones{/number}",
                "notifications_url": "notifications{?since,all,participating}",
                "pulls_url": "pulls{/number}",
                "releases_url": "releases{/id}",
                "statuses_url": "statuses/{sha}",
                "trees_url": "git/trees{/sha}",
            }.items()
        }
        plain = {
            key: f"{api}/{key.removesuffix('_url')}"
            for key in (
                "contributors_url",
                "deployments_url",
                "downloads_url",
                "events_url",
                "forks_url",
                "hooks_url",
                "languages_url",
                "merges_url",
                "stargazers_url",
                "subscribers_url",
                "subscription_url",
                "tags_url",
                "teams_url",
            )
        }
        counts = ("forks", "forks_count", "open_issues", "open_issues_count", "size")
        counts += ("stargazers_count", "watchers", "watchers_count", "network_count")
        created = _iso(DEFAULT_NOW - timedelta(days=900))
        return {
            "id": r.id,
            "node_id": f"R_fake{r.id}",
            "name": r.name,
            "full_name": r.full_name,
            "owner": self._user_json(r.owner),
            "private": r.private,
            "html_url": html,
            "description": None,
            "fork": False,
            "url": api,
            **templated,
            **plain,
            "clone_url": f"{html}.git",
            "git_url": f"git://github.com/{r.full_name}.git",
            "ssh_url": f"git@github.com:{r.full_name}.git",
            "svn_url": html,
            "mirror_url": None,
            "homepage": None,
            "language": "Python",
            "default_branch": "main",
            **dict.fromkeys(counts, 0),
            "subscribers_count": 0,
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_discussions": False,
            "archived": r.archived,
            "disabled": False,
            "visibility": "private" if r.private else "public",
            "license": None,
            "pushed_at": created,
            "created_at": created,
            "updated_at": created,
        }

    def _label_json(self, r: _Repo, label: _Label) -> dict[str, Any]:
        return {
            "id": label.id,
            "node_id": f"LA_fake{label.id}",
            "url": f"{self._repo_url(r)}/labels/{urllib.parse.quote(label.name, safe='')}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def _rollup(self, url: str, reactions: list[_Reaction]) -> dict[str, Any]:
        rollup: dict[str, Any] = {"url": url, "total_count": len(reactions)}
        for content in REACTIONS:
            rollup[content] = sum(1 for x in reactions if x.content == content)
        return rollup

    def _issue_json(self, r: _Repo, issue: _Issue) -> dict[str, Any]:
        url = f"{self._repo_url(r)}/issues/{issue.number}"
        kind = "pull" if issue.pull_request else "issues"
        html = f"{WEB}/{r.full_name}/{kind}/{issue.number}"
        assignees = [self._user_json(a) for a in issue.assignees]
        data: dict[str, Any] = {
            "url": url,
            "repository_url": self._repo_url(r),
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": html,
            "timeline_url": f"{url}/timeline",
            "id": issue.id,
            "node_id": f"I_fake{issue.id}",
            "number": issue.number,
            "title": issue.title,
            "user": self._user_json(issue.user),
            "labels": [self._label_json(r, self._ensure_label(r, n)) for n in issue.labels],
            "state": issue.state,
            "state_reason": issue.state_reason,
            "locked": issue.locked,
            "active_lock_reason": issue.active_lock_reason,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": None,
            "comments": len(issue.comments),
            "created_at": _iso(issue.created_at),
            "updated_at": _iso(issue.updated_at),
            "closed_at": _iso(issue.closed_at),
            "closed_by": self._user_json(issue.closed_by) if issue.closed_by else None,
            "author_association": issue.author_association,
            "body": issue.body,
            "reactions": self._rollup(f"{url}/reactions", issue.reactions),
            "performed_via_github_app": None,
        }
        if issue.pull_request:
            pr = f"{self._repo_url(r)}/pulls/{issue.number}"
            data["pull_request"] = {
                "url": pr,
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": None,
            }
            data["draft"] = False
        return data

    def _comment_json(self, r: _Repo, c: _Comment) -> dict[str, Any]:
        url = f"{self._repo_url(r)}/issues/comments/{c.id}"
        kind = "pull" if r.issues[c.number].pull_request else "issues"
        return {
            "url": url,
            "html_url": f"{WEB}/{r.full_name}/{kind}/{c.number}#issuecomment-{c.id}",
            "issue_url": f"{self._repo_url(r)}/issues/{c.number}",
            "id": c.id,
            "node_id": f"IC_fake{c.id}",
            "user": self._user_json(c.user),
            "created_at": _iso(c.created_at),
            "updated_at": _iso(c.updated_at),
            "author_association": c.author_association,
            "body": c.body,
            "reactions": self._rollup(f"{url}/reactions", c.reactions),
            "performed_via_github_app": self._app_json() if c.via_app else None,
        }

    def _reaction_json(self, x: _Reaction) -> dict[str, Any]:
        return {
            "id": x.id,
            "node_id": f"REA_fake{x.id}",
            "user": self._user_json(x.user),
            "content": x.content,
            "created_at": _iso(x.created_at),
        }

    def _event_json(self, r: _Repo, issue: _Issue, ev: _Event) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": ev.id,
            "node_id": f"IE_fake{ev.id}",
            "url": f"{self._repo_url(r)}/issues/events/{ev.id}",
            "actor": self._user_json(ev.actor),
            "event": ev.event,
            "commit_id": None,
            "commit_url": None,
            "created_at": _iso(ev.created_at),
            "performed_via_github_app": self._app_json() if ev.via_app else None,
        }
        for key, value in ev.extra.items():
            if key in ("assignee", "assigner"):
                data[key] = self._user_json(value)
            else:
                data[key] = value
        return data

    def _app_json(self) -> dict[str, Any] | None:
        app = self._app_config
        if app is None:
            return None
        return {
            "id": app.id,
            "slug": app.slug,
            "client_id": f"Iv1.fake{app.id}",
            "node_id": f"A_fake{app.id}",
            "owner": self._user_json(app.owner),
            "name": app.name,
            "description": None,
            "external_url": f"{WEB}/{app.owner}",
            "html_url": f"{WEB}/apps/{app.slug}",
            "created_at": _iso(app.created_at),
            "updated_at": _iso(app.created_at),
            "permissions": {"issues": "write", "metadata": "read"},
            "events": ["issues", "issue_comment"],
            "installations_count": len(app.installations),
        }

    def _installation_json(self, inst_id: int) -> dict[str, Any]:
        app = self._require_app()
        repos = app.installations[inst_id]
        account = self._repos[repos[0]].owner if repos else app.owner
        account_user = self._user(account)
        url = f"{self._base_url}/app/installations/{inst_id}"
        return {
            "id": inst_id,
            "account": self._user_json(account),
            "access_tokens_url": f"{url}/access_tokens",
            "repositories_url": f"{self._base_url}/installation/repositories",
            "html_url": f"{WEB}/settings/installations/{inst_id}",
            "app_id": app.id,
            "app_slug": app.slug,
            "client_id": f"Iv1.fake{app.id}",
            "target_id": account_user.id,
            "target_type": account_user.type,
            "permissions": {"issues": "write", "metadata": "read"},
            "events": ["issues", "issue_comment"],
            "created_at": _iso(app.created_at),
            "updated_at": _iso(app.created_at),
            "single_file_name": None,
            "has_multiple_single_files": False,
            "single_file_paths": [],
            "repository_selection": "selected",
            "suspended_at": None,
            "suspended_by": None,
        }

    # ---------------------------------------------------------------------------- internals

    def _association(self, r: _Repo, login: str) -> str:
        if login.lower() in r.associations:
            return r.associations[login.lower()]
        if login.lower() == r.owner.lower():
            return "OWNER"
        if login.lower() in r.roles:
            return "COLLABORATOR"
        return "NONE"

    def _can_assign(self, r: _Repo, login: str) -> bool:
        key = login.lower()
        if key in r.assignable:
            return r.assignable[key]
        if self.allow_any_assignee:
            return True
        return key in r.roles or key == r.owner.lower()

    def _issue(self, r: _Repo, number: int) -> _Issue:
        try:
            return r.issues[int(number)]
        except (KeyError, ValueError):
            raise KeyError(f"{r.full_name}#{number} does not exist") from None

    def _comment(self, r: _Repo, comment_id: int | None) -> _Comment:
        for issue in r.issues.values():
            for c in issue.comments:
                if c.id == comment_id:
                    return c
        raise KeyError(f"comment {comment_id} not in {r.full_name}")

    def _record_event(
        self, issue: _Issue, event: str, actor: str, when: datetime, **extra: Any
    ) -> _Event:
        via_app = bool(self._app_config and actor == self._app_config.bot_login)
        ev = _Event(next(self._ids), event, actor, when, extra, via_app)
        issue.events.append(ev)
        return ev

    @property
    def app(self) -> web.Application:
        """The aiohttp application (created on first access)."""
        if self._app is None:
            self._app = self._build_app()
        return self._app

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        routes: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", "/user", self._get_user),
            ("GET", "/app", self._get_app),
            ("POST", "/app/installations/{installation_id}/access_tokens", self._create_token),
            ("GET", "/rate_limit", self._get_rate_limit),
            ("GET", "/search/issues", self._search_issues),
            ("GET", "/repos/{owner}/{repo}/installation", self._get_repo_installation),
            ("GET", "/repos/{owner}/{repo}", self._get_repo),
            ("GET", "/orgs/{org}/public_members/{username}", self._check_public_member),
            ("GET", "/repos/{owner}/{repo}/issues", self._list_issues),
            ("POST", "/repos/{owner}/{repo}/issues", self._create_issue),
            # literal "comments" before {issue_number} so it wins
            ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", self._edit_comment),
            (
                "POST",
                "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
                self._react_comment,
            ),
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}", self._get_issue),
            ("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", self._update_issue),
            ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", self._add_labels),
            (
                "DELETE",
                "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
                self._remove_label,
            ),
            (
                "POST",
                "/repos/{owner}/{repo}/issues/{issue_number}/assignees",
                self._add_assignees,
            ),
            (
                "DELETE",
                "/repos/{owner}/{repo}/issues/{issue_number}/assignees",
                self._remove_assignees,
            ),
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments", self._list_comments),
            ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", self._add_comment),
            ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/reactions", self._react_issue),
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/events", self._list_events),
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/timeline", self._timeline),
            ("GET", "/repos/{owner}/{repo}/labels", self._list_labels),
            ("GET", "/repos/{owner}/{repo}/labels/{name}", self._get_label),
            (
                "GET",
                "/repos/{owner}/{repo}/collaborators/{username}/permission",
                self._get_permission,
            ),
            (
                "GET",
                "/orgs/{org}/teams/{team_slug}/memberships/{username}",
                self._get_membership,
            ),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        return app

    # -- request pipeline -------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self._base_url = f"{request.scheme}://{request.host}"
        method = request.method.upper()
        path = request.raw_path.split("?", 1)[0]
        query = {k: v for k, v in request.query.items()}
        raw = await request.read()
        body: Any = None
        bad_json = False
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
        call = Call(
            method=method,
            path=path,
            query=query,
            json=body,
            headers={k.lower(): v for k, v in request.headers.items()},
            at=time.monotonic(),
        )
        self.calls.append(call)
        if call.is_write:
            self.writes.append(call)

        problems = self.contract.request_problems(method, path, query, body)
        if bad_json:
            problems.append(Problem("body", f"{method} {path}: request body is not JSON"))
        request_problems = [f"request: {p}" for p in problems]
        self._unchecked.append(lambda: request_problems)

        # GitHub carries a request out even when the client has gone (a timeout, a dropped
        # connection): the work is shielded from the test server's cancellation.
        async def carry_out() -> web.StreamResponse:
            resource = "search" if path.startswith("/search/") else "core"
            refusal = self._secondary_refusal(call)
            if refusal is not None:
                call.status = refusal.status
                self.refusals.append(call)
                return self._respond(request, refusal, self._bucket(resource))
            fault = self._take_fault(method, path)
            if fault is not None and not fault.after:
                faulted = await self._fault(fault, request, call, self._bucket(resource))
                if faulted is not None:
                    return faulted

            counted = path != "/rate_limit"
            counts_against_limit = True
            try:
                request[_PRINCIPAL] = self._authenticate(request, path)
                bucket = self._bucket(resource)
                if counted and bucket.remaining <= 0:
                    counts_against_limit = False
                    principal = request[_PRINCIPAL]
                    raise _APIError(
                        403,
                        f"API rate limit exceeded for {principal.kind} {principal.login}. "
                        "(But here's the good news: Authenticated requests get a higher rate "
                        "limit. Check out the documentation for more details.)",
                        documentation_url=(
                            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                        ),
                    )
                if bad_json:
                    raise _APIError(400, "Problems parsing JSON")
                if any(p.kind == "path" for p in problems):
                    raise _not_found()
                body_problems = [
                    p.message.split(": request ", 1)[-1] for p in problems if p.kind == "body"
                ]
                if body_problems and body is not None:
                    raise _APIError(422, "Invalid request.\n\n" + "\n".join(body_problems))
                result = await handler(request)
            except _APIError as exc:
                if exc.status == 401:
                    counts_against_limit = False
                result = self._error_result(method, path, exc)
            except web.HTTPException:  # no such route / method: GitHub says 404
                result = self._error_result(method, path, _not_found())
            except KeyError:  # an unknown repo/issue/comment looked up by a handler
                result = self._error_result(method, path, _not_found())

            bucket = self._bucket(resource)
            if fault is not None and fault.after:
                faulted = await self._fault(fault, request, call, bucket)
                if faulted is not None:
                    return faulted
            if method == "GET" and result.status == 200 and result.body is not _NO_BODY:
                etag = '"' + hashlib.sha256(_dumps(result.body)).hexdigest()[:40] + '"'
                result.headers["etag"] = etag
                if _etag_matches(request.headers.get("If-None-Match"), etag):
                    result = _Result(304, _NO_BODY, {"etag": etag})
                    counts_against_limit = False
            if counted and counts_against_limit and bucket.remaining > 0:
                bucket.remaining -= 1
            call.status = result.status
            response = self._respond(request, result, bucket)
            self._unchecked.append(self._response_check(method, path, result, response))
            return response

        if not call.is_write:
            return await asyncio.shield(carry_out())
        principal = call.headers.get("authorization", "")
        self._writing[principal] = self._writing.get(principal, 0) + 1
        try:
            return await asyncio.shield(carry_out())
        finally:
            self._writing[principal] -= 1

    async def _fault(
        self, fault: Fault, request: web.Request, call: Call, bucket: _Bucket
    ) -> web.StreamResponse | None:
        """Carry out an injected fault: a delay, a dropped connection, a status (None: the
        request goes on as usual after the delay)."""
        if fault.until is not None:
            await fault.until.wait()
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.reset_connection:
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        if fault.status is not None:
            result = self._fault_result(fault)
            call.status = result.status
            return self._respond(request, result, bucket)
        return None

    def _respond(self, request: web.Request, result: _Result, bucket: _Bucket) -> web.Response:
        headers = {
            "x-ratelimit-limit": str(bucket.limit),
            "x-ratelimit-remaining": str(bucket.remaining),
            "x-ratelimit-used": str(bucket.used),
            "x-ratelimit-reset": str(bucket.reset),
            "x-ratelimit-resource": bucket.resource,
            "x-github-media-type": "github.v3; format=json",
            "x-github-api-version-selected": "2022-11-28",
            "x-github-request-id": f"FAKE:{next(self._request_ids):08X}",
            "vary": "Accept, Authorization, Cookie, X-GitHub-OTP",
        }
        headers.update(result.headers)
        if result.body is _NO_BODY:
            return web.Response(status=result.status, headers=headers)
        if isinstance(result.body, bytes | str):
            text = result.body.encode() if isinstance(result.body, str) else result.body
            headers.setdefault("content-type", "text/plain; charset=utf-8")
            return web.Response(status=result.status, body=text, headers=headers)
        headers["content-type"] = "application/json; charset=utf-8"
        return web.Response(status=result.status, body=_dumps(result.body), headers=headers)

    def _fault_result(self, fault: Fault) -> _Result:
        assert fault.status is not None
        body = fault.body
        if body is None:
            try:
                phrase = HTTPStatus(fault.status).phrase
            except ValueError:
                phrase = "Error"
            body = {"message": "Server Error" if fault.status in (500, 502) else phrase}
        return _Result(fault.status, body, dict(fault.headers))

    def _error_result(self, method: str, path: str, exc: _APIError) -> _Result:
        docs = exc.documentation_url
        if docs is None:
            matched = self.contract.match(method, path)
            docs = matched[0].get("externalDocs", {}).get("url", DOCS) if matched else DOCS
        body: dict[str, Any] = {"message": exc.message, "documentation_url": docs}
        if exc.errors is not None:
            body["errors"] = exc.errors
        body["status"] = str(exc.status)
        headers = {}
        if exc.status == 401:
            headers["www-authenticate"] = 'Bearer realm="GitHub"'
        return _Result(exc.status, body, headers)

    def _authenticate(self, request: web.Request, path: str) -> _Principal:
        header = request.headers.get("Authorization")
        if not header:
            raise _APIError(401, "Requires authentication")
        scheme, _, credential = header.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() not in ("token", "bearer") or not credential:
            raise _APIError(401, "Bad credentials")
        app_route = (
            path == "/app"
            or path.startswith("/app/")
            or bool(re.fullmatch(r"/repos/[^/]+/[^/]+/installation", path))
        )
        if app_route:
            return self._verify_jwt(credential)
        token = self._tokens.get(credential)
        if token is None:
            if credential.count(".") == 2 and self._app_config is not None:
                self._verify_jwt(credential)  # a JWT is only good for /app endpoints
                raise _APIError(403, NO_INTEGRATION)
            raise _APIError(401, "Bad credentials")
        if token.kind == "installation":
            assert token.expires_at is not None
            if token.expires_at <= self.now():
                raise _APIError(401, "Bad credentials")
            return _Principal("installation", token.login, token.installation_id, token.repos)
        return _Principal("user", token.login)

    def _verify_jwt(self, credential: str) -> _Principal:
        app = self._app_config
        if app is None or credential.count(".") != 2:
            raise _APIError(401, BAD_JWT)
        try:
            claims = jwt.decode(
                credential,
                app.public_key,
                algorithms=["RS256"],
                options={
                    "verify_exp": False,  # checked below against the fake's clock
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["iat", "exp", "iss"],
                },
            )
        except jwt.PyJWTError:
            raise _APIError(401, BAD_JWT) from None
        if str(claims["iss"]) != str(app.id):
            raise _APIError(401, BAD_JWT)
        exp, iat = claims["exp"], claims["iat"]
        if not isinstance(exp, int | float) or exp <= self.now().timestamp():
            raise _APIError(
                401,
                "'Expiration time' claim ('exp') must be a numeric value representing the "
                "future time at which the assertion expires",
            )
        if not isinstance(iat, int | float) or exp - iat > 11 * 60:
            raise _APIError(401, "'Expiration time' claim ('exp') is too far in the future")
        return _Principal("app", app.bot_login)

    def _repo_for(self, request: web.Request, *, write: bool = False) -> _Repo:
        key = f"{request.match_info['owner']}/{request.match_info['repo']}".lower()
        r = self._repos.get(key)
        principal: _Principal = request[_PRINCIPAL]
        if r is None:
            raise _not_found()
        if principal.kind == "installation" and r.key not in principal.repos:
            if r.private:
                raise _not_found()
            if write:
                raise _APIError(403, NO_INTEGRATION)
        return r

    def _issue_for(self, request: web.Request, r: _Repo) -> _Issue:
        issue = r.issues.get(int(request.match_info["issue_number"]))
        if issue is None:
            raise _not_found()
        return issue

    def _comment_for(self, request: web.Request, r: _Repo) -> _Comment:
        try:
            return self._comment(r, int(request.match_info["comment_id"]))
        except KeyError:
            raise _not_found() from None

    def _actor(self, request: web.Request) -> str:
        return request[_PRINCIPAL].login

    def _paginate(self, request: web.Request, items: list[Any]) -> tuple[list[Any], dict]:
        per_page = _int_param(request.query.get("per_page"), 30)
        per_page = 30 if per_page < 1 else min(per_page, 100)
        page = max(1, _int_param(request.query.get("page"), 1))
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]

        def url(n: int) -> str:
            query = dict(request.query)
            query["page"] = str(n)
            return str(request.url.with_query(query))

        links = []
        if page > 1:
            links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
        if page < last:
            links.append(f'<{url(page + 1)}>; rel="next"')
            links.append(f'<{url(last)}>; rel="last"')
        if page > 1:
            links.append(f'<{url(1)}>; rel="first"')
        return chunk, ({"link": ", ".join(links)} if links else {})

    async def _json_body(self, request: web.Request) -> Any:
        raw = await request.read()
        return json.loads(raw) if raw.strip() else None

    # -- handlers: identity, app ------------------------------------------------------------

    async def _get_user(self, request: web.Request) -> _Result:
        principal: _Principal = request[_PRINCIPAL]
        if principal.kind != "user":
            raise _APIError(403, NO_INTEGRATION)
        user = self._user(principal.login)
        data = self._user_json(user.login)
        data.update(
            {
                "user_view_type": "private",
                "name": user.name,
                "company": None,
                "blog": "",
                "location": None,
                "email": user.email,
                "notification_email": user.email,
                "hireable": None,
                "bio": None,
                "twitter_username": None,
                "public_repos": sum(
                    1 for r in self._repos.values() if r.owner.lower() == user.login.lower()
                ),
                "public_gists": 0,
                "followers": 0,
                "following": 0,
                "created_at": _iso(DEFAULT_NOW - timedelta(days=3650)),
                "updated_at": _iso(DEFAULT_NOW - timedelta(days=1)),
                "private_gists": 0,
                "total_private_repos": 0,
                "owned_private_repos": 0,
                "disk_usage": 0,
                "collaborators": 0,
                "two_factor_authentication": True,
                "plan": {
                    "name": "free",
                    "space": 976562499,
                    "collaborators": 0,
                    "private_repos": 10000,
                },
            }
        )
        return _Result(200, data)

    async def _get_app(self, request: web.Request) -> _Result:
        return _Result(200, self._app_json())

    async def _create_token(self, request: web.Request) -> _Result:
        app = self._require_app()
        try:
            inst_id = int(request.match_info["installation_id"])
        except ValueError:
            raise _not_found() from None
        if inst_id not in app.installations:
            raise _not_found()
        repos = frozenset(app.installations[inst_id])
        body = await self._json_body(request) or {}
        wanted = body.get("repositories") if isinstance(body, dict) else None
        if wanted:
            owner_keys = {k.split("/", 1)[1]: k for k in repos}
            missing = [n for n in wanted if n.lower() not in owner_keys]
            if missing:
                raise _APIError(
                    422,
                    "There is at least one repository that does not exist or is not "
                    "accessible to the parent installation.",
                )
            repos = frozenset(owner_keys[n.lower()] for n in wanted)
        self.installation_tokens_issued += 1
        token = f"ghs_fake{self.installation_tokens_issued:028d}"
        expires = self.now() + self.installation_token_ttl
        self._tokens[token] = _Token(token, app.bot_login, "installation", inst_id, repos, expires)
        return _Result(
            201,
            {
                "token": token,
                "expires_at": _iso(expires),
                "permissions": {"issues": "write", "metadata": "read"},
                "repository_selection": "selected",
            },
        )

    async def _get_repo_installation(self, request: web.Request) -> _Result:
        app = self._require_app()
        key = f"{request.match_info['owner']}/{request.match_info['repo']}".lower()
        for inst_id, repos in app.installations.items():
            if key in repos:
                return _Result(200, self._installation_json(inst_id))
        raise _not_found()

    async def _get_rate_limit(self, request: web.Request) -> _Result:
        core = self._bucket("core").as_json()
        search = self._bucket("search").as_json()
        return _Result(200, {"resources": {"core": core, "search": search}, "rate": core})

    # -- handlers: issues -------------------------------------------------------------------

    async def _list_issues(self, request: web.Request) -> _Result:
        r = self._repo_for(request)
        q = request.query
        state = q.get("state", "open")
        wanted_labels = [x.strip().lower() for x in q.get("labels", "").split(",") if x.strip()]
        since = _parse_since(q.get("since"))
        assignee, creator, mentioned = q.get("assignee"), q.get("creator"), q.get("mentioned")
        items = []
        for issue in r.issues.values():
            if state in ("open", "closed") and issue.state != state:
                continue
            have = {n.lower() for n in issue.labels}
            if any(label not in have for label in wanted_labels):
                continue
            if since is not None and issue.updated_at < since:
                continue
            if assignee == "none" and issue.assignees:
                continue
            if assignee == "*" and not issue.assignees:
                continue
            if assignee not in (None, "none", "*") and assignee.lower() not in {
                a.lower() for a in issue.assignees
            }:
                continue
            if creator is not None and issue.user.lower() != creator.lower():
                continue
            if mentioned is not None and f"@{mentioned.lower()}" not in (issue.body or "").lower():
                continue
            items.append(issue)
        items = _sort_issues(items, q.get("sort", "created"), q.get("direction", "desc"))
        page, headers = self._paginate(request, items)
        return _Result(200, [self._issue_json(r, i) for i in page], headers)

    async def _create_issue(self, request: web.Request) -> _Result:
        r = self._repo_for(request, write=True)
        body = await self._json_body(request) or {}
        title = body.get("title")
        if title is None or not str(title).strip():
            raise _validation("Issue", "title", "missing_field")
        text = body.get("body")
        if text is not None and len(str(text)) > MAX_COMMENT_LENGTH:
            raise _APIError(
                422,
                "Validation Failed",
                errors=[
                    {
                        "resource": "Issue",
                        "code": "custom",
                        "field": "body",
                        "message": "body is too long (maximum is 65536 characters)",
                    }
                ],
            )
        actor, now = self._actor(request), self.now()
        number = max(r.issues, default=0) + 1
        issue = _Issue(
            number=number,
            id=next(self._ids),
            title=str(title),
            body=text,
            user=actor,
            labels=[],
            assignees=[],
            state="open",
            state_reason=None,
            locked=False,
            active_lock_reason=None,
            author_association=self._association(r, actor),
            created_at=now,
            updated_at=now,
            closed_at=None,
            closed_by=None,
            pull_request=False,
        )
        r.issues[number] = issue
        for name in body.get("labels") or []:
            self._set_labels(r, issue, [*issue.labels, _label_name(name)], actor, now)
        data = self._issue_json(r, issue)
        return _Result(201, data, {"location": data["url"]})

    async def _get_issue(self, request: web.Request) -> _Result:
        r = self._repo_for(request)
        return _Result(200, self._issue_json(r, self._issue_for(request, r)))

    async def _update_issue(self, request: web.Request) -> _Result:
        r = self._repo_for(request, write=True)
        issue = self._issue_for(request, r)
        body = await self._json_body(request) or {}
        actor, now = self._actor(request), self.now()
        changed = False
        if body.get("title") is not None and str(body["title"]) != issue.title:
            if not str(body["title"]).strip():
                raise _validation("Issue", "title", "missing_field")
            self._record_event(
                issue, "renamed", actor, now, rename={"from": issue.title, "to": str(body["title"])}
            )
            issue.title = str(body["title"])
            changed = True
        if "body" in body and body["body"] != issue.body:
            if body["body"] is not None and len(str(body["body"])) > MAX_COMMENT_LENGTH:
                raise _validation("Issue", "body", "too_long")
            issue.body = body["body"]
            changed = True
        if "labels" in body and body["labels"] is not None:
            names = [_label_name(x) for x in body["labels"]]
            changed |= self._set_labels(r, issue, names, actor, now)
        if "assignees" in body and body["assignees"] is not None:
            logins = [_login(x) for x in body["assignees"]]
            changed |= self._set_assignees(r, issue, logins, actor, now)
        elif "assignee" in body:
            logins = [body["assignee"]] if body["assignee"] else []
            changed |= self._set_assignees(r, issue, logins, actor, now)
        state, reason = body.get("state"), body.get("state_reason")
        if state == "closed" and issue.state == "open":
            reason = reason if reason in ("completed", "not_planned", "duplicate") else "completed"
            issue.state, issue.state_reason = "closed", reason
            issue.closed_at, issue.closed_by = now, actor
            self._record_event(issue, "closed", actor, now, state_reason=reason)
            changed = True
        elif state == "open" and issue.state == "closed":
            issue.state, issue.state_reason = "open", "reopened"
            issue.closed_at = issue.closed_by = None
            self._record_event(issue, "reopened", actor, now, state_reason="reopened")
            changed = True
        elif (
            state in (None, "closed")
            and issue.state == "closed"
            and reason in ("completed", "not_planned", "duplicate")
            and reason != issue.state_reason
        ):
            issue.state_reason = reason
            changed = True
        if changed:
            issue.updated_at = now
        return _Result(200, self._issue_json(r, issue))

    def _set_labels(
        self, r: _Repo, issue: _Issue, names: list[str], actor: str, now: datetime
    ) -> bool:
        new: list[str] = []
        for name in names:
            label = self._ensure_label(r, name)
            if label.name.lower() not in {n.lower() for n in new}:
                new.append(label.name)
        old_lower = {n.lower() for n in issue.labels}
        new_lower = {n.lower() for n in new}
        for name in issue.labels:
            if name.lower() not in new_lower:
                self._record_event(issue, "unlabeled", actor, now, label=self._label_ref(r, name))
        for name in new:
            if name.lower() not in old_lower:
                self._record_event(issue, "labeled", actor, now, label=self._label_ref(r, name))
        changed = [n.lower() for n in issue.labels] != [n.lower() for n in new]
        issue.labels = new
        return changed

    def _label_ref(self, r: _Repo, name: str) -> dict[str, str]:
        label = self._ensure_label(r, name)
        return {"name": label.name, "color": label.color}

    def _set_assignees(
        self, r: _Repo, issue: _Issue, logins: list[str], actor: str, now: datetime
    ) -> bool:
        new: list[str] = []
        for login in logins:
            if self._can_assign(r, login) and login.lower() not in {x.lower() for x in new}:
                new.append(self._user(login).login)
        new = new[:MAX_ASSIGNEES]
        old_lower = {a.lower() for a in issue.assignees}
        new_lower = {a.lower() for a in new}
        for login in issue.assignees:
            if login.lower() not in new_lower:
                self._record_event(issue, "unassigned", actor, now, assignee=login, assigner=actor)
        for login in new:
            if login.lower() not in old_lower:
                self._record_event(issue, "assigned", actor, now, assignee=login, assigner=actor)
        changed = old_lower != new_lower
        issue.assignees = new
        return changed

    async def _add_labels(self, request: web.Request) -> _Result:
        r = self._repo_for(request, write=True)
        issue = self._issue_for(request, r)
        body = await self._json_body(request)
        raw = body.get("labels") if isinstance(body, dict) else body
        names = [_label_name(x) for x in raw or []]
        if not names:
            raise _validation("Label", "labels", "missing_field")
        merged = list(issue.labels) + names
        if self._set_labels(r, issue, merged, self._actor(request), self.now()):
            issue.updated_at = self.now()
        return _Result(200, [self._label_json(r, self._ensure_label(r, n)) for n in issue.labels])

    async def _remove_label(self, request: web.Request) -> _Result:
        r = self._repo_for(request, write=True)
        issue = self._issue_for(request, r)
        name = request.match_info["name"]
        remaining = [n for n in issue.labels if n.lower() != name.lower()]
        if len(remaining) == len(issue.labels):
            raise _APIError(404, "Label does not exist")
        self._set_labels(r, issue, remaining, self._actor(request), self.now())
        issue.updated_at = self.now()
        return _Result(200, [self._label_json(r, self._ensure_label(r, n)) for n in issue.labels])

    async def _add_assignees(self, request: web.Request) -> _Result:
        r = self._repo_for(request, write=True)
        issue = self._issue_for(request, r)
        body = await self._json_body(request) or {}
        logins = [_login(x) for x in body.get("assignees") or []]
        if self._set_assignees(
            r, issue, issue.assignees + logins, self._actor(request), self.now()
        ):
            issue.updated_at = self.now()
        return _Result(201, self._issue_json(r, issue))

    async def _remove_assignees(self, request: web.Request) -> _Result:
        r = self._repo_for(request, write=True)
        issue = self._issue_for(request, r)
        body = await self._json_body(request) or {}
        drop = {_login(x).lower() for x in body.get("assignees") or []}
        keep = [a for a in issue.assignees if a.lower() not in drop]
        if self._set_assignees(r, issue, keep, self._actor(request), self.now()):
            issue.updated_at = self.now()
        return _Result(200, self._issue_json(r, issue))

    # -- handlers: comments, reactions, events ----------------------------------------------

    async def _list_comments(self, request: web.Request) -> _Result:
        r = self._repo_for(request)
        issue = self._issue_for(request, r)
        since = _parse_since(request.query.get("since"))
        items = [c for c in issue.comments if since is None or c.updated_at >= since]
        page, headers = self._paginate(request, items)
        return _Result(200, [self._comment_json(r, c) for c in page], headers)

    def _check_comment_body(self, body: Any) -> str:
        text = body.get("body") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise _validation("IssueComment", "body", "missing_field")
        if len(text) > MAX_COMMENT_LENGTH:
            raise _APIError(
                422,
                "Validation Failed",
                errors=[
                    {
                        "resource": "IssueComment",
                        "code": "custom",
                        "field": "body",
                        "message": f"body is too long (maximum is {MAX_COMMENT_LENGTH} characters)",
                    }
                ],
            )
        return text

    async def _add_comment(self, request: web.Request) -> _Result:
        r = self._repo_for(request, write=True)
        issue = self._issue_for(request, r)
        text = self._check_comment_body(await self._json_body(request))
        actor, now = self._actor(request), self.now()
        comment = _Comment(
            id=next(self._ids),
            repo=r.key,
            number=issue.number,
            body=text,
            user=actor,
            author_association=self._association(r, actor),
            created_at=now,
            updated_at=now,
            via_app=request[_PRINCIPAL].kind == "installation",
        )
        issue.comments.append(comment)
        issue.updated_at = now
        data = self._comment_json(r, comment)
        return _Result(201, data, {"location": data["url"]})

    async def _edit_comment(self, request: web.Request) -> _Result:
        r = self._repo_for(request, write=True)
        comment = self._comment_for(request, r)
        text = self._check_comment_body(await self._json_body(request))
        if text != comment.body:
            comment.body = text
            comment.updated_at = self.now()
        return _Result(200, self._comment_json(r, comment))

    def _react(self, reactions: list[_Reaction], request: web.Request, content: Any) -> _Result:
        if content not in REACTIONS:
            raise _validation("Reaction", "content", "invalid")
        actor = self._actor(request)
        for existing in reactions:
            if existing.user.lower() == actor.lower() and existing.content == content:
                return _Result(200, self._reaction_json(existing))
        reaction = _Reaction(next(self._ids), actor, content, self.now())
        reactions.append(reaction)
        return _Result(201, self._reaction_json(reaction))

    async def _react_issue(self, request: web.Request) -> _Result:
        r = self._repo_for(request, write=True)
        issue = self._issue_for(request, r)
        body = await self._json_body(request) or {}
        return self._react(issue.reactions, request, body.get("content"))

    async def _react_comment(self, request: web.Request) -> _Result:
        r = self._repo_for(request, write=True)
        comment = self._comment_for(request, r)
        body = await self._json_body(request) or {}
        return self._react(comment.reactions, request, body.get("content"))

    async def _list_events(self, request: web.Request) -> _Result:
        r = self._repo_for(request)
        issue = self._issue_for(request, r)
        page, headers = self._paginate(request, list(issue.events))
        return _Result(200, [self._event_json(r, issue, e) for e in page], headers)

    async def _timeline(self, request: web.Request) -> _Result:
        r = self._repo_for(request)
        issue = self._issue_for(request, r)
        entries: list[tuple[datetime, int, dict[str, Any]]] = []
        for ev in issue.events:
            data = self._event_json(r, issue, ev)
            data.pop("assigner", None)  # timeline assigned/unassigned events omit it
            entries.append((ev.created_at, ev.id, data))
        for c in issue.comments:
            data = self._comment_json(r, c)
            data["event"] = "commented"
            data["actor"] = data["user"]
            entries.append((c.created_at, c.id, data))
        entries.sort(key=lambda e: (e[0], e[1]))
        page, headers = self._paginate(request, [e[2] for e in entries])
        return _Result(200, page, headers)

    # -- handlers: labels, permissions, teams ----------------------------------------------

    async def _list_labels(self, request: web.Request) -> _Result:
        r = self._repo_for(request)
        items = sorted(r.labels.values(), key=lambda lab: lab.name.lower())
        page, headers = self._paginate(request, items)
        return _Result(200, [self._label_json(r, lab) for lab in page], headers)

    async def _get_label(self, request: web.Request) -> _Result:
        r = self._repo_for(request)
        label = r.labels.get(request.match_info["name"].lower())
        if label is None:
            raise _not_found()
        return _Result(200, self._label_json(r, label))

    async def _get_permission(self, request: web.Request) -> _Result:
        r = self._repo_for(request)
        login = request.match_info["username"]
        user = self._user(login)
        if login.lower() in r.roles:
            role, perm = r.roles[login.lower()]
        elif r.private:
            role, perm = "none", "none"
        else:
            role, perm = "read", "read"
        collaborator = self._user_json(user.login)
        collaborator["role_name"] = role
        collaborator["permissions"] = {
            "admin": perm == "admin",
            "maintain": role in ("admin", "maintain"),
            "push": perm in ("admin", "write"),
            "triage": perm in ("admin", "write") or role == "triage",
            "pull": perm != "none",
        }
        return _Result(200, {"permission": perm, "role_name": role, "user": collaborator})

    async def _get_repo(self, request: web.Request) -> _Result:
        return _Result(200, self._full_repo_json(self._repo_for(request)))

    async def _check_public_member(self, request: web.Request) -> _Result:
        org, login = request.match_info["org"], request.match_info["username"]
        account = self._users.get(org.lower())
        if account is None or account.type != "Organization":
            raise _not_found()
        if login.lower() not in self._public_members.get(org.lower(), set()):
            raise _not_found()
        return _Result(204)

    async def _get_membership(self, request: web.Request) -> _Result:
        org, slug = request.match_info["org"], request.match_info["team_slug"]
        login = request.match_info["username"]
        members = self._teams.get((org.lower(), slug.lower()))
        if members is None or login.lower() not in members:
            raise _not_found()
        role, state = members[login.lower()]
        url = f"{self._base_url}/organizations/{org}/team/{slug}/memberships/{login}"
        return _Result(200, {"url": url, "role": role, "state": state})

    # -- handlers: search ------------------------------------------------------------------

    async def _search_issues(self, request: web.Request) -> _Result:
        q = request.query.get("q")
        if not q or not q.strip():
            raise _validation("Search", "q", "missing")
        principal: _Principal = request[_PRINCIPAL]
        matcher = _SearchQuery(q)
        found: list[tuple[_Repo, _Issue]] = []
        for r in self._repos.values():
            if principal.kind == "installation" and r.private and r.key not in principal.repos:
                continue
            if not matcher.repo_ok(r):
                continue
            for issue in r.issues.values():
                if matcher.matches(r, issue):
                    found.append((r, issue))
        sort = request.query.get("sort")
        order = request.query.get("order", "desc")
        keyfuncs: dict[str, Callable[[tuple[_Repo, _Issue]], Any]] = {
            "created": lambda x: (x[1].created_at, x[1].id),
            "updated": lambda x: (x[1].updated_at, x[1].id),
            "comments": lambda x: (len(x[1].comments), x[1].id),
        }
        if sort in keyfuncs:
            found.sort(key=keyfuncs[sort], reverse=order != "asc")
        else:  # "best match": newest first
            found.sort(key=lambda x: x[1].id, reverse=True)
        page, headers = self._paginate(request, found)
        items = []
        for r, issue in page:
            data = self._issue_json(r, issue)
            data["score"] = 1.0
            if data["body"] is None:
                del data["body"]  # the search schema does not allow a null body
            items.append(data)
        body = {
            "total_count": len(found),
            "incomplete_results": False,
            "items": items,
            "search_type": "lexical",
        }
        return _Result(200, body, headers)


# --------------------------------------------------------------------------------------------
# helpers


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates


def _validation(resource: str, field_name: str, code: str) -> _APIError:
    return _APIError(
        422,
        "Validation Failed",
        errors=[{"resource": resource, "field": field_name, "code": code}],
    )


def _label_name(item: Any) -> str:
    return str(item["name"]) if isinstance(item, dict) else str(item)


def _login(item: Any) -> str:
    return str(item["login"]) if isinstance(item, dict) else str(item)


def _parse_since(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return _to_datetime(raw)
    except ValueError:
        return None


def _sort_issues(items: list[_Issue], sort: str, direction: str) -> list[_Issue]:
    keyfuncs: dict[str, Callable[[_Issue], Any]] = {
        "created": lambda i: (i.created_at, i.number),
        "updated": lambda i: (i.updated_at, i.number),
        "comments": lambda i: (len(i.comments), i.number),
    }
    key = keyfuncs.get(sort, keyfuncs["created"])
    return sorted(items, key=key, reverse=direction != "asc")


_TOKEN_RE = re.compile(r'(-?)([A-Za-z_-]+):(?:"([^"]*)"|(\S+))|(-?)"([^"]*)"|(\S+)')


class _SearchQuery:
    """A small subset of GitHub's issue search syntax.

    Supported: ``repo:o/r`` (several = OR), ``is:issue|pr|open|closed|locked|unlocked``,
    ``type:issue|pr``, ``state:open|closed``, ``label:x`` (several = AND, ``label:a,b`` = OR),
    ``-label:x``, ``no:label|assignee|milestone``, ``assignee:u``/``-assignee:u``,
    ``author:u``/``-author:u``, ``reason:completed|"not planned"``,
    ``created:``/``updated:``/``closed:`` with ``>``, ``>=``, ``<``, ``<=``, ``a..b`` or a date,
    ``comments:`` with the same operators, ``in:title|body`` (ignored: text matches both),
    and free text (words or a phrase in the title or body; ``-word`` excludes).
    """

    def __init__(self, q: str) -> None:
        self.repos: list[str] = []
        self.checks: list[Callable[[_Repo, _Issue], bool]] = []
        for m in _TOKEN_RE.finditer(q):
            if m.group(2) is not None:
                negate = m.group(1) == "-"
                key = m.group(2).lower()
                value = m.group(3) if m.group(3) is not None else m.group(4)
                self._qualifier(key, value, negate)
            elif m.group(6) is not None:
                self._text(m.group(6), m.group(5) == "-")
            else:
                word = m.group(7)
                if word.upper() in ("AND",):
                    continue
                self._text(word.removeprefix("-"), word.startswith("-") and len(word) > 1)

    def _add(self, check: Callable[[_Repo, _Issue], bool], negate: bool) -> None:
        self.checks.append((lambda r, i: not check(r, i)) if negate else check)

    def _text(self, text: str, negate: bool) -> None:
        # Like GitHub: words split at punctuation, and a phrase's words must come in order
        # ("flask plus" finds "flask-plus" and "flask_plus", not "flaskplus").
        needle = _words(text)
        self._add(
            lambda r, i: _has_run(_words(i.title), needle) or _has_run(_words(i.body), needle),
            negate,
        )

    def _qualifier(self, key: str, value: str, negate: bool) -> None:
        low = value.lower()
        if key == "repo" and not negate:
            self.repos.append(low)
        elif key in ("is", "type", "state"):
            if low in ("issue",):
                self._add(lambda r, i: not i.pull_request, negate)
            elif low in ("pr", "pull-request"):
                self._add(lambda r, i: i.pull_request, negate)
            elif low in ("open", "closed"):
                self._add(lambda r, i: i.state == low, negate)
            elif low in ("locked", "unlocked"):
                self._add(lambda r, i: i.locked == (low == "locked"), negate)
        elif key == "label":
            options = {x.strip().lower() for x in value.split(",") if x.strip()}
            self._add(lambda r, i: bool(options & {n.lower() for n in i.labels}), negate)
        elif key == "no":
            if low == "label":
                self._add(lambda r, i: not i.labels, negate)
            elif low == "assignee":
                self._add(lambda r, i: not i.assignees, negate)
            elif low == "milestone":
                self._add(lambda r, i: True, negate)
        elif key == "assignee":
            self._add(lambda r, i: low in {a.lower() for a in i.assignees}, negate)
        elif key == "author":
            self._add(lambda r, i: i.user.lower() == low, negate)
        elif key == "reason":
            reason = low.replace(" ", "_")
            self._add(lambda r, i: (i.state_reason or "") == reason, negate)
        elif key in ("created", "updated", "closed"):
            attr = {"created": "created_at", "updated": "updated_at", "closed": "closed_at"}[key]
            test = _range_test(value, _date_bounds)
            self._add(lambda r, i: getattr(i, attr) is not None and test(getattr(i, attr)), negate)
        elif key == "comments":
            test = _range_test(value, lambda s: (int(s), int(s) + 1))
            self._add(lambda r, i: test(len(i.comments)), negate)
        elif key == "in":
            pass
        else:  # unknown qualifiers are searched as text, as GitHub does
            self._text(f"{key}:{value}", negate)

    def repo_ok(self, r: _Repo) -> bool:
        return not self.repos or r.key in self.repos

    def matches(self, r: _Repo, issue: _Issue) -> bool:
        return all(check(r, issue) for check in self.checks)


def _words(text: str | None) -> list[str]:
    return re.findall(r"[a-z0-9]+", (text or "").lower())


def _has_run(words: list[str], run: list[str]) -> bool:
    n = len(run)
    return any(words[i : i + n] == run for i in range(len(words) - n + 1))


def _date_bounds(text: str) -> tuple[datetime, datetime]:
    """[start, end) of a date (a whole day) or a datetime (a single instant)."""
    if "T" in text:
        point = _to_datetime(text)
        assert point is not None
        return point, point + timedelta(microseconds=1)
    day = date.fromisoformat(text)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _range_test(value: str, bounds: Callable[[str], tuple[Any, Any]]) -> Callable[[Any], bool]:
    """Comparison from a search qualifier value: ``>x``, ``>=x``, ``<x``, ``<=x``,
    ``a..b`` (``*`` for an open end) or ``x``."""
    if ".." in value:
        lo, hi = value.split("..", 1)
        lo_b = bounds(lo)[0] if lo != "*" else None
        hi_b = bounds(hi)[1] if hi != "*" else None
        return lambda v: (lo_b is None or v >= lo_b) and (hi_b is None or v < hi_b)
    op = next((o for o in (">=", "<=", ">", "<") if value.startswith(o)), "")
    start, end = bounds(value[len(op) :])
    if op == ">=":
        return lambda v: v >= start
    if op == "<=":
        return lambda v: v < end
    if op == ">":
        return lambda v: v >= end
    if op == "<":
        return lambda v: v < start
    return lambda v: start <= v < end
