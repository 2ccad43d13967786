"""The PEP 541 name report (pure): which name a request is about, what is known about it, the
maintainers' comment that says so, and the actions that post or update it.

The lookups themselves (PyPI, the name index, GitHub search) are the handler's; this module
only turns their results into text and actions, so every wording is tested without network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from bot.core import markers
from bot.core.actions import Action, AddLabels, SetComment
from bot.core.forms import ParsedBody, parse_body
from bot.core.model import History, Issue
from bot.core.names import (
    extract_requested_name,
    extract_username,
    normalize,
    stdlib_module,
)
from bot.core.pypi import ProjectFacts, abandoned_by_release_rule
from bot.core.rules import NameIntelligence, RepoRules
from bot.core.text import dated, escape, link_url, redact_urls

MARKER = "name-report"


@dataclass(frozen=True)
class Request:
    """The project a PEP 541 request asks for (as written) and the requester's PyPI username."""

    name: str | None
    username: str | None


def requested(issue: Issue, intel: NameIntelligence, parsed: ParsedBody | None = None) -> Request:
    """From the form's fields first, then from the title ("PEP 541 Request: foo") or a PyPI
    project URL anywhere in the text (older and free-text requests)."""
    parsed = parsed or parse_body(issue.body)
    field = parsed.field(*intel.project_fields)
    name = extract_requested_name(field.value or "") if field is not None else None
    if name is None:
        name = extract_requested_name(issue.title)
    if name is None and field is None:
        name = _project_url_in(parsed.text())
    user_field = parsed.field(*intel.username_fields)
    username = extract_username(user_field.value or "") if user_field is not None else None
    return Request(name, username)


def _project_url_in(text: str) -> str | None:
    # Only a URL counts in free text: a lone word or a backticked token there is not a name.
    name = extract_requested_name(text)
    return name if name is not None and "pypi." in text.lower() else None


@dataclass(frozen=True)
class Findings:
    """What the lookups found. An `*_error` says why that part could not be checked."""

    name: str
    username: str | None = None
    facts: ProjectFacts | None = None  # None: the JSON API knows no such project
    facts_error: str | None = None
    index_loaded: bool = False
    listed_as: str | None = None  # the name as the index spells it, when listed there
    similar: tuple[str, ...] = ()  # existing projects with the same ultranormalised name
    others: tuple[int, ...] = ()  # other open requests for the same normalised name
    others_error: str | None = None

    @property
    def incomplete(self) -> bool:
        return bool(self.facts_error or self.others_error or not self.index_loaded)

    @property
    def exists(self) -> bool | None:
        """Whether the project exists; None when neither source could tell."""
        if self.facts is not None or self.listed_as is not None:
            return True
        if self.facts_error is None or self.index_loaded:
            return False
        return None


def _project_link(name: str, index_url: str) -> str:
    return f"[{escape(name, code=True, limit=100)}]({index_url}/project/{quote(name, safe='')}/)"


def _facts_rows(f: Findings, now: datetime, index_url: str) -> list[tuple[str, str]]:
    facts = f.facts
    if facts is None:
        if f.listed_as is not None and f.facts_error:  # listed; its releases not read
            return [("On PyPI", f"{_project_link(f.listed_as, index_url)}: listed")]
        if f.listed_as is not None:
            return [
                ("On PyPI", f"{_project_link(f.listed_as, index_url)}: listed, with no releases"),
                ("PEP 541", "no release in the last 12 months (one of the three conditions)"),
            ]
        return [("On PyPI", f"no project named {escape(f.name, code=True, limit=100)}")]
    releases = f"{facts.release_count} release{'s' * (facts.release_count != 1)}"
    if facts.version:
        releases += f", latest {escape(facts.version, code=True, limit=60)}"
    rows = [("On PyPI", f"{_project_link(facts.name, index_url)}: {releases}")]
    if facts.first_upload and facts.last_upload:
        rows.append(
            (
                "Uploads",
                f"first {dated(facts.first_upload, now)}, last {dated(facts.last_upload, now)}",
            )
        )
    rows.append(("Files", "yes" if facts.has_files else "**none** (no release has files)"))
    if abandoned_by_release_rule(facts, now):
        rows.append(("PEP 541", "no release in the last 12 months (one of the three conditions)"))
    else:
        rows.append(("PEP 541", "**not abandoned**: released in the last 12 months"))
    if facts.home_page:
        rows.append(("Home page", f"<{link_url(facts.home_page)}>"))
    if facts.source_url and facts.source_url != facts.home_page:
        rows.append(("Source", f"<{link_url(facts.source_url)}>"))
    return rows


def render(f: Findings, now: datetime, index_url: str) -> tuple[str, dict]:
    """The maintainers' comment: one table, every unchecked fact said to be unchecked; and
    the state its marker keeps."""
    index_url = redact_urls(index_url.rstrip("/"))
    normal = normalize(f.name)
    rows: list[tuple[str, str]] = []
    if f.exists is None:
        rows.append(("On PyPI", f"⚠️ not checked: {f.facts_error}"))
    else:
        rows.extend(_facts_rows(f, now, index_url))
        if f.facts_error and f.listed_as is not None:
            rows.append(("Releases", f"⚠️ not checked: {f.facts_error}"))
    module = stdlib_module(f.name)
    if module is not None:
        rows.append(
            (
                "Standard library",
                f"`{module}` is a standard-library module's name (in some Python version): "
                "PyPI refuses it for new projects",
            )
        )
    if not f.index_loaded:
        rows.append(("Similar names", "⚠️ not checked: the list of PyPI projects is not loaded"))
    elif f.similar and not f.exists:
        links = ", ".join(_project_link(name, index_url) for name in f.similar)
        rows.append(
            (
                "Too similar to",
                f"{links}: PyPI refuses names that differ only in `-` `_` `.`, "
                "`l`/`i`/`1` or `o`/`0` from an existing project",
            )
        )
    if f.username:
        rows.append(
            (
                "Requester",
                f"[{escape(f.username, code=True, limit=100)}]"
                f"({index_url}/user/{quote(f.username, safe='')}/) on PyPI",
            )
        )
    if f.others_error:
        rows.append(("Other requests", f"⚠️ not checked: {f.others_error}"))
    elif f.others:
        rows.append(("Other requests", "open: " + ", ".join(f"#{n}" for n in f.others)))
    shown = escape(f.name, code=True, limit=100) + (
        f" (normalised {escape(normal, code=True, limit=100)})" if normal != f.name else ""
    )
    state = {"name": normal, **({"incomplete": True} if f.incomplete else {})}
    lines = [
        f"**Name check for {shown}**, for the maintainers, as of {now:%Y-%m-%d}. "
        "Editing the request checks again.",
        "",
        "| | |",
        "|:--|:--|",
        *(f"| {key} | {value} |" for key, value in rows),
    ]
    return "\n".join(lines) + "\n", state


def decide(
    issue: Issue,
    history: History,
    rules: RepoRules,
    findings: Findings,
    *,
    now: datetime,
    index_url: str,
) -> tuple[Action, ...]:
    """The report, posted or brought up to date; the similar-name label where the rules ask
    for it, unless it was taken off before."""
    actions: list[Action] = []
    label = rules.name_intelligence.similar_label
    if (
        label
        and findings.index_loaded
        and findings.similar
        and findings.exists is False
        and not issue.has_label(label)
        and not history.ever_removed(label)
    ):
        actions.append(AddLabels("requested name is too similar to an existing one", (label,)))
    text, state = render(findings, now, index_url)
    actions.append(SetComment("name report", MARKER, text, state))
    return tuple(actions)


def report_state(history: History) -> dict | None:
    """The state kept in the existing report's marker, or None when there is no report."""
    return markers.state_of(history, MARKER)


def same_name(issues: Sequence[Issue], name: str, intel: NameIntelligence) -> tuple[int, ...]:
    """The numbers of the issues that request the same (PEP 503 normalised) name."""
    wanted = normalize(name)
    found = []
    for other in issues:
        asked = requested(other, intel).name
        if asked is not None and normalize(asked) == wanted:
            found.append(other.number)
    return tuple(sorted(found))
