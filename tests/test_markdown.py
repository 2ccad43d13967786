"""bot.core.markdown: the line scanner the form parser and the command parser share."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.markdown import (
    CODE,
    COMMENT,
    FENCE,
    FENCE_CLOSE,
    FENCE_OPEN,
    KIND_NAMES,
    QUOTE,
    TEXT,
    Line,
    Lines,
    scan_lines,
    strip_comments,
)


def kinds(text: str) -> list[str]:
    return [KIND_NAMES[k] for k in scan_lines(text).kind]


def visible(text: str) -> list[str]:
    return list(scan_lines(text).visible)


# ------------------------------------------------------------------ lines


def test_every_line_break_ends_a_line():
    lines = scan_lines("a\nb\r\nc\rd\n")
    assert lines.raw == ("a", "b", "c", "d", "")
    assert len(lines) == 5
    assert lines[1] == Line("b", "b", TEXT)
    assert list(lines) == [Line(r, r, TEXT) for r in lines.raw]


def test_other_unicode_breaks_are_not_line_breaks():
    assert scan_lines("a\u2028b\x0bc\x85d").raw == ("a\u2028b\x0bc\x85d",)


@pytest.mark.parametrize("text", ["", None, 42, b"```"])
def test_empty_or_non_text_is_one_empty_line(text):
    lines = scan_lines(text)
    assert lines.raw == ("",) and lines.kind == bytes([TEXT]) and lines.indexed == ()


def test_visible_is_raw_when_there_is_no_comment():
    lines = scan_lines("# x\n```\n<!--\n```\n> y")
    assert lines.visible is lines.raw


def test_index_lists_text_lines_by_first_visible_character():
    text = "/a\n  /b\n\n    /code\n\n```\n/fence\n```\n> /quote\nx /no\n<!-- c --> /d\n<!--\n-->/e"
    lines = scan_lines(text, "/")
    assert [lines.visible[i].strip() for i in lines.indexed] == ["/a", "/b", "/d", "/e"]
    assert scan_lines(text).indexed == ()
    assert scan_lines("# h\n- x\n* y\nz", "#-").indexed == (0, 1)


# ------------------------------------------------------------------ fenced code


def test_backtick_and_tilde_fences():
    assert kinds("```\nx\n```\ny") == ["fence-open", "fence", "fence-close", "text"]
    assert kinds("~~~\nx\n~~~\ny") == ["fence-open", "fence", "fence-close", "text"]


def test_fence_with_info_string_and_up_to_three_spaces():
    assert kinds("   ```python\nx\n  ```\ny") == ["fence-open", "fence", "fence-close", "text"]


def test_fence_closes_with_same_char_and_at_least_same_length():
    text = "````\na\n```\n~~~~\n`````\nb"
    assert kinds(text) == ["fence-open", "fence", "fence", "fence", "fence-close", "text"]
    assert kinds("~~~\n```\n~~~~~~ \t\nz") == ["fence-open", "fence", "fence-close", "text"]


def test_closing_fence_carries_nothing_but_blanks():
    assert kinds("```\n``` x\n```") == ["fence-open", "fence", "fence-close"]


def test_closing_fence_indented_four_does_not_close():
    assert kinds("```\n    ```\nx") == ["fence-open", "fence", "fence"]


def test_unclosed_fence_runs_to_the_end():
    assert kinds("a\n```\nb\n\n# c") == ["text", "fence-open", "fence", "fence", "fence"]


def test_backticks_in_a_backtick_info_string_make_a_code_span():
    assert kinds("```x = 1```\ny") == ["text", "text"]
    assert kinds("``` a ` b\ny") == ["text", "text"]
    assert kinds("~~~ a ` b\ny") == ["fence-open", "fence"]  # tildes may have backticks


def test_two_markers_are_not_a_fence():
    assert kinds("``\nx\n~~") == ["text", "text", "text"]


def test_four_space_indented_fence_is_not_a_fence():
    assert kinds("    ```\nx") == ["code", "text"]
    assert kinds("p\n    ```\nx") == ["text", "text", "text"]  # a paragraph's continuation
    assert kinds("\t```\nx") == ["code", "text"]


def test_fence_in_a_list_item():
    assert kinds("- ```\n  x\n  ```\ny") == ["fence-open", "fence", "fence-close", "text"]
    assert kinds("10) ~~~\n    x\n    ~~~") == ["fence-open", "fence", "fence-close"]
    assert kinds("* ```\n\n  x\n  ```") == ["fence-open", "fence", "fence", "fence-close"]


def test_list_item_fence_ends_at_a_dedented_line():
    # CommonMark: the line leaves the list item, which closes the fence; it is read afresh.
    assert kinds("1. ~~~\n   x\ny\n~~~") == ["fence-open", "fence", "text", "fence-open"]
    assert kinds("- ```\n  x\n> q") == ["fence-open", "fence", "quote"]
    # So a closing fence at the margin opens a new fence instead, as GitHub shows it.
    assert kinds("- ```\n  x\n```\ny") == ["fence-open", "fence", "fence-open", "fence"]


def test_list_item_fence_closer_is_relative_to_the_item():
    assert kinds("- ```\n  x\n      ```\n  ```") == ["fence-open", "fence", "fence", "fence-close"]


def test_five_spaces_after_a_list_marker_make_code_not_a_fence():
    assert kinds("-     ```\nx") == ["text", "text"]


def test_fence_opener_with_a_comment_in_its_info_string():
    lines = scan_lines("```<!--\nx\n```\ny")
    assert [KIND_NAMES[k] for k in lines.kind] == ["fence-open", "fence", "fence-close", "text"]
    assert lines.visible is lines.raw


# ------------------------------------------------------------------ indented code


def test_indented_code_after_a_blank_line():
    assert kinds("Log:\n\n    x\n    y\n\nz") == ["text", "text", "code", "code", "text", "text"]
    assert kinds("\tx") == ["code"]
    assert kinds("  \tx") == ["code"]


def test_indented_line_continuing_a_paragraph_is_text():
    assert kinds("a\n    b") == ["text", "text"]
    assert kinds("a <!-- c -->\n    b") == ["text", "text"]


def test_indented_line_after_a_comment_only_line_is_code():
    assert kinds("<!-- c -->\n    b") == ["text", "code"]


def test_indented_line_after_a_closed_fence_is_code():
    assert kinds("```\n```\n    x") == ["fence-open", "fence-close", "code"]


def test_comment_start_in_indented_code_is_literal():
    lines = scan_lines("\n    <!--\nx")
    assert [KIND_NAMES[k] for k in lines.kind] == ["text", "code", "text"]
    assert lines.visible is lines.raw


# ------------------------------------------------------------------ block quotes


@pytest.mark.parametrize("line", ["> x", ">x", ">> x", "> > x", "   > x", ">"])
def test_quoted_lines(line):
    assert kinds(line) == ["quote"]


def test_four_space_indented_quote_marker_is_code():
    assert kinds("    > x") == ["code"]


def test_lazy_continuation_is_text():
    # Decision kept from the command parser: the line after a quote, without a marker,
    # is the writer's own text (CommonMark would render it inside the quote).
    assert kinds("> they said\n/close") == ["quote", "text"]
    # ... and it continues a paragraph, so an indented line after a quote is not code.
    assert kinds("> a\n    b") == ["quote", "text"]


def test_comments_in_quotes_are_removed_and_may_span_lines():
    lines = scan_lines("> a <!-- b --> c\n> d <!--\n/close\n-->")
    assert lines.visible[0] == "> a  c"
    assert [KIND_NAMES[k] for k in lines.kind] == ["quote", "quote", "comment", "comment"]
    assert lines.visible[2] == ""


# ------------------------------------------------------------------ HTML comments


def test_single_line_comment():
    assert visible("a <!-- b --> c") == ["a  c"]
    assert kinds("<!-- b -->") == ["text"]


def test_multi_line_comment():
    lines = scan_lines("<!--\nx\n\ny\n-->z\nw")
    assert [KIND_NAMES[k] for k in lines.kind] == [
        "text",
        "comment",
        "comment",
        "comment",
        "comment",
        "text",
    ]
    assert lines.visible == ("", "", "", "", "z", "w")


def test_unclosed_comment_runs_to_the_end():
    assert visible("a <!--\nb\n```\nc") == ["a ", "", "", ""]
    assert kinds("a <!--\nb\n```\nc") == ["text", "comment", "comment", "comment"]


def test_short_comment_forms():
    assert visible("<!---->a\n<!-->b\n<!--->c") == ["a", "b", "c"]


def test_comment_hides_block_markers():
    assert kinds("<!--\n```\n-->\nx") == ["text", "comment", "comment", "text"]
    assert kinds("<!--\n> q\n-->") == ["text", "comment", "comment"]


def test_text_after_a_comment_does_not_open_a_block():
    assert kinds("<!-- a -->```\nx") == ["text", "text"]
    assert kinds("<!--\n-->```\nx") == ["text", "comment", "text"]


def test_comment_start_in_a_code_span_is_literal():
    assert visible("Type `<!--` to hide.\nx") == ["Type `<!--` to hide.", "x"]
    assert visible("``a ` <!-- ``b") == ["``a ` <!-- ``b"]
    # Whichever starts first wins: a comment opened before a backtick hides it.
    assert visible("<!-- `\nx\n-->") == ["", "", ""]
    # An unmatched backtick run is literal, so the comment after it counts.
    assert visible("` a <!-- b -->") == ["` a "]


def test_comment_start_in_a_fence_is_literal():
    lines = scan_lines("```\n<!--\n```\nx")
    assert lines.visible is lines.raw
    assert lines.kind[3] == TEXT


def test_strip_comments_alone():
    assert strip_comments("a <!-- b") == ("a ", True)
    assert strip_comments("b --> c", True) == (" c", False)
    assert strip_comments("no comment") == ("no comment", False)
    assert strip_comments("`<!--` x <!-- y -->") == ("`<!--` x ", False)
    assert strip_comments("`<!--` x", code_spans=False) == ("`", True)


# ------------------------------------------------------------------ properties

_fragments = st.sampled_from(
    [
        "```",
        "~~~",
        "````",
        "`",
        "``",
        "- ",
        "1. ",
        "> ",
        ">",
        "    ",
        "\t",
        "<!--",
        "-->",
        "<!-->",
        "<pre>",
        "</pre>",
        "<PRE ",
        "<details>",
        "/close",
        "# ",
        "\n",
        "\r\n",
        "\r",
        "x",
        " ",
    ]
)
_texts = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(_fragments, st.text(max_size=5)), max_size=60).map("".join),
)


def _line_count(text: str) -> int:
    return text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_texts, st.text(max_size=4))
def test_never_raises_and_classifies_every_line(text, index):
    lines = scan_lines(text, index)
    n = _line_count(text)
    assert isinstance(lines, Lines)
    assert len(lines) == len(lines.raw) == len(lines.visible) == len(lines.kind) == n
    assert "\n".join(lines.raw) == text.replace("\r\n", "\n").replace("\r", "\n")
    assert all(k < len(KIND_NAMES) for k in lines.kind)
    for raw, seen, kind in lines:
        assert len(seen) <= len(raw)
        if kind in (FENCE_OPEN, FENCE, FENCE_CLOSE, CODE):
            assert seen == raw  # code keeps everything, comments included
        if "<!--" not in text:
            assert seen == raw
    assert list(lines.indexed) == sorted(set(lines.indexed))
    for i in lines.indexed:
        assert lines.kind[i] in (TEXT, COMMENT)
        assert lines.visible[i].lstrip(" \t")[:1] in set(index)
    if "<!--" not in text:
        assert lines.visible is lines.raw
        assert COMMENT not in lines.kind


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_texts)
def test_fences_are_well_formed(text):
    kind = scan_lines(text).kind
    previous = TEXT
    for k in kind:
        if k in (FENCE, FENCE_CLOSE):
            assert previous in (FENCE_OPEN, FENCE)
        previous = k


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet=" >`~<!-x\t", max_size=12), min_size=1, max_size=20))
def test_quoting_every_line_makes_every_line_a_quote(lines):
    text = "\n".join("> " + line for line in lines)
    assert set(scan_lines(text).kind) <= {QUOTE, COMMENT}


N = 64 * 1024


@pytest.mark.parametrize(
    "text",
    [
        "<!--" * (N // 4),
        "<!--\n" * (N // 5),
        "-->\n<!--" * (N // 8),
        "`" * N,
        "`x" * (N // 2) + "<!--",
        "".join("`" * k + "x" for k in range(1, 360)) + "<!--",
        "<!---->`" * (N // 8),
        ">" * N,
        "> <!--\n" * (N // 7),
        "```\n~~~~\n" * (N // 9),
        "- ```\n x\n" * (N // 9),
        "1. <pre>\nx\n" * (N // 11),
        "<pre>\n" * (N // 6),
        "<pre><!--</pre>-->\n" * (N // 19),
        " " * N,
        "\t" * (N - 1) + "x",
        "\r\n" * (N // 2),
    ],
)
def test_hostile_64k_bodies_are_handled(text):
    # No timing here (the command parser's tests bound its own); this checks that
    # every shape is classified in full without an error.
    lines = scan_lines(text, "/#")
    assert len(lines) == _line_count(text)


# ------------------------------------------------------------------ raw HTML blocks


def test_pre_block_runs_to_its_end_tag():
    assert kinds("<pre>\n/close\n\n</pre>\n/help") == ["html", "html", "html", "html", "text"]


@pytest.mark.parametrize(
    "opener",
    ["<pre>", "<PRE>", "<pre class='x'>", "<pre", "<pre\tx", "   <pre>", "<Script>", "<style>"],
)
def test_type_1_openers(opener):
    assert kinds(opener + "\n/x") == ["html", "html"]
    assert kinds("<textarea>\n/x\n</TEXTAREA>\ny") == ["html", "html", "html", "text"]


@pytest.mark.parametrize("line", ["<prefix>", "<pre/>", "<p>", "x <pre>", "<!-- <pre> -->"])
def test_not_type_1_openers(line):
    assert kinds(line + "\n/x") == ["text", "text"]


def test_four_space_indented_pre_is_code():
    assert kinds("    <pre>\n/x") == ["code", "text"]


def test_pre_block_on_one_line():
    assert kinds("<pre>x</pre>\n/y") == ["html", "text"]


def test_only_the_matching_end_tag_ends_the_block():
    # CommonMark would end it at any of the four end tags; the browser keeps the <pre>
    # open until its own, and that is what GitHub shows.
    assert kinds("<pre>\n</script>\n/x\n</PRE>\ny") == ["html"] * 4 + ["text"]


def test_pre_block_interrupts_a_paragraph():
    assert kinds("text\n<pre>\nx\n</pre>") == ["text", "html", "html", "html"]


def test_pre_block_in_a_list_item():
    assert kinds("- <pre>\n  x\n  </pre>\ny") == ["html", "html", "html", "text"]
    assert kinds("1. <pre>\n\n   x\nout") == ["html", "html", "html", "text"]  # dedent ends it


def test_pre_inside_code_quote_or_comment_opens_nothing():
    assert kinds("```\n<pre>\n```\nx") == ["fence-open", "fence", "fence-close", "text"]
    assert kinds("<!--\n<pre>\n-->\nx") == ["text", "comment", "comment", "text"]
    assert kinds("> <pre>\nx") == ["quote", "text"]


def test_comments_inside_a_pre_block_are_html_comments():
    lines = scan_lines("<pre><!-- a -->b\n`<!--`\nc --></pre>\nd")
    assert [KIND_NAMES[k] for k in lines.kind] == ["html", "html", "html", "text"]
    assert lines.visible == ("<pre>b", "`", "</pre>", "d")  # no code spans in raw HTML


def test_end_tag_inside_a_comment_does_not_end_the_block():
    assert kinds("<pre>\n<!-- </pre> -->\nx\n</pre>\ny") == ["html"] * 4 + ["text"]
    assert kinds("<pre><!--\n</pre>\n-->x") == ["html", "html", "html"]
    # A comment opened after the end tag stays open after the block.
    assert kinds("<pre>\n</pre><!--\nx\n-->y") == ["html", "html", "comment", "comment"]


def test_details_and_summary_content_is_text():
    # GitHub renders what <details> holds as Markdown, with or without blank lines.
    text = "<details>\n<summary>Log</summary>\n\n/close\n\n</details>\n<div>\n/x\n</div>"
    assert set(kinds(text)) == {"text"}
