"""The PEP 541 name report's core: which name, what the comment says, which actions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import bot.features.names.decide as name_report
from bot.core import markers
from bot.core.actions import AddLabels, SetComment
from bot.core.model import Comment, History, Issue, IssueEvent, Snapshot
from bot.core.pypi import ProjectFacts
from bot.core.reconcile import still_needed
from bot.core.rules import load_rules
from tests.conftest import ROOT
from tests.test_webhook import PEP541_INCOMPLETE

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
INDEX = "https://pypi.org"
BOT = "pypi-support-bot"
SIMILAR = "similar project name"


@pytest.fixture(scope="module")
def rules():
    return load_rules(ROOT / "rules.yaml").for_repo("pypi/support")


def form(project: str = "`PROJECT_NAME`: https://pypi.org/project/PROJECT_NAME") -> str:
    return PEP541_INCOMPLETE.replace(
        "`PROJECT_NAME`: https://pypi.org/project/PROJECT_NAME", project
    ).replace(
        "`USER_NAME`: https://pypi.org/user/USER_NAME", "`alice`: https://pypi.org/user/alice"
    )


def issue(body: str = "", title: str = "PEP 541 Request: PROJECT_NAME", number: int = 7) -> Issue:
    return Issue(repo="pypi/support", number=number, title=title, body=body, author="alice")


def facts(last: str, first: str = "2015-03-01T10:00:00+00:00", **kw) -> ProjectFacts:
    values = {
        "name": "widgets",
        "exists": True,
        "release_count": 4,
        "first_upload": datetime.fromisoformat(first),
        "last_upload": datetime.fromisoformat(last),
        "has_files": True,
        "home_page": "https://widgets.example.org",
        "source_url": "https://github.com/alice/widgets",
        "summary": "Widgets",
        "version": "1.3",
    }
    values.update(kw)
    return ProjectFacts(**values)


# -- which name --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "title", "expected"),
    [
        (
            form("`widgets`: https://pypi.org/project/widgets"),
            "PEP 541 Request: widgets",
            "widgets",
        ),
        # Only the URL edited, the backticked placeholder left.
        (form("`PROJECT_NAME`: https://pypi.org/project/Flask_Plus/"), "x", "Flask_Plus"),
        # The field left as it came, the title filled in.
        (form(), "PEP 541 Request: flask-plus", "flask-plus"),
        # An older free-text request with a link.
        ("Please give me https://pypi.org/project/nsbl/ it is abandoned", "Claim a name", "nsbl"),
        # Free text without a link: no guess from a random word.
        ("I would like the name widgets please", "Name request", None),
        (form(), "PEP 541 Request: PROJECT_NAME", None),
    ],
)
def test_the_requested_name(rules, body, title, expected):
    asked = name_report.requested(issue(body, title), rules.name_intelligence)
    assert asked.name == expected


def test_the_requesters_username(rules):
    asked = name_report.requested(issue(form()), rules.name_intelligence)
    assert asked.username == "alice"


# -- what the comment says -------------------------------------------------------------


def test_a_release_three_months_ago_is_not_abandoned():
    found = name_report.Findings(
        name="widgets",
        facts=facts("2026-08-20T09:00:00+00:00"),
        index_loaded=True,
        listed_as="widgets",
    )
    body = report_text(found)
    assert "**not abandoned**" in body
    assert "last 2026-08-20 (3 months ago)" in body
    assert "first 2015-03-01 (11 years ago)" in body
    assert "[`widgets`](https://pypi.org/project/widgets/): 4 releases, latest `1.3`" in body
    assert "<https://github.com/alice/widgets>" in body
    assert markers.read(report_body(found), name_report.MARKER) == {"name": "widgets"}


def test_an_old_last_release_meets_one_condition_only():
    found = name_report.Findings(
        name="widgets", facts=facts("2024-01-02T00:00:00+00:00"), index_loaded=True
    )
    body = report_text(found)
    assert "not abandoned" not in body
    assert "no release in the last 12 months (one of the three conditions)" in body


def test_a_missing_name_names_the_colliding_projects():
    found = name_report.Findings(
        name="flask-plus", index_loaded=True, similar=("FlaskPlus", "flask_p1us")
    )
    body = report_text(found)
    assert "no project named `flask-plus`" in body
    assert "[`FlaskPlus`](https://pypi.org/project/FlaskPlus/)" in body
    assert "[`flask_p1us`](https://pypi.org/project/flask_p1us/)" in body
    assert "Too similar to" in body


def test_a_listed_project_without_releases():
    found = name_report.Findings(name="Widgets", index_loaded=True, listed_as="widgets")
    body = report_text(found)
    assert "listed, with no releases" in body
    assert "(normalised `widgets`)" in body


def test_pypi_unreachable_says_what_was_not_checked():
    found = name_report.Findings(
        name="widgets", facts_error="PyPI could not be reached", index_loaded=False
    )
    body = report_text(found)
    assert "⚠️ not checked: PyPI could not be reached" in body
    assert "the list of PyPI projects is not loaded" in body
    assert "no project named" not in body  # unknown is not "does not exist"
    assert markers.read(report_body(found), name_report.MARKER) == {
        "name": "widgets",
        "incomplete": True,
    }


def test_with_the_index_loaded_a_missing_project_is_known_missing_even_if_pypi_fails():
    found = name_report.Findings(
        name="widgets", facts_error="PyPI could not be reached", index_loaded=True
    )
    assert found.exists is False
    assert "no project named `widgets`" in report_text(found)


def test_standard_library_names_other_requests_and_the_requester():
    found = name_report.Findings(
        name="asyncio", username="alice", index_loaded=True, others=(12, 40)
    )
    body = report_text(found)
    assert (
        "| Standard library | `asyncio` is a standard-library module's name (in some Python "
        "version): PyPI refuses it for new projects |"
    ) in body
    assert "| Other requests | open: #12, #40 |" in body
    assert "[`alice`](https://pypi.org/user/alice/) on PyPI" in body


def test_a_python_2_module_name_is_reported_as_standard_library():
    found = name_report.Findings(name="urllib2", username="alice", index_loaded=True)
    body = report_text(found)
    assert "| Standard library | `urllib2` is a standard-library module's name" in body


def test_urls_from_pypi_cannot_break_the_table():
    found = name_report.Findings(
        name="widgets",
        index_loaded=True,
        facts=facts(
            "2026-08-20T09:00:00+00:00",
            home_page="https://example.org/a|b)c d",
            source_url=None,
        ),
    )
    body = report_text(found)
    assert "<https://example.org/a%7Cb%29c%20d>" in body


# -- the actions ---------------------------------------------------------------------------


def comment(body: str, cid: int = 99) -> Comment:
    return Comment(id=cid, author=BOT, body=body)


def report_text(found: name_report.Findings) -> str:
    return name_report.render(found, NOW, INDEX)[0]


def report_body(found: name_report.Findings) -> str:
    """The report as the bot posts it: its text and its marker."""
    text, state = name_report.render(found, NOW, INDEX)
    return markers.compose(text, "name-report", state)


def written(history: History, found: name_report.Findings, rules) -> list:
    """What the report would write: its wishes less what is already true."""
    snapshot = Snapshot(issue(), history)
    wished = name_report.decide(issue(), history, rules, found, now=NOW, index_url=INDEX)
    return [a for a in (still_needed(w, snapshot) for w in wished) if a is not None]


def test_first_report_is_posted_and_the_similar_label_added(rules):
    found = name_report.Findings(name="flask-plus", index_loaded=True, similar=("FlaskPlus",))
    actions = written(History(bot_login=BOT), found, rules)
    assert [type(a) for a in actions] == [AddLabels, SetComment]
    assert actions[0].labels == (SIMILAR,)


def test_same_findings_again_do_nothing_and_new_ones_edit(rules):
    found = name_report.Findings(name="widgets", index_loaded=True)
    history = History(comments=(comment(report_body(found)),), bot_login=BOT)
    assert written(history, found, rules) == []
    changed = name_report.Findings(name="widgets", index_loaded=True, others=(3,))
    (edit,) = written(history, changed, rules)
    assert isinstance(edit, SetComment) and "#3" in edit.body


def test_a_report_written_by_someone_else_is_not_ours(rules):
    found = name_report.Findings(name="widgets", index_loaded=True)
    forged = Comment(id=5, author="mallory", body=report_body(found))
    history = History(comments=(forged,), bot_login=BOT)
    (post,) = written(history, found, rules)
    assert isinstance(post, SetComment)


@pytest.mark.parametrize(
    "findings",
    [
        # The name exists: a transfer, not a collision.
        name_report.Findings(
            name="widgets", index_loaded=True, listed_as="widgets", similar=("w1dgets",)
        ),
        # Nothing similar.
        name_report.Findings(name="widgets", index_loaded=True),
    ],
)
def test_no_similar_label_without_a_collision(rules, findings):
    actions = name_report.decide(
        issue(), History(bot_login=BOT), rules, findings, now=NOW, index_url=INDEX
    )
    assert not any(isinstance(a, AddLabels) for a in actions)


def test_a_similar_label_a_human_removed_stays_off(rules):
    found = name_report.Findings(name="flask-plus", index_loaded=True, similar=("FlaskPlus",))
    removed = IssueEvent(kind="unlabeled", actor="ewdurbin", at=NOW, label=SIMILAR)
    history = History(events=(removed,), bot_login=BOT)
    actions = name_report.decide(issue(), history, rules, found, now=NOW, index_url=INDEX)
    assert not any(isinstance(a, AddLabels) for a in actions)


def test_other_requests_are_matched_on_the_normalised_name(rules):
    others = [
        issue(form("`Flask_Plus`: https://pypi.org/project/Flask_Plus"), number=3),
        issue(title="PEP 541 Request: flask.plus", number=4),
        issue(title="PEP 541 Request: flaskplus", number=5),  # similar, not the same name
        issue(title="PEP 541 Request: flask-plus-extra", number=6),
    ]
    assert name_report.same_name(others, "flask-plus", rules.name_intelligence) == (3, 4)
