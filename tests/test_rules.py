"""The rules file: the shipped one is valid; every kind of mistake is an error with its line."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.rules import RulesError, Triage, load_rules, parse_rules
from bot.core.schema import load_document, spec_for
from tests.conftest import ROOT, run_bot

MINIMAL = """\
repositories:
  pypi/support:
    labels: [PEP 541, "status: awaiting response", overdue]
    replies:
      verification: "Hi {author}: {missing}"
      verification_complete: "Thanks"
      nudge: "ping {author}"
      close_no_response: "closing"
      pep541_reminder: "attempt {attempt}"
      pep541_ready: "ready"
    categories:
      - name: pep-541
        label: PEP 541
        recognise:
          headings: {Project to be claimed: 6}
"""


def errors(text: str) -> list[str]:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "rules.yaml")
    return caught.value.lines()


def test_the_shipped_rules_are_valid():
    rules = load_rules(ROOT / "rules.yaml")
    support = rules.for_repo("pypi/support")
    assert support is not None
    assert {c.label for c in support.categories} >= {"account-recovery", "PEP 541", "limit request"}


def test_minimal_rules_load_with_defaults():
    rules = parse_rules(MINIMAL)
    repo = rules.for_repo("PyPI/Support")  # GitHub names are case-insensitive
    assert repo is not None
    assert repo.lifecycle.awaiting_response.nudge_after_days == 14
    assert repo.commands.minimum_role == "triage"


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("    labels:", "    lables:"), 3, "unknown key 'lables' (did you mean 'labels'?)"),
        (
            ("headings: {Project to be claimed: 6}", "headings: {Project to be claimed: six}"),
            15,
            "expected an integer",
        ),
        (("headings: {Project to be claimed: 6}", "headings: []"), 15, "expected a mapping"),
        (("        label: PEP 541", "        label: PEP 514"), 13, "uses label 'PEP 514'"),
        (
            ('verification: "Hi {author}: {missing}"', 'verification: "Hi {autor}"'),
            5,
            "unknown placeholder {autor}",
        ),
        (
            ("headings: {Project to be claimed: 6}", "title: {'(unclosed': 3}"),
            15,
            "bad regular expression",
        ),
        (
            ("headings: {Project to be claimed: 6}", "title: {'(a)\\1': 3}"),
            15,
            "bad regular expression",
        ),
    ],
)
def test_mistakes_are_reported_with_their_line(change, line, message):
    text = MINIMAL.replace(*change)
    assert text != MINIMAL
    lines = errors(text)
    assert any(f"rules.yaml:{line}:" in x and message in x for x in lines), lines


def test_duplicate_keys_and_bad_yaml_are_errors():
    assert any(
        "duplicate key 'labels'" in x
        for x in errors(MINIMAL.replace("    replies:", "    labels: []\n    replies:"))
    )
    assert errors("repositories: [unclosed\n")[0].startswith("rules.yaml:")
    assert errors("")[0] == "rules.yaml:1: the rules file is empty"


def test_a_reference_to_an_undefined_reply_is_an_error():
    text = MINIMAL + "        complete_reply: nowhere\n"
    assert any("reply 'nowhere'" in x for x in errors(text))


def test_defaults_that_need_declarations_say_which_and_how():
    bare = "repositories:\n  me/test:\n    labels: [bug]\n"
    lines = errors(bare)
    assert len(lines) == 8
    assert (
        "rules.yaml:2: me/test: lifecycle.awaiting_response.nudge_reply is 'nudge' (its "
        "default), a reply that is not defined: add a reply 'nudge' under replies, or set "
        "lifecycle.awaiting_response.nudge_reply to a reply you define"
    ) in lines
    assert (
        "rules.yaml:2: me/test: triage.awaiting_label is 'status: awaiting response' (its "
        "default), a label that is not declared: add 'status: awaiting response' to the "
        "repository's labels, or set triage.awaiting_label to a label you declare"
    ) in lines
    pep541 = [x for x in lines if "pep541_" in x]
    assert len(pep541) == 2
    assert all(
        x.endswith("or turn the PEP 541 clock off with commands.disabled: [pep541]") for x in pep541
    )
    # With the clock off, its replies are not needed; set keys are named as set.
    lines = errors(
        bare + "    commands: {disabled: [pep541]}\n    triage: {awaiting_label: bug2}\n"
    )
    assert not [x for x in lines if "pep541" in x] and len(lines) == 6
    assert "me/test: triage.awaiting_label uses label 'bug2', which is not in the" in lines[-1]


def test_init_writes_a_valid_commented_file_and_never_overwrites(tmp_path):
    path = tmp_path / "rules-test.yaml"
    result = run_bot("init", "octo-org/widgets", "--output", str(path), env={})
    assert result.returncode == 0, result.stderr
    text = path.read_text()
    assert text.startswith("# Rules for octo-org/widgets") and text.count("\n    # ") >= 5
    rules = load_rules(path)  # what `check` runs
    assert list(rules.repositories) == ["octo-org/widgets"]
    assert f"python -m bot check {path}" in result.stderr
    again = run_bot("init", "octo-org/other", "--output", str(path), env={})
    assert again.returncode == 1
    assert again.stderr == f"error: {path} exists already; init never overwrites a file\n"
    assert path.read_text() == text


def test_check_command_prints_file_line_messages_and_exits_1(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text(MINIMAL.replace("    labels:", "    lables:"))
    result = run_bot("check", str(bad), env={})
    assert result.returncode == 1
    assert result.stdout.startswith(f"{bad}:3: unknown key 'lables'")
    ok = run_bot("check", str(ROOT / "rules.yaml"), env={})
    assert ok.returncode == 0, ok.stdout


def test_serve_refuses_to_start_with_bad_rules(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("repositories: {}\n")
    result = run_bot("serve", env={"BOT_RULES": str(bad)})
    assert result.returncode == 1
    assert f"{bad}:1: no repositories are configured" in result.stderr


SHIPPED = (ROOT / "rules.yaml").read_text()
SHIPPED_LINES = SHIPPED.splitlines()


@st.composite
def broken_rules(draw) -> str:
    """The shipped rules with a few lines deleted, duplicated, re-indented or overwritten."""
    lines = list(SHIPPED_LINES)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        match draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "value"])):
            case "delete":
                del lines[i]
            case "duplicate":
                lines.insert(i, lines[i])
            case "indent":
                lines[i] = "  " + lines[i]
            case "dedent":
                lines[i] = lines[i][2:]
            case "value":
                key = lines[i].split(":", 1)[0]
                junk = draw(st.sampled_from(["", "-1", "[", "{a: b}", "yes", "'(x'", "!!python"]))
                lines[i] = f"{key}: {junk}"
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None)
@given(text=broken_rules())
def test_any_broken_rules_file_is_an_error_with_its_line(text):
    try:
        parse_rules(text, "rules.yaml")
    except RulesError as exc:
        lines = exc.lines()
        assert lines and all(re.match(r"rules\.yaml:\d+: \S", x) for x in lines), lines
    # A change can also leave a valid file (a deleted comment line, a duplicated list item).


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("repositories:\n  pypi/support:\n\tlabels: []\n", "rules.yaml:3:"),  # a tab
        ("- just\n- a list\n", "rules.yaml:1: expected a mapping of keys to values"),
        (
            MINIMAL + "    triage: {skip_bots: maybe}\n",
            "rules.yaml:16: skip_bots: expected true or false, got 'maybe'",
        ),
        ("repositories:\n  pypi/support:\n    labels: [a, a]\n", "rules.yaml:"),
        (MINIMAL.replace('verification_complete: "Thanks"', "verification_complete: [a]"), ":6:"),
        (MINIMAL + "    lifecycle: {awaiting_response: {nudge_after_days: -3}}\n", ":16:"),
        (
            MINIMAL + "    misfilings: [{name: x, category: nowhere, when: {patterns: [a]}}]\n",
            ":16:",
        ),
    ],
)
def test_more_kinds_of_mistake(text, message):
    lines = errors(text)
    assert any(message in x for x in lines), lines


def test_the_pattern_set_finds_what_separate_searches_find():
    rules = load_rules(ROOT / "rules.yaml").for_repo("pypi/support")
    every = [p for c in rules.categories for p in (*c.recognise.title, *c.recognise.text)]
    for text in (SHIPPED, "I lost my 2FA phone", "PEP 541 Request: widgets", "zzz", ""):
        expected = {p.source for p in every if p.search(text)}
        assert expected <= rules.patterns.matching(text)
        assert {p.source for p in every} & rules.patterns.matching(text) == expected


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        ("    triage: {min_score: 0}\n", "min_score: must be at least 1"),
        ("    lifecycle: {reachability: {attempts: 0}}\n", "attempts: must be at least 1"),
        (
            "    lifecycle: {sweep_interval_minutes: 0.5}\n",
            "sweep_interval_minutes: must be at least 1",
        ),
        ("    lifecycle: {write_budget: 2.5}\n", "write_budget: expected an integer"),
        (
            "    commands: {minimum_role: owner}\n",
            "minimum_role: 'owner' is not one of read, triage, write",
        ),
        ("    replies: {x: '{'}\n", "bad reply template"),
        ("    misfilings: [{name: x, when: {unless: a}}]\n", "give at least one of patterns"),
        ("    misfilings: {name: x, when: {patterns: a}}\n", "expected a list of"),
        ("    name_intelligence: {similar_label: null}\n", "similar_label: expected a string"),
    ],
)
def test_constraints_declared_on_the_dataclasses_are_enforced_with_their_line(addition, message):
    lines = errors(MINIMAL + addition)
    assert any(x.startswith("rules.yaml:16:") and message in x for x in lines), lines


def test_scores_may_be_negative_and_one_item_may_stand_for_a_list():
    text = MINIMAL + (
        "          title: {'(?i)wheel': -2}\n"
        "    commands: {users: alice, aliases: {close: shut}}\n"
        "    name_intelligence: {project_fields: Project}\n"
    )
    repo = parse_rules(text).for_repo("pypi/support")
    assert list(repo.categories[0].recognise.title.values()) == [-2]
    assert repo.commands.users == ("alice",)
    assert repo.commands.aliases == {"close": ("shut",)}
    assert repo.name_intelligence.project_fields == ("Project",)
    assert repo.name_intelligence.similar_label is None  # `str | None`, left out


def test_a_new_rules_key_needs_only_its_dataclass_field():
    @dataclass(frozen=True)
    class TriageWithGreeting(Triage):
        greeting: str | None = None

    text = "min_score: 2\ngreeting: hello\n"
    assert "unknown key 'greeting'" in load_document(text, spec_for(Triage))[1][0].message
    value, problems = load_document(text, spec_for(TriageWithGreeting))
    assert not problems
    assert (value.min_score, value.greeting, value.skip_bots) == (2, "hello", True)


FORMS_RULES = (
    MINIMAL
    + """\
        forms:
          - name: today
            style: form
            headings: [Project to be claimed, Your PyPI username]
            required:
              - headings: [Project to be claimed]
                describe: "the project"
                template: [PROJECT]
        title_describe: "a title naming the project"
        sub_labels:
          - label: overdue
            when:
              fields: {Which indexes: '(?i)testpypi'}
              also: ['(?i)limit']
              unless_headings: [Project URL]
"""
)


def test_forms_templates_and_field_conditions_load():
    repo = parse_rules(FORMS_RULES).for_repo("pypi/support")
    category = repo.category("pep-541")
    (form,) = category.forms
    assert (form.name, form.style, form.headings) == (
        "today",
        "form",
        ("Project to be claimed", "Your PyPI username"),
    )
    assert form.required[0].template == ("PROJECT",)
    assert category.title_describe == "a title naming the project"
    when = category.sub_labels[0].when
    assert when.fields["Which indexes"].search("TestPyPI")
    assert [p.source for p in when.also] == ["(?i)limit"]
    assert when.unless_headings == ("Project URL",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("style: form", "style: plain"), "'plain' is not one of form, markdown, bold"),
        (("'(?i)testpypi'", "'(?<=a)b'"), "bad regular expression"),
        (("template: [PROJECT]", "template: {a: 1}"), "template"),
    ],
)
def test_mistakes_in_forms_and_conditions_are_errors(change, message):
    found = errors(FORMS_RULES.replace(*change))
    assert found and any(message in line or "expected" in line for line in found), found
