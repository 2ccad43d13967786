"""The one escaping function (bot.core.text.escape) against a corpus of hostile strings: every
piece of outside text that reaches a comment goes through it."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.text import escape, mention, redact_urls, render
from tests.markdown_safety import problems

HOSTILE = [
    "@alice",
    "@pypi/admins",
    "cc @org/team please",
    "@\u200balice",  # a zero-width space to slip past a naive defuser
    "a|b|c",
    "| col | col |",
    "`code`",
    "``double``",
    "trailing backtick`",
    "<b>bold</b>",
    "<img src=x onerror=alert(1)>",
    "<!-- hidden -->",
    "<!--",
    "-->",
    "<https://evil.example/>",
    "[click](https://evil.example/)",
    "![pixel](https://evil.example/p.png)",
    "[ref]: https://evil.example/",
    "**bold** _it_ ~~gone~~",
    "&lt;script&gt;",
    "\u202eevil\u202c",  # right-to-left override
    "\u2066isolate\u2069 \u200e\u200f\u061c",
    "zero\u200bwidth\u200c\u200d\u2060\ufeff",
    "soft\u00adhyphen",
    "tag\U000e0041\U000e0042chars",
    "line\nbreak\r\n\n# heading\n> quote\n- item",
    "\x00\x1b[31mred\x7f",
    "back\\slash \\| \\`",
    "https://user:password@example.org/path",
    "see http://u:p@ss@host/x?q#f for details",
    "{author} {missing}",
    "#1 and org/repo#2",
    "lone surrogate \udcff",
    "x" * 500,
]


def _invisible(text: str) -> list[str]:
    found = []
    for i, char in enumerate(text):
        if unicodedata.category(char) in ("Cc", "Cf", "Cs"):
            # The one allowed: the zero-width joiner the bot puts after "@".
            if char == "\u200d" and i > 0 and text[i - 1] == "@":
                continue
            found.append(f"U+{ord(char):04X}")
    return found


@pytest.mark.parametrize("hostile", HOSTILE)
def test_running_text_renders_literally_and_safely(hostile):
    out = escape(hostile)
    assert problems(out) == [], out
    assert "\n" not in out and "\r" not in out
    assert _invisible(out) == []
    assert "<" not in out and ">" not in out  # no HTML, no autolink, no comment
    # Every character markdown would act on carries a backslash.
    assert not re.search(r"(?<!\\)[`*_\[\]!|~#]", out.replace("\\\\", "")), out
    assert "password" not in out


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_code_span_cannot_be_broken_out_of(hostile):
    out = escape(hostile, code=True, limit=80)
    assert problems(out) == [], out
    assert out.startswith("`") and out.endswith("`") and "`" not in out[1:-1]
    assert "\n" not in out and _invisible(out) == []
    assert not re.search(r"(?<!\\)\|", out)  # a table cell stays one cell
    assert "@" not in out.replace("@\u200d", "")
    assert len(out) <= 82 and "password" not in out


@pytest.mark.parametrize("hostile", HOSTILE)
def test_in_a_table_row_every_cell_stays_a_cell(hostile):
    body = (
        "| | |\n|:--|:--|\n"
        + f"| On PyPI | {escape(hostile)} |\n| Latest | {escape(hostile, code=True)} |"
    )
    assert problems(body) == [], body


def test_plain_text_is_left_readable():
    assert escape("PEP 541") == "PEP 541"
    assert escape("account-recovery") == "account-recovery"
    assert escape("flask-plus", code=True) == "`flask-plus`"
    assert escape("  two\n\nlines  ") == "two lines"
    assert escape("x" * 100, limit=10) == "x" * 9 + "…"


@given(st.text(max_size=200))
def test_any_text_is_safe(text):
    for out in (escape(text), escape(text, code=True, limit=100)):
        assert problems(out) == [], out
        assert _invisible(out) == []


def test_credentials_are_removed_from_every_url():
    assert redact_urls("https://user:pw@pypi.example/simple/") == "https://pypi.example/simple/"
    assert redact_urls("GET http://a:b@c@host:8080/x failed") == "GET http://host:8080/x failed"
    assert redact_urls("mail alice@example.org") == "mail alice@example.org"
    assert redact_urls("https://pypi.org/project/x/") == "https://pypi.org/project/x/"
    # Glued to a word: "_" and digits are word characters, so a scheme does not need a \b.
    assert redact_urls("x_https://u:p@h/ 1http://u:p@h/") == "x_https://h/ 1http://h/"


def test_only_a_well_formed_login_is_mentioned():
    assert mention("alice") == "@alice"
    assert mention("@a-b-1") == "@a-b-1"
    for bad in ("", None, "@", "org/team", "a b", "x @org/team", "-x", "a--b", "bot[bot]"):
        assert mention(bad) is None


def test_a_template_field_is_escaped_and_only_the_author_mentioned():
    out = render(
        "Hi {author}, about *{category}*: {count}",
        {"author": "@alice", "category": "@pypi/admins <!-- x --> |", "count": 3},
    )
    assert out.startswith("Hi @alice, about *")
    assert problems(out, author="alice") == []


def test_no_reply_in_the_rules_addresses_an_empty_login():
    from bot.core.rules import load_rules
    from tests.conftest import ROOT

    replies = load_rules(ROOT / "rules.yaml").for_repo("pypi/support").replies
    fields = {"missing": "- x", "category": "PEP 541", "count": 2, "days": 14}
    fields |= {"attempt": 1, "attempts": 3}
    for name, template in replies.items():
        out = render(template, {"author": "@", "author_name": "", **fields})
        assert "@" not in out and "{author" not in out, (name, out)
        assert not re.search(r" [,.]|,[,.]|^[,.:]", out, re.MULTILINE), (name, out)
