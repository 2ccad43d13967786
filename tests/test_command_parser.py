"""Tests for bot.command_parser: pure, no I/O."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.command_parser import (
    Invocation,
    UnknownCommand,
    new_commands,
    parse_commands,
    split_args,
)

KNOWN = {
    "label": "label",
    "add-label": "label",
    "unlabel": "unlabel",
    "remove-label": "unlabel",
    "assign": "assign",
    "claim": "assign",
    "close": "close",
    "reopen": "reopen",
    "awaiting": "awaiting",
    "snooze": "snooze",
    "unsnooze": "unsnooze",
    "pep541": "pep541",
    "pep-541": "pep541",
    "help": "help",
}


def parse(text):
    return parse_commands(text, KNOWN)


def names(text):
    return [c.name for c in parse(text) if isinstance(c, Invocation)]


def cmd(name, *args, rest=None, line=1):
    return Invocation(name, args, " ".join(args) if rest is None else rest, line)


# ------------------------------------------------------------------ basic grammar


def test_single_command_fields():
    [inv] = parse("/label bug")
    assert inv == Invocation("label", ("bug",), "bug", 1)
    assert inv.key() == ("label", ("bug",))


def test_command_without_args():
    assert parse("/close") == [cmd("close")]
    assert parse("/close   ") == [cmd("close")]


def test_command_word_is_case_insensitive():
    assert names("/CLOSE\n/ReOpen\n/Label x") == ["close", "reopen", "label"]


def test_aliases_resolve_to_canonical_name():
    assert parse("/claim") == [cmd("assign")]
    assert parse("/PEP-541 foo") == [cmd("pep541", "foo")]
    assert parse("/remove-label bug") == [cmd("unlabel", "bug")]


def test_known_keys_are_normalised_to_lower_case():
    assert parse_commands("/close", {"Close": "close"}) == [cmd("close")]


def test_several_commands_one_per_line_with_line_numbers():
    text = "Thanks for the report!\n/label bug\n\n/assign @ewdurbin\nsome prose\n/close"
    assert parse(text) == [
        cmd("label", "bug", line=2),
        cmd("assign", "@ewdurbin", line=4),
        cmd("close", line=6),
    ]


def test_up_to_three_spaces_of_indent():
    assert names(" /close") == ["close"]
    assert names("   /close") == ["close"]
    assert names("    /close") == []
    assert names("\t/close") == []


@pytest.mark.parametrize(
    "text",
    [
        "/usr/bin/python",
        "/close/now",
        "a/b",
        "see /close",
        "https://pypi.org/close",
        "//close",
        "/close.",
        "/close:",
        "/ close",
        "/",
        "`/close`",
        "- /close",
        "text /label bug",
    ],
)
def test_not_commands(text):
    assert parse(text) == []


def test_command_followed_by_any_whitespace():
    assert names("/close\tnow") == ["close"]
    assert parse("/label\u00a0bug") == [cmd("label", "bug")]


def test_crlf_line_endings():
    text = "Hi\r\n/label bug\r\n/close\r\n"
    assert parse(text) == [cmd("label", "bug", line=2), cmd("close", line=3)]
    assert parse("```\r\n/close\r\n```\r\n/reopen") == [cmd("reopen", line=4)]


def test_lone_cr_line_endings():
    assert parse("/label a\r/close") == [cmd("label", "a"), cmd("close", line=2)]


@pytest.mark.parametrize("text", [None, "", 42, b"/close"])
def test_empty_or_non_text(text):
    assert parse_commands(text, KNOWN) == []


# ------------------------------------------------------------------ block quotes


@pytest.mark.parametrize(
    "text", ["> /close", ">/close", ">> /close", "> > /close", "   > /close", "> \n> /close"]
)
def test_quoted_commands_do_nothing(text):
    assert parse(text) == []


def test_reply_quoting_a_command_then_issuing_another():
    text = "> /close\n> please close this\n\n/reopen"
    assert parse(text) == [cmd("reopen", line=4)]


def test_line_right_after_a_quote_is_live():
    # Decision: a lazy continuation line is treated as the maintainer's own text.
    assert parse("> they said\n/close") == [cmd("close", line=2)]


# ------------------------------------------------------------------ code blocks


def test_backtick_fence():
    assert parse("```\n/close\n```\n/reopen") == [cmd("reopen", line=4)]


def test_tilde_fence():
    assert parse("~~~\n/close\n~~~\n/reopen") == [cmd("reopen", line=4)]


def test_fence_with_info_string_and_indent():
    assert parse("  ```python\n/close\n  ```\n/help") == [cmd("help", line=4)]


def test_fence_closes_only_with_same_char_and_at_least_same_length():
    text = "````\n/close\n```\n~~~~\n/label x\n`````\n/help"
    assert parse(text) == [cmd("help", line=7)]


def test_closing_fence_may_not_carry_text():
    assert parse("```\n/close\n``` no\n/label x\n```\n/help") == [cmd("help", line=6)]


def test_unclosed_fence_runs_to_the_end():
    assert parse("/label a\n```\n/close\n\n/reopen") == [cmd("label", "a")]


def test_inline_triple_backticks_are_not_a_fence():
    assert parse("```code``` here\n/close") == [cmd("close", line=2)]


def test_four_space_indented_fence_is_not_a_fence():
    assert parse("    ```\n/close") == [cmd("close", line=2)]


def test_fence_in_list_item():
    assert parse("- ```\n  /close\n  ```\n/help") == [cmd("help", line=4)]
    # Dedenting out of the list item ends the fence, as in CommonMark.
    assert parse("1. ~~~\n   /close\n/help") == [cmd("help", line=3)]


def test_five_spaces_after_a_list_marker_make_code_not_a_fence():
    assert parse("-     ```\n/close") == [cmd("close", line=2)]


def test_indented_fence_content_stays_code():
    assert parse("- item\n  ```\n  /close\n  ```\n/help") == [cmd("help", line=5)]


def test_indented_code_block():
    assert parse("Log:\n\n    /close\n    /label x\n\n/help") == [cmd("help", line=6)]
    assert parse("\t/close") == []


def test_html_comment_start_inside_indented_code_is_literal():
    assert parse("\n    <!--\n/close") == [cmd("close", line=3)]


def test_html_comment_start_inside_fence_is_literal():
    assert parse("```\n<!--\n```\n/close") == [cmd("close", line=4)]


# ------------------------------------------------------------------ raw HTML blocks


@pytest.mark.parametrize(
    "opener",
    ["<pre>", "<PRE>", '<pre lang="text">', "   <pre>", "<textarea>", "<script>", "<style>"],
)
def test_commands_in_preformatted_html_do_nothing(opener):
    # GitHub shows a <pre> block's lines as preformatted text, not as the maintainer's words.
    closer = "</" + opener.strip(" <>").split()[0].lower() + ">"
    assert parse(f"{opener}\n/close\n{closer}\n/reopen") == [cmd("reopen", line=4)]


def test_unclosed_pre_runs_to_the_end():
    assert parse("/label a\n<pre>\n/close\n\n/reopen") == [cmd("label", "a")]


def test_pre_block_ends_at_its_own_end_tag_only():
    assert parse("<pre>\n</script>\n/close\n</pre>\n/help") == [cmd("help", line=5)]


def test_pre_in_a_list_item():
    assert parse("- <pre>\n  /close\n  </pre>\n/help") == [cmd("help", line=4)]


def test_pre_inside_code_or_a_comment_opens_nothing():
    assert parse("```\n<pre>\n```\n/close") == [cmd("close", line=4)]
    assert parse("<!-- <pre> -->\n/close") == [cmd("close", line=2)]


def test_commands_in_details_stay_live():
    # <details> and <summary> content is rendered as Markdown on GitHub: it is visible text.
    text = "<details>\n<summary>Commands</summary>\n\n/label bug\n\n</details>\n/close"
    assert parse(text) == [cmd("label", "bug", line=4), cmd("close", line=7)]
    assert parse("<details>\n/close\n</details>") == [cmd("close", line=2)]


# ------------------------------------------------------------------ HTML comments


def test_single_line_html_comment():
    assert parse("<!-- /close -->") == []


def test_multi_line_html_comment():
    text = "<!--\n/close\n/label x\n-->\n/reopen"
    assert parse(text) == [cmd("reopen", line=5)]


def test_issue_template_comment():
    text = "<!-- Please describe your problem.\n\n/close\n\n-->\nI cannot log in."
    assert parse(text) == []


def test_text_after_comment_end_is_live():
    assert parse("<!--\nhidden\n-->/close") == [cmd("close", line=3)]
    assert parse("<!-- note --> /close") == [cmd("close")]


def test_comment_inside_command_line_is_removed_from_rest():
    [inv] = parse("/label bug <!-- why: triage -->")
    assert inv == cmd("label", "bug")


def test_comment_opened_at_end_of_command_line():
    assert parse("/label bug <!--\n/close\n-->") == [cmd("label", "bug")]


def test_unclosed_html_comment_runs_to_the_end():
    assert parse("<!--\n/close\n/reopen") == []


def test_short_html_comment_forms():
    assert parse("<!---->\n/close") == [cmd("close", line=2)]
    assert parse("<!-->\n/close") == [cmd("close", line=2)]


def test_comment_start_in_code_span_is_literal():
    assert parse("Type `<!--` to hide text.\n/close") == [cmd("close", line=2)]
    # A comment that starts before a backtick still hides the line's remainder.
    assert parse("<!-- `\n/close\n-->") == []


def test_comment_opened_in_a_quote_hides_what_follows():
    # The quoted paragraph goes on lazily, comment included: GitHub hides /close.
    assert parse("> a <!--\n/close\n-->\n/help") == [cmd("help", line=4)]


def test_comment_containing_fence_does_not_open_it():
    assert parse("<!--\n```\n-->\n/close") == [cmd("close", line=4)]


# ------------------------------------------------------------------ arguments


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        ("", ()),
        ("   ", ()),
        ("bug", ("bug",)),
        ("bug  feature", ("bug", "feature")),
        ('"status: awaiting response"', ("status: awaiting response",)),
        ('"a b" c', ("a b", "c")),
        ("'a b' c", ("a b", "c")),
        ("“needs triage” bug", ("needs triage", "bug")),
        ("‘needs triage’", ("needs triage",)),
        ("”both ends alike”", ("both ends alike",)),
        ('"unterminated quote here', ("unterminated quote here",)),
        ("x 'unterminated, with comma", ("x", "unterminated, with comma")),
        ("don't panic", ("don't", "panic")),
        ("'it's quoted'", ("it's quoted",)),
        ('""  x', ("x",)),
        ("@ewdurbin", ("@ewdurbin",)),
        ("@a @b", ("@a", "@b")),
        ("`needs triage`", ("needs triage",)),
        ("PEP 541, status: awaiting response", ("PEP 541", "status: awaiting response")),
        ("a,b", ("a", "b")),
        (" a , , b ,", ("a", "b")),
        ('"x, y", z', ("x, y", "z")),
        ('"x, y" z', ("x, y", "z")),
        ("“a, b”, c", ("a, b", "c")),
        ('"a", "b c"', ("a", "b c")),
        (",", ()),
    ],
)
def test_split_args(rest, expected):
    assert split_args(rest) == expected


def test_quoted_label_with_spaces_and_colon():
    [inv] = parse('/label "status: awaiting response"')
    assert inv.args == ("status: awaiting response",)
    assert inv.rest == '"status: awaiting response"'


def test_comma_list_of_labels():
    [inv] = parse("/label PEP 541, status: awaiting response")
    assert inv == Invocation(
        "label",
        ("PEP 541", "status: awaiting response"),
        "PEP 541, status: awaiting response",
        1,
    )


def test_assign_keeps_at_sign():
    assert parse("/assign @di me") == [cmd("assign", "@di", "me")]


# ------------------------------------------------------------------ did you mean


@pytest.mark.parametrize(
    ("word", "suggestion"),
    [
        ("lable", "label"),
        ("clsoe", "close"),
        ("asign", "assign"),
        ("unlable", "unlabel"),
        ("snoze", "snooze"),
        ("pep-514", "pep-541"),
        ("Awaitng", "awaiting"),
    ],
)
def test_unknown_command_suggests_closest(word, suggestion):
    assert parse(f"/{word} x") == [UnknownCommand(word.lower(), suggestion, 1)]


@pytest.mark.parametrize("word", ["etc", "usr", "tmp", "home", "bin", "x", "simple", "docs"])
def test_unrelated_slash_word_is_ignored(word):
    assert parse(f"/{word}") == []


def test_unknown_and_known_mixed():
    text = "/lable bug\n/close\n/etc/hosts\n/etc"
    assert parse(text) == [UnknownCommand("lable", "label", 1), cmd("close", line=2)]


def test_very_long_unknown_word_is_ignored():
    assert parse("/" + "label" * 1000) == []


def test_unknown_command_in_code_is_ignored():
    assert parse("```\n/lable\n```\n> /clsoe") == []


# ------------------------------------------------------------------ edit diffs


def test_edit_adding_a_command_yields_only_it():
    old = "Looks like spam.\n/label spam\n/close"
    new = "Looks like spam.\n/label spam\n/close\n/assign me"
    assert new_commands(old, new, KNOWN) == [cmd("assign", "me", line=4)]


def test_edit_without_command_changes_yields_nothing():
    old = "/label bug\nthanks"
    new = "Edited: typo fixed.\n\n/label bug\nthanks!"
    assert new_commands(old, new, KNOWN) == []


def test_edit_duplicating_a_command_yields_the_extra_copy():
    assert new_commands("/close", "/close\n/close", KNOWN) == [cmd("close", line=2)]


def test_edit_changing_arguments_is_a_new_command():
    assert new_commands("/label bug", "/label feature", KNOWN) == [cmd("label", "feature")]


def test_edit_removing_commands_yields_nothing():
    assert new_commands("/close\n/label x", "done", KNOWN) == []


def test_edit_alias_counts_as_same_command():
    assert new_commands("/claim", "/assign", KNOWN) == []


def test_edit_fixing_a_typo_yields_the_command():
    assert new_commands("/lable bug", "/label bug", KNOWN) == [cmd("label", "bug")]


def test_edit_unknown_commands_diffed_on_word():
    assert new_commands("/lable a", "/lable b", KNOWN) == []
    assert new_commands("/lable a", "/lable a\n/clsoe", KNOWN) == [
        UnknownCommand("clsoe", "close", 2)
    ]


def test_edit_uncommenting_a_command():
    assert new_commands("<!-- /close -->", "/close", KNOWN) == [cmd("close")]


def test_edit_from_nothing():
    assert new_commands(None, "/close", KNOWN) == [cmd("close")]
    assert new_commands("/close", None, KNOWN) == []


# ------------------------------------------------------------------ robustness

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_QUOTED = re.compile(r" {0,3}>")

_fragments = st.sampled_from(
    [
        "/close",
        "/label a, b",
        '/label "x y',
        "/lable",
        "> /close",
        ">> /reopen",
        "  >/help",
        "```",
        "~~~~",
        "- ```",
        "<pre>",
        "</pre>",
        "<!--",
        "-->",
        "<!-- x -->",
        "`",
        "``",
        "    ",
        "\t",
        "text",
        "“",
        "'",
        ",",
        "/",
        " ",
        "@me",
    ]
)
_line = st.lists(_fragments | st.text(max_size=6), max_size=6).map("".join)
_lines = st.lists(_line.map(lambda s: _LINE_BREAK.sub("", s)), max_size=25)
_newline = st.sampled_from(["\n", "\r\n", "\r"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_never_raises_on_arbitrary_text(text):
    for found in parse(text):
        assert isinstance(found, Invocation | UnknownCommand)
    split_args(text)
    new_commands(text, text[::-1], KNOWN)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_lines, _newline)
def test_no_command_from_a_block_quote_line(lines, newline):
    text = newline.join(lines)
    physical = _LINE_BREAK.split(text)
    for found in parse(text):
        line = physical[found.line - 1]
        assert not _QUOTED.match(line), (found, line)
        assert "/" in line, (found, line)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_lines)
def test_quoting_a_whole_comment_disables_every_command(lines):
    assert parse("\n".join("> " + line for line in lines)) == []


N = 64 * 1024


@pytest.mark.parametrize(
    "text",
    [
        "".join("`" * k + "x" for k in range(1, 360)) + "<!--",
        "<!--" * (N // 4),
        "<!---->`" * (N // 8),
        "`x" * (N // 4) + "<!--\n/close",
        "/label " + '"a' * (N // 2),
        "/label " + ' "' * (N // 2),
        "/label " + "," * N,
        "/lable\n" * (N // 7),
        "/abcdefghij\n" * (N // 12),
        "/" + "a" * N,
        "```\n~~~~\n" * (N // 9),
        "- ```\n x\n" * (N // 9),
        "<pre>\n/close\n" * (N // 13),
        "`" * N,
        " " * N,
        ">" * N,
        "\r\n" * (N // 2),
    ],
)
def test_hostile_64k_input_is_fast(text):
    start = time.perf_counter()
    parse(text)
    assert time.perf_counter() - start < 0.5
