"""GitHub and PyPI played offline, for `bot demo`: the service works deliveries through its
usual path (snapshot, decide, apply) while nothing leaves the machine.

- `OfflineGitHub` answers the reads the bot makes from the issues and comments it is given
  (as GitHub would hold them when it sends the deliveries about them); every write is a
  dry-run log line, as in `serve --dry-run`.
- `OfflineNames` answers the name report's questions from a small snapshot of projects.
"""

from __future__ import annotations

import asyncio
import itertools
import urllib.parse
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

import gidgethub

from bot.adapters.github import Api, RetryPolicy
from bot.core.names import NameIndex, normalize
from bot.core.pypi import ProjectFacts

# The collaborator-permission API's answer for an author association GitHub shows.
_ROLE_OF = {"OWNER": "admin", "MEMBER": "maintain", "COLLABORATOR": "write"}


class _Reads:
    """What `Api` asks of gidgethub (`getitem`, `sleep`, `policy`), answered from
    the issues and comments given; unknown paths are GitHub's 404."""

    policy = RetryPolicy()

    def __init__(self, owner: OfflineGitHub) -> None:
        self._owner = owner

    async def getitem(self, url: str, **_: Any) -> Any:
        return self._owner.answer(url)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class OfflineGitHub:
    """In the place of `bot.adapters.github.GitHub`: `api`, `api_for_repo`, `login`."""

    def __init__(self, labels: Mapping[str, Iterable[str]] | None = None) -> None:
        self.issues: dict[tuple[str, int], dict[str, Any]] = {}
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.roles: dict[tuple[str, str], str] = {}
        self.labels = {repo.lower(): list(names) for repo, names in (labels or {}).items()}
        self._ids = itertools.count(1001)
        self._api = Api(_Reads(self), dry_run=True)  # type: ignore[arg-type]

    # -- what GitHub holds ------------------------------------------------------------------

    def add_issue(self, repo: str, issue: dict[str, Any]) -> None:
        key = (repo.lower(), int(issue["number"]))
        self.issues[key] = issue
        self.comments.setdefault(key, [])
        self._role(repo, issue)

    def add_comment(self, repo: str, number: int, comment: dict[str, Any]) -> dict[str, Any]:
        comment = {"id": next(self._ids), **comment}
        self.comments[(repo.lower(), number)].append(comment)
        self.issues[(repo.lower(), number)]["comments"] += 1
        self._role(repo, comment)
        return comment

    def _role(self, repo: str, item: Mapping[str, Any]) -> None:
        login = str(item["user"]["login"]).lower()
        role = _ROLE_OF.get(str(item.get("author_association")), "read")
        self.roles[(repo.lower(), login)] = role

    # -- as GitHub's API --------------------------------------------------------------------

    async def api(self, installation_id: int | None = None) -> Api:
        return self._api

    async def api_for_repo(self, repo: str) -> Api:
        return self._api

    async def login(self) -> str | None:
        return None  # no account: nothing is written

    def answer(self, url: str) -> Any:
        parts = urllib.parse.urlsplit(url)
        path = [urllib.parse.unquote(p) for p in parts.path.strip("/").split("/")]
        if path[:2] == ["search", "issues"]:
            return {"total_count": 0, "incomplete_results": False, "items": []}
        if len(path) >= 3 and path[0] == "repos":
            repo, rest = f"{path[1]}/{path[2]}".lower(), path[3:]
            if rest == ["labels"]:
                return [{"name": name} for name in self.labels.get(repo, [])]
            if len(rest) == 3 and rest[0] == "collaborators" and rest[2] == "permission":
                role = self.roles.get((repo, rest[1].lower()), "read")
                legacy = "admin" if role == "admin" else "write" if role != "read" else "read"
                return {"permission": legacy, "role_name": role}
            if len(rest) >= 2 and rest[0] == "issues" and rest[1].isdigit():
                key = (repo, int(rest[1]))
                if key in self.issues:
                    if len(rest) == 2:
                        return self.issues[key]
                    if rest[2:] in (["timeline"], ["comments"]):
                        event = {"event": "commented"} if rest[2] == "timeline" else {}
                        return [{**c, **event} for c in self.comments[key]]
        raise gidgethub.BadRequest(HTTPStatus.NOT_FOUND, "Not Found")


class OfflineNames:
    """In the place of `bot.adapters.name_lookup.NameLookup`: the facts of a few projects,
    as PyPI's JSON API gives them, and the index of their names."""

    index_url = "https://pypi.org"

    def __init__(self, documents: Iterable[Mapping[str, Any]], other_names: Iterable[str] = ()):
        self._facts = {
            normalize(f.name): f for f in (ProjectFacts.from_json(dict(d)) for d in documents)
        }
        names = [f.name for f in self._facts.values()] + list(other_names)
        self._index = NameIndex.build(names)

    @property
    def index(self) -> NameIndex:
        return self._index

    async def facts(self, name: str) -> tuple[ProjectFacts | None, str | None]:
        return self._facts.get(normalize(name)), None
