"""Who is a maintainer: the one definition every feature uses.

By the association GitHub shows on an issue or a comment (`OWNER`, `MEMBER`, `COLLABORATOR`)
when that is all there is, and otherwise by the person's role on the repository (from the
collaborator-permission API) against the rules' `commands.minimum_role`, or being named in
`commands.users`, or being in one of `commands.teams`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.rules import Commands

MAINTAINER_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
ROLE_RANK = {"none": 0, "read": 1, "triage": 2, "write": 3, "maintain": 4, "admin": 5}


@dataclass(frozen=True)
class Caller:
    """A person acting on an issue, with the facts looked up about them."""

    login: str
    role: str = "none"  # role_name from the collaborator-permission API
    teams: frozenset[str] = frozenset()  # rules' teams ("org/slug", lower-case) they are in
    is_author: bool = False  # they opened the issue


def is_maintainer(caller: Caller, commands: Commands) -> bool:
    if ROLE_RANK.get(caller.role, 0) >= ROLE_RANK[commands.minimum_role]:
        return True
    if caller.login.lower() in {u.lower() for u in commands.users}:
        return True
    return any(team.lower() in caller.teams for team in commands.teams)
