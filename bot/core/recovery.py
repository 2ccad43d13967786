"""Account recovery, as plain data: which PyPI account a request is about, what the index
says about it (does it exist, its projects and the user's role on each), and what GitHub says
about the projects' source repositories. Pure: the lookups are the adapters'; triage and the
recovery note both read these facts, so neither feature needs the other's decisions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.core.forms import ParsedBody
from bot.core.model import History, Issue
from bot.core.names import extract_username
from bot.core.pypi import ProjectFacts
from bot.core.recognition import Verdict
from bot.core.rules import RecoveryEvidence, RepoRules
from bot.core.text import GITHUB_LOGIN

# PyPI's rule for usernames (Warehouse's users_valid_username check, compared without case):
# letters, digits, ".", "_" and "-", neither first nor last a punctuation mark; 50 at most.
_USERNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,48}[A-Za-z0-9])?", re.ASCII)
# A GitHub repository's name.
_GITHUB_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}", re.ASCII)
# First path segments of github.com that are pages, not owners.
_GITHUB_PAGES = frozenset(
    {"orgs", "users", "sponsors", "apps", "marketplace", "topics", "features", "settings"}
)

# What triage needs to know of an account (`Account.status`).
UNKNOWN = "unknown"  # PyPI has no account with this username
EMAIL_ONLY = "email_only"  # every project was looked up, and none links a source repository
FOUND = "found"  # the account exists, and a project links a repository (or not all were seen)


def is_valid_username(name: str) -> bool:
    return bool(_USERNAME.fullmatch(name))


def requested_username(issue: Issue, settings: RecoveryEvidence, parsed: ParsedBody) -> str | None:
    """The PyPI username a recovery request gives in its form, as written; None when the
    field is absent, left as the form's placeholder, or not a username (an e-mail address)."""
    field = parsed.field(*settings.username_fields)
    if field is None or field.missing:
        return None
    name = extract_username(field.value or "")
    return name if name is not None and is_valid_username(name) else None


def on_test_pypi(issue: Issue, history: History, rules: RepoRules, verdict: Verdict) -> bool:
    """Whether the request is about TestPyPI: it carries the rules' TestPyPI label, or its
    category would give it that label (triage adds it in the same pass), unless a person took
    the label off."""
    label = rules.recovery_evidence.test_pypi_label
    if not label:
        return False
    if issue.has_label(label):
        return True
    return not history.ever_removed(label) and label in verdict.sub_labels


def account_key(username: str, test: bool) -> str:
    """How a marker remembers which account was checked: the username without case (PyPI
    compares them so), and the index."""
    return ("test:" if test else "") + username.lower()


@dataclass(frozen=True)
class ProjectEvidence:
    """One project the account has a role on: the role `user_packages` gives, and the JSON
    API's facts (None with no `error`: the JSON API has no document, as for a project
    without releases)."""

    name: str
    role: str
    facts: ProjectFacts | None = None
    error: str | None = None


@dataclass(frozen=True)
class Account:
    """What the index says about a PyPI account. An `error` says why it stopped short."""

    username: str  # as the request gives it
    test: bool = False  # looked up on TestPyPI
    exists: bool | None = None  # None: could not be checked
    canonical: str | None = None  # the username as the index spells it, when it differs
    error: str | None = None
    # The projects looked up (at most the rules' max_projects); None: not listed.
    projects: tuple[ProjectEvidence, ...] | None = None
    total: int = 0  # projects the account has a role on
    others: tuple[str, ...] = ()  # the ones beyond the bound, not looked up

    @property
    def index_name(self) -> str:
        return "TestPyPI" if self.test else "PyPI"

    @property
    def key(self) -> str:
        return account_key(self.username, self.test)

    @property
    def incomplete(self) -> bool:
        return (
            self.exists is None
            or self.error is not None
            or any(p.error for p in self.projects or ())
        )

    @property
    def status(self) -> str | None:
        """UNKNOWN, EMAIL_ONLY or FOUND for triage; None when the index could not tell."""
        if self.exists is False:
            return UNKNOWN
        if self.exists is None or self.projects is None:
            return None
        if any(p.facts is not None and p.facts.source_url for p in self.projects):
            return FOUND
        if self.others or any(p.error for p in self.projects):
            return None  # not every project was seen
        return EMAIL_ONLY


def github_repository(url: str | None) -> tuple[str, str] | None:
    """(owner, name) of a github.com repository URL (`https://github.com/o/r`, `.git`, a
    deeper page of it); None for any other URL."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or host not in ("github.com", "www.github.com"):
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return None
    owner, name = segments[0], segments[1].removesuffix(".git")
    if (
        owner.lower() in _GITHUB_PAGES
        or not GITHUB_LOGIN.fullmatch(owner)
        or not _GITHUB_REPO.fullmatch(name)
        or name in (".", "..")
    ):
        return None
    return owner, name


@dataclass(frozen=True)
class RepoFacts:
    """A GitHub repository as `GET /repos/{owner}/{repo}` shows it (after a rename, the new
    one)."""

    full_name: str
    owner: str
    owner_type: str  # "User" or "Organization"
    private: bool = False
    archived: bool = False

    @classmethod
    def from_api(cls, data: Any) -> RepoFacts | None:
        """None when the answer is not a repository."""
        if not isinstance(data, dict) or not isinstance(data.get("owner"), dict):
            return None
        full_name, owner = data.get("full_name"), data["owner"].get("login")
        if not isinstance(full_name, str) or not isinstance(owner, str):
            return None
        if not GITHUB_LOGIN.fullmatch(owner) or full_name.count("/") != 1:
            return None
        owner_type = data["owner"].get("type")
        return cls(
            full_name=full_name,
            owner=owner,
            owner_type=owner_type if owner_type in ("User", "Organization") else "User",
            private=data.get("private") is True,
            archived=data.get("archived") is True,
        )
