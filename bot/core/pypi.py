"""What PyPI says about a project, as plain data: the JSON API's document turned into
`ProjectFacts`, and PEP 541's release criterion. Pure: the client is bot.adapters.pypi."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

#: Hosts whose URLs are source repositories (a project's own site is not).
CODE_HOSTS = frozenset(
    {
        "github.com",
        "gitlab.com",
        "bitbucket.org",
        "codeberg.org",
        "git.sr.ht",
        "sr.ht",
        "gitee.com",
        "salsa.debian.org",
        "sourceforge.net",
        "launchpad.net",
        "invent.kde.org",
        "gitlab.gnome.org",
        "framagit.org",
        "git.code.sf.net",
    }
)
# project_urls labels that name the source repository, in order of preference
# (compared lower-cased with spaces, dashes and underscores removed).
_SOURCE_LABELS = ("source", "sourcecode", "repository", "repo", "code", "github", "gitlab")
_HOME_LABELS = ("homepage", "home")
_PLACEHOLDER_URLS = frozenset({"", "unknown", "none", "n/a"})


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """What the JSON API says about one project."""

    name: str
    exists: bool
    release_count: int  # versions listed, including ones without files
    first_upload: datetime | None
    last_upload: datetime | None
    has_files: bool
    home_page: str | None
    source_url: str | None
    summary: str | None
    version: str | None = None  # the latest version, per PyPI
    # The JSON API's `ownership`: (role, username) pairs, owners first, and the PyPI
    # organization the project belongs to. `roles` is None when the document has no
    # `ownership` (an older index or a mirror), () when it lists nobody.
    roles: tuple[tuple[str, str], ...] | None = None
    organization: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> ProjectFacts:
        """Build from a ``/pypi/NAME/json`` document; ``ValueError`` if it is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("info"), dict):
            raise ValueError("no 'info' object")
        info = data["info"]
        name = info.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("no project name")
        releases = data.get("releases")
        if releases is None:
            releases = {}
        if not isinstance(releases, dict):
            raise ValueError("'releases' is not an object")

        uploads: list[datetime] = []
        has_files = False
        for files in releases.values():
            if not isinstance(files, list):
                continue
            for file in files:
                if not isinstance(file, dict):
                    continue
                has_files = True
                when = _upload_time(file)
                if when is not None:
                    uploads.append(when)
        if not releases and isinstance(data.get("urls"), list) and data["urls"]:
            # Some mirrors omit "releases"; "urls" still lists the latest files.
            has_files = True
            uploads.extend(t for f in data["urls"] if (t := _upload_time(f)) is not None)

        project_urls = info.get("project_urls")
        if not isinstance(project_urls, dict):
            project_urls = {}
        home_page = _clean_url(info.get("home_page"))
        if home_page is None:
            home_page = next(
                (
                    url
                    for label, raw in project_urls.items()
                    if _label(label) in _HOME_LABELS and (url := _clean_url(raw))
                ),
                None,
            )
        summary = info.get("summary")
        version = info.get("version")
        roles, organization = _ownership(data.get("ownership"))
        return cls(
            name=name,
            exists=True,
            release_count=len(releases),
            first_upload=min(uploads, default=None),
            last_upload=max(uploads, default=None),
            has_files=has_files,
            home_page=home_page,
            source_url=_source_url(project_urls, home_page),
            summary=(summary.strip() or None) if isinstance(summary, str) else None,
            version=version if isinstance(version, str) and version else None,
            roles=roles,
            organization=organization,
        )


# A project has a handful of roles; a document listing more than this is cut short.
MAX_ROLES = 100


def _ownership(raw: Any) -> tuple[tuple[tuple[str, str], ...] | None, str | None]:
    """The JSON API's `{"roles": [{"role": "Owner", "user": "alice"}], "organization": ...}`,
    keeping only well-formed entries."""
    if not isinstance(raw, dict):
        return None, None
    listed = raw.get("roles")
    roles = None
    if isinstance(listed, list):
        roles = tuple(
            (entry["role"], entry["user"])
            for entry in listed[:MAX_ROLES]
            if isinstance(entry, dict)
            and isinstance(entry.get("role"), str)
            and isinstance(entry.get("user"), str)
            and entry["user"].strip()
        )
    organization = raw.get("organization")
    return roles, organization if isinstance(organization, str) and organization.strip() else None


def _upload_time(file: Any) -> datetime | None:
    if not isinstance(file, dict):
        return None
    for key in ("upload_time_iso_8601", "upload_time"):
        raw = file.get(key)
        if not isinstance(raw, str):
            continue
        try:
            when = datetime.fromisoformat(raw)
        except ValueError:
            continue
        # "upload_time" has no zone; PyPI means UTC.
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return None


def _label(label: Any) -> str:
    return re.sub(r"[\s_-]+", "", str(label)).lower()


def _clean_url(raw: Any) -> str | None:
    if not isinstance(raw, str):
        return None
    url = raw.strip()
    if url.lower() in _PLACEHOLDER_URLS:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def _is_code_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return host in CODE_HOSTS or any(host.endswith("." + h) for h in CODE_HOSTS)


def _source_url(project_urls: dict[str, Any], home_page: str | None) -> str | None:
    """The project's source repository: a "Source"-like label (any host) first, then
    any project URL or the home page that points at a known code host."""
    cleaned = [
        (_label(label), url) for label, raw in project_urls.items() if (url := _clean_url(raw))
    ]
    for wanted in _SOURCE_LABELS:
        for label, url in cleaned:
            if label == wanted and (wanted not in ("github", "gitlab") or _is_code_host(url)):
                return url
    for label, url in cleaned:
        if label in _HOME_LABELS and _is_code_host(url):
            return url
    if home_page and _is_code_host(home_page):
        return home_page
    for _, url in cleaned:
        if _is_code_host(url):
            return url
    return None


def _year_before(now: datetime) -> datetime:
    try:
        return now.replace(year=now.year - 1)
    except ValueError:  # 29 February
        return now.replace(year=now.year - 1, day=28)


def last_release_within(facts: ProjectFacts, now: datetime, months: int = 12) -> bool:
    """Whether a file was uploaded in the *months* (a multiple of 12) before *now*."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if facts.last_upload is None:
        return False
    cutoff = now
    for _ in range(max(1, months // 12)):
        cutoff = _year_before(cutoff)
    if months % 12:
        cutoff -= timedelta(days=30 * (months % 12))
    return facts.last_upload >= cutoff


def abandoned_by_release_rule(facts: ProjectFacts | None, now: datetime) -> bool:
    """PEP 541's release criterion only: True when nothing was released in the last
    12 months (a project with no files at all counts as not recently released).

    This is one of three conditions for "abandoned" - the owner must also be
    unreachable and show no activity on the home page. *now* is passed in, never read.
    """
    if facts is None:
        return True
    return not last_release_within(facts, now, 12)
