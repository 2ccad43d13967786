"""The schema is derived from dataclasses: a field is a key, its type says what the key takes,
its default makes it optional, and `Annotated` constraints add minimums, choices and reply
placeholders. These tests use their own small dataclasses, not the rules'."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import pytest

from bot.core.patterns import Pattern
from bot.core.schema import Min, Num, Obj, OneOf, Placeholders, load_document, spec_for


@dataclass(frozen=True)
class Match:
    patterns: tuple[Pattern, ...] = ()
    words: tuple[str, ...] = ()

    def validate(self) -> str | None:
        return None if self.patterns or self.words else "give patterns or words"


@dataclass(frozen=True)
class Item:
    name: str
    when: Match


@dataclass(frozen=True)
class Settings:
    title: str
    enabled: bool = True
    count: Annotated[int, Min(1)] = 3
    days: float = 14
    score: Annotated[int, Min(None)] = 0
    role: Annotated[str, OneOf(("read", "write"))] = "read"
    labels: tuple[str, ...] = ()
    items: tuple[Item, ...] = ()
    scores: dict[Pattern, Annotated[int, Min(None)]] = field(default_factory=dict)
    replies: dict[str, Annotated[str, Placeholders(frozenset({"author"}))]] = field(
        default_factory=dict
    )
    login: str | None = None
    limit: Annotated[int, Min(1)] | None = None
    extra: Match | None = None
    derived: int = field(init=False, default=0)


def load(text: str, tp: type = Settings) -> tuple[object, list[str]]:
    value, problems = load_document(text, spec_for(tp))
    return value, [f"{p.line}: {p.message}" for p in sorted(problems)]


def loaded(text: str, tp: type = Settings):
    value, problems = load(text, tp)
    assert not problems, problems
    return value


def test_fields_are_keys_and_defaults_make_them_optional():
    s = loaded("title: hello\n")
    assert s == Settings(title="hello")
    assert (s.enabled, s.count, s.days, s.login, s.limit, s.extra) == (
        True,
        3,
        14,
        None,
        None,
        None,
    )


def test_every_kind_of_field_loads_into_its_type():
    s = loaded(
        """\
title: t
enabled: false
count: 7
days: 2.5
score: -4
role: write
labels: [a, b]
items:
  - {name: x, when: {patterns: ['(?i)x+']}}
scores: {'^a': -2, b: 5}
replies: {hi: "Hello {author}, {{literal}}"}
login: bot
limit: 9
extra: {words: [w]}
"""
    )
    assert (s.enabled, s.count, s.days, s.score, s.role) == (False, 7, 2.5, -4, "write")
    assert s.labels == ("a", "b")
    assert s.items[0].name == "x" and s.items[0].when.patterns[0].search("XX")
    assert {p.source: n for p, n in s.scores.items()} == {"^a": -2, "b": 5}
    assert s.replies == {"hi": "Hello {author}, {{literal}}"}
    assert (s.login, s.limit, s.extra) == ("bot", 9, Match(words=("w",)))


def test_a_field_added_to_a_dataclass_is_a_key_with_no_other_change():
    text = "title: t\nnotify: true\n"
    assert load(text)[1] == [
        "2: unknown key 'notify'; allowed: title, enabled, count, days, score, role, labels, "
        "items, scores, replies, login, limit, extra"
    ]

    @dataclass(frozen=True)
    class MoreSettings(Settings):
        notify: bool = False

    assert loaded(text, MoreSettings).notify is True
    assert loaded("title: t\n", MoreSettings).notify is False


def test_init_false_fields_are_not_keys():
    assert "unknown key 'derived'" in load("title: t\nderived: 3\n")[1][0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: t\ncount: 0\n", "2: count: must be at least 1"),
        ("title: t\ncount: 2.5\n", "2: count: expected an integer, got '2.5'"),
        ("title: t\ndays: -1\n", "2: days: must be at least 0"),
        ("title: t\nrole: admin\n", "2: role: 'admin' is not one of read, write"),
        ("title: t\nlimit: 0\n", "2: limit: must be at least 1"),
        ("title: t\n\nscores: {'(a)\\1': 1}\n", "3: bad regular expression '(a)\\\\1'"),
        ("title: t\nreplies:\n  hi: 'Hi {autor}'\n", "3: unknown placeholder {autor} in reply"),
        ("title: t\nreplies:\n  hi: 'a { b'\n", "3: bad reply template"),
        ("title: t\nlogin:\n", "2: login: expected a string"),
        ("title: ''\n", "1: title: expected a non-empty string"),
        ("enabled: false\n", "1: missing required key 'title'"),
        ("title: t\ntitel: u\n", "2: unknown key 'titel' (did you mean 'title'?)"),
        ("title: t\ntitle: u\n", "2: duplicate key 'title' (first on line 1)"),
        ("title: t\nitems:\n  - name: x\n    when: {}\n", "4: give patterns or words"),
    ],
)
def test_constraints_are_enforced_with_their_line(text, expected):
    _, problems = load(text)
    assert any(p.startswith(expected) for p in problems), problems


def test_every_problem_is_reported_at_once():
    _, problems = load("title: t\ncount: 0\nrole: admin\nitems: [{name: x}]\nbogus: 1\n")
    assert [p.split(":")[0] for p in problems] == ["2", "3", "4", "5"]


def test_a_single_scalar_may_stand_for_a_list_but_a_list_of_mappings_is_a_list():
    s = loaded("title: t\nlabels: only\nitems:\n  - {name: x, when: {patterns: a}}\n")
    assert s.labels == ("only",)
    assert s.items[0].when.patterns[0].source == "a"
    assert loaded("title: t\nlabels:\n").labels == ()
    for items in ("x", "{name: x, when: {words: w}}"):
        _, problems = load(f"title: t\nitems: {items}\n")
        assert len(problems) == 1 and problems[0].startswith("2: items: expected a list of"), (
            problems
        )


def test_an_optional_field_is_its_type_and_may_be_left_out():
    spec = spec_for(Settings)
    assert isinstance(spec.fields["limit"], Num) and spec.fields["limit"].minimum == 1
    assert isinstance(spec.fields["extra"], Obj) and spec.fields["extra"].cls is Match
    assert loaded("title: t\n").limit is None
    assert loaded("title: t\nlimit: 2\nextra: {patterns: x}\n").extra.patterns[0].source == "x"
    assert load("title: t\nextra: {}\n")[1] == ["2: give patterns or words"]


@pytest.mark.parametrize(
    "tp",
    [
        list[str],
        tuple[str, int],
        str | int,
        Annotated[str, Min(1)],
        Annotated[int, OneOf(("a",))],
        Annotated[tuple[int, ...], Min(1)],
        Annotated[str, OneOf(("a",)), Placeholders(frozenset())],
        object,
    ],
)
def test_an_annotation_the_loader_cannot_read_is_refused_at_once(tp):
    with pytest.raises(TypeError):
        spec_for(tp)


def test_a_dataclass_with_an_unreadable_field_is_refused_at_once():
    @dataclass
    class Bad:
        names: list[str]

    with pytest.raises(TypeError):
        spec_for(Bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a list\n", "1: expected a mapping of keys to values"),
        ("title: t\nenabled: maybe\n", "2: enabled: expected true or false, got 'maybe'"),
        ("title: t\nextra: [a]\n", "2: extra: expected a mapping of keys to values"),
        ("title: t\nitems: [x]\n", "2: items: expected a mapping of keys to values"),
        ("title: t\nlabels: {a: b}\n", "2: labels: expected a list of strings"),
        ("title: t\nlabels: [a, [b]]\n", "2: labels: expected a string"),
        ("title: t\nscores: [a]\n", "2: scores: expected a mapping of regular expressions to"),
        ("title: t\nscores: {a: x}\n", "2: scores: expected an integer, got 'x'"),
        ("title: t\nscores: {[a]: 1}\n", "2: scores: expected a regular expression"),
        ("title: !!python/name:os.system t\n", "1: title: expected a string, not a value tagged"),
    ],
)
def test_a_value_of_the_wrong_kind_names_its_key_in_plain_words(text, expected):
    _, problems = load(text)
    assert any(p.startswith(expected) for p in problems), problems
