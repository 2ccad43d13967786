"""Tests for bot.forms: issue bodies as GitHub renders pypi/support's forms.

Every body here is written for the tests; none is a real person's issue.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.forms import (
    PLACEHOLDER_HINTS,
    PLACEHOLDER_TOKENS,
    Field,
    ParsedBody,
    normalize_heading,
    parse_body,
    placeholders_in,
)

NO_RESPONSE = "_No response_"


def render_form(*fields: tuple[str, str]) -> str:
    """Render (label, value) pairs the way GitHub issue forms do."""
    return "\n\n".join(f"### {label}\n\n{value}" for label, value in fields)


# ---------------------------------------------------------------------------
# normalize_heading / placeholders_in


def test_normalize_heading_examples():
    assert normalize_heading("### Your PyPI username") == "your pypi username"
    assert normalize_heading("**Your PyPI username:**") == "your pypi username"
    assert normalize_heading("__Project to be claimed__") == "project to be claimed"
    assert normalize_heading("Maintenance or replacement?") == "maintenance or replacement"
    assert normalize_heading("  PyPI   Username ★ ") == "pypi username"
    assert normalize_heading("`New`   *limit*:") == "new limit"
    assert normalize_heading("New Limit") == normalize_heading("New limit")
    assert normalize_heading("Size of release/project") == "size of release/project"
    assert normalize_heading("PyPI\u200b Username\u200f") == "pypi username"
    assert normalize_heading("") == ""
    assert normalize_heading("***") == ""


def test_placeholders_in_titles():
    assert placeholders_in("PEP 541 Request: PROJECT_NAME") == ("PROJECT_NAME",)
    assert placeholders_in("File Limit Request: PROJECT_NAME - 000 MiB") == (
        "PROJECT_NAME",
        "000 MiB",
    )
    assert placeholders_in("Project Limit Request: PROJECT_NAME - 00 GiB") == (
        "PROJECT_NAME",
        "00 GiB",
    )
    assert placeholders_in("Mass name squat by user: USERNAME") == ("USERNAME",)
    assert placeholders_in("PEP 541 Request: frobnicate") == ()
    assert placeholders_in(None) == ()
    assert placeholders_in("") == ()


def test_placeholders_are_whole_tokens_and_case_sensitive():
    assert placeholders_in("MY_PROJECT_NAME") == ()
    assert placeholders_in("PROJECT_NAMES") == ()
    assert placeholders_in("project_name") == ()
    assert placeholders_in("1000 MiB") == ()
    assert placeholders_in("a 100 GiB limit") == ()
    assert placeholders_in("limit: 0 MiB") == ("0 MiB",)
    assert placeholders_in("`USER_NAME`: x") == ("USER_NAME",)
    assert set(placeholders_in(" ".join(PLACEHOLDER_TOKENS))) == set(PLACEHOLDER_TOKENS)


def test_every_placeholder_holds_a_prefilter_substring():
    # placeholders_in skips its pattern when no hint is in the text.
    assert all(any(hint in t for hint in PLACEHOLDER_HINTS) for t in PLACEHOLDER_TOKENS)


# ---------------------------------------------------------------------------
# Current forms


ACCOUNT_RECOVERY = render_form(
    ("PyPI Username", "example-user"),
    ("Reason for request", "My phone with the authenticator app was stolen."),
    (
        "Recovery Codes",
        "- [X] I never generated or have lost access to the recovery codes for my account",
    ),
    ("Code of Conduct", "- [X] I agree to follow the PSF Code of Conduct"),
    ("Acknowledgement", "- [X] I understand that recovery may take time"),
)


def test_account_recovery_form():
    parsed = parse_body(ACCOUNT_RECOVERY)
    assert parsed.style == "form"
    assert parsed.preamble == ""
    assert parsed.headings == (
        "pypi username",
        "reason for request",
        "recovery codes",
        "code of conduct",
        "acknowledgement",
    )
    username = parsed.field("PyPI Username")
    assert username is not None
    assert username.heading == "PyPI Username"
    assert username.value == "example-user"
    assert not username.missing
    assert parsed.field("**PyPI username:**") is username
    codes = parsed.fields["recovery codes"]
    assert codes.checked == (
        "I never generated or have lost access to the recovery codes for my account",
    )
    assert codes.unchecked == ()
    assert parsed.fields["code of conduct"].checked == (
        "I agree to follow the PSF Code of Conduct",
    )


def test_account_recovery_lower_case_x_and_unticked_box():
    body = render_form(
        ("PyPI Username", "example-user"),
        ("Reason for request", "Lost my phone"),
        ("Recovery Codes", "- [ ] I never generated or have lost access to the recovery codes"),
        ("Code of Conduct", "- [x] I agree to follow the PSF Code of Conduct"),
    )
    parsed = parse_body(body)
    codes = parsed.fields["recovery codes"]
    assert codes.checked == ()
    assert codes.unchecked == ("I never generated or have lost access to the recovery codes",)
    assert codes.value is not None  # checkbox state is reported, not folded into value
    assert parsed.fields["code of conduct"].checked == (
        "I agree to follow the PSF Code of Conduct",
    )


PEP541_FILLED = render_form(
    ("Project to be claimed", "`frobnicate`: https://pypi.org/project/frobnicate"),
    ("Your PyPI username", "`example-user`: https://pypi.org/user/example-user"),
    ("Reasons for the request", "The project has had no release since 2016."),
    ("Maintenance or replacement?", "Maintenance"),
    ("Source code repositories URLs", "https://github.com/example/frobnicate"),
    ("Contact and additional research", "I emailed the owner on 1 March and 15 March."),
    ("Code of Conduct", "- [X] I agree to follow the PSF Code of Conduct"),
)


def test_pep541_filled():
    parsed = parse_body(PEP541_FILLED)
    assert parsed.style == "form"
    project = parsed.field("Project to be claimed")
    assert project is not None
    assert project.value == "`frobnicate`: https://pypi.org/project/frobnicate"
    assert project.placeholders == ()
    user = parsed.field("Your PyPI username")
    assert user is not None and user.value is not None
    assert parsed.fields["maintenance or replacement"].value == "Maintenance"
    assert parsed.field("Source code repositories URLs:").value.startswith("https://")
    assert all(not f.missing for f in parsed.fields.values())


def test_pep541_left_with_placeholders():
    body = render_form(
        ("Project to be claimed", "`PROJECT_NAME`: https://pypi.org/project/PROJECT_NAME"),
        ("Your PyPI username", "`USER_NAME`: https://pypi.org/user/USER_NAME"),
        ("Reasons for the request", "please"),
        ("Maintenance or replacement?", NO_RESPONSE),
        ("Source code repositories URLs", NO_RESPONSE),
        ("Contact and additional research", "none"),
        ("Code of Conduct", "- [X] I agree to follow the PSF Code of Conduct"),
    )
    parsed = parse_body(body)
    project = parsed.field("project to be claimed")
    assert project is not None
    assert project.missing
    assert project.value is None
    assert project.placeholders == ("PROJECT_NAME",)
    assert project.text == "`PROJECT_NAME`: https://pypi.org/project/PROJECT_NAME"
    user = parsed.field("Your PyPI username")
    assert user.missing and user.placeholders == ("USER_NAME",)
    assert parsed.fields["maintenance or replacement"].missing
    assert parsed.fields["source code repositories urls"].missing
    assert not parsed.fields["reasons for the request"].missing


def test_pep541_partially_replaced_keeps_value():
    body = render_form(
        ("Project to be claimed", "`frobnicate`: https://pypi.org/project/PROJECT_NAME"),
        ("Your PyPI username", "`USER_NAME`: https://pypi.org/user/example-user"),
    )
    parsed = parse_body(body)
    project = parsed.field("Project to be claimed")
    assert project.value == "`frobnicate`: https://pypi.org/project/PROJECT_NAME"
    assert project.placeholders == ("PROJECT_NAME",)
    user = parsed.field("Your PyPI username")
    assert user.value is not None
    assert user.placeholders == ("USER_NAME",)


def test_pep541_placeholder_variants_are_missing():
    for value in (
        "PROJECT_NAME",
        "`PROJECT_NAME`:",
        "[PROJECT_NAME](https://pypi.org/project/PROJECT_NAME/)",
        "https://pypi.org/project/<PROJECT_NAME>",
        "  `USER_NAME` : https://www.pypi.org/user/USER_NAME  ",
    ):
        field = parse_body(render_form(("Project to be claimed", value))).fields[
            "project to be claimed"
        ]
        assert field.missing, value
        assert field.placeholders, value


FILE_LIMIT = render_form(
    ("Project URL", "https://pypi.org/project/bigwheel"),
    ("Does this project already exist?", "- [X] Yes"),
    ("New Limit", "250 MiB"),
    ("Update issue title", "- [X] I have updated the title."),
    ("Which indexes", "PyPI, TestPyPI"),
    ("About the project", "Bindings for a large C++ library, active since 2019."),
    ("Reasons for the request", "The wheels bundle CUDA kernels."),
    ("Code of Conduct", "- [X] I agree to follow the PSF Code of Conduct"),
)


def test_file_limit_form():
    parsed = parse_body(FILE_LIMIT)
    assert parsed.style == "form"
    assert parsed.field("New Limit").value == "250 MiB"
    assert parsed.field("new limit").placeholders == ()
    assert parsed.field("Does this project already exist?").checked == ("Yes",)
    assert parsed.field("Which indexes").value == "PyPI, TestPyPI"
    assert parsed.field("Update issue title").checked == ("I have updated the title.",)


def test_file_limit_left_at_default_is_missing():
    for default in ("000 MiB", "0 MiB", "`0 MiB`"):
        body = FILE_LIMIT.replace("250 MiB", default)
        field = parse_body(body).field("New Limit")
        assert field.missing, default
        assert field.placeholders


def test_project_limit_form_lower_case_new_limit():
    body = render_form(
        ("Project URL", "https://pypi.org/project/bigwheel"),
        ("Does this project already exist?", "- [X] Yes"),
        ("New limit", "20 GiB"),
        ("Update issue title", "- [X] I have updated the title."),
        ("Which indexes", "PyPI"),
        ("About the project", "Nightly builds of a compiler."),
        ("How large is each release?", "About 400 MiB"),
        ("How frequently do you make a release?", "Monthly"),
        ("Code of Conduct", "- [X] I agree to follow the PSF Code of Conduct"),
    )
    parsed = parse_body(body)
    limit = parsed.field("New Limit")
    assert limit is not None
    assert limit.heading == "New limit"
    assert limit.value == "20 GiB"
    assert parsed.field("How large is each release").value == "About 400 MiB"
    assert parsed.field("how frequently do you make a release?").value == "Monthly"
    left = parse_body(body.replace("20 GiB", "00 GiB")).field("New limit")
    assert left.missing and left.placeholders == ("00 GiB",)


def test_mass_name_squat_form():
    body = render_form(
        ("PyPI user performing the mass project name squatting", "squatter-9000"),
        ("Additional information", NO_RESPONSE),
        ("Code of Conduct", "- [X] I agree to follow the PSF Code of Conduct"),
    )
    parsed = parse_body(body)
    user = parsed.field("PyPI user performing the mass project name squatting")
    assert user.value == "squatter-9000"
    extra = parsed.field("Additional information")
    assert extra.missing
    assert extra.text == NO_RESPONSE
    left = parse_body(body.replace("squatter-9000", "USERNAME"))
    assert left.field("PyPI user performing the mass project name squatting").missing


def console(command: str, output: str = "") -> str:
    info = "console (paste your output after the line with the command)"
    return f"```{info}\n$ {command}\n{output}\n```"


def test_network_form_prefilled_console_blocks():
    body = render_form(
        ("My Platform", "Ubuntu 24.04, pip 24.0, corporate proxy"),
        ("Fastly Debug", "``` (paste your output on the next line)\n\n```"),
        (
            "DNS Resolution",
            console("dig pypi.org A") + "\n\n" + console("dig pypi.org AAAA"),
        ),
        ("Traceroutes / IPv4", console("traceroute pypi.org")),
        ("Code of Conduct", "- [X] I agree to follow the PSF Code of Conduct"),
    )
    parsed = parse_body(body)
    assert parsed.headings == (
        "my platform",
        "fastly debug",
        "dns resolution",
        "traceroutes / ipv4",
        "code of conduct",
    )
    assert parsed.field("My Platform").value.startswith("Ubuntu")
    assert parsed.field("Fastly Debug").missing
    assert parsed.field("DNS Resolution").missing
    assert parsed.field("Traceroutes / IPv4").missing
    assert "$ dig pypi.org A" in parsed.field("DNS Resolution").text


def test_network_form_output_never_produces_fields():
    dig_output = "\n".join(
        [
            "; <<>> DiG 9.18 <<>> pypi.org A",
            "### fake heading inside output",
            "# root-prompt-like line",
            "**Not a heading**",
            "- [x] not a checkbox",
            "pypi.org.  300  IN  A  151.101.0.223",
        ]
    )
    curl_output = "*   Trying 151.101.0.223:443...\n> GET /simple/ HTTP/1.1\n< HTTP/1.1 200 OK"
    body = render_form(
        ("My Platform", "macOS"),
        ("DNS Resolution", console("dig pypi.org A", dig_output)),
        ("HTTPS Requests / IPv4", console("curl -vvv -I --ipv4 https://pypi.org/", curl_output)),
        ("Code of Conduct", "- [X] I agree to follow the PSF Code of Conduct"),
    )
    parsed = parse_body(body)
    assert parsed.headings == (
        "my platform",
        "dns resolution",
        "https requests / ipv4",
        "code of conduct",
    )
    dns = parsed.field("DNS Resolution")
    assert not dns.missing
    assert "151.101.0.223" in dns.value
    assert dns.checked == ()
    assert not parsed.field("HTTPS Requests / IPv4").missing


# ---------------------------------------------------------------------------
# Older formats


OLD_PEP541_BOLD = """\
<!--
Read the PEP and mention abandoned projects only if they are.
-->

**Project to be claimed**
<!--
Provide the name of the package and a link to its PyPI page
-->
`frobnicate`: https://pypi.org/project/frobnicate


**Your PyPI username**
<!--
Confirm your PyPI username
-->
`USER_NAME`: https://pypi.org/user/USER_NAME

**Reasons for the request**
<!--
Why do you think the project is abandoned?
-->

**Contact and additional research:**
I opened an issue on the project's tracker a year ago.
"""


def test_old_bold_pseudo_headings():
    parsed = parse_body(OLD_PEP541_BOLD)
    assert parsed.style == "bold"
    assert parsed.headings == (
        "project to be claimed",
        "your pypi username",
        "reasons for the request",
        "contact and additional research",
    )
    project = parsed.field("Project to be claimed")
    assert project.value == "`frobnicate`: https://pypi.org/project/frobnicate"
    assert "<!--" in project.text  # raw text keeps the comment, the value does not
    assert parsed.field("Your PyPI username").missing
    assert parsed.field("Reasons for the request").missing  # only a comment left
    contact = parsed.field("Contact and additional research")
    assert contact.heading == "Contact and additional research:"
    assert contact.value == "I opened an issue on the project's tracker a year ago."
    assert "<!--" in parsed.preamble
    assert "abandoned" not in parsed.text()  # comments are not part of the text
    assert "Project to be claimed" in parsed.text()
    assert "**" not in parsed.text()


def test_old_bold_underscore_and_colon_outside():
    body = "__PyPI Username__:\nalice\n\n__Reason__\nlost phone"
    parsed = parse_body(body)
    assert parsed.style == "bold"
    assert parsed.field("PyPI Username").value == "alice"
    assert parsed.field("reason").value == "lost phone"


def test_old_markdown_h2_headings():
    body = "## PyPI Username\n\nalice\n\n## Reason\n\nI lost my 2FA device."
    parsed = parse_body(body)
    assert parsed.style == "markdown"
    assert parsed.field("PyPI Username").value == "alice"
    assert parsed.field("Reason").value == "I lost my 2FA device."


def test_2021_combined_limit_form():
    body = render_form(
        ("Project", "https://pypi.org/project/bigwheel"),
        ("Size of release/project", "each wheel is 180 MB"),
        ("Which limit do you want increased?", "File size limit"),
        ("New limit", "200 MB"),
        ("Reasons for the request", "Bundled model weights."),
    )
    parsed = parse_body(body)
    assert parsed.style == "form"
    assert parsed.field("Project").value == "https://pypi.org/project/bigwheel"
    assert parsed.field("Size of release/project").value == "each wheel is 180 MB"
    assert parsed.field("which limit do you want increased").value == "File size limit"
    assert parsed.field("New Limit", "New limit").value == "200 MB"


# ---------------------------------------------------------------------------
# Free text


def test_free_text_with_its_own_headings():
    body = (
        "Hi PyPI team,\n\n"
        "# My problem\n\n"
        "I cannot log in.\n\n"
        "## What I tried\n\n"
        "Resetting my password.\n\n"
        "### Details\n\n"
        "It says my account is locked.\n"
    )
    parsed = parse_body(body)
    assert parsed.style == "markdown"
    assert parsed.preamble == "Hi PyPI team,"
    assert parsed.headings == ("my problem", "what i tried", "details")
    assert parsed.field("What I tried").value == "Resetting my password."
    assert parsed.field("PyPI Username") is None
    assert "I cannot log in." in parsed.text()
    assert "#" not in parsed.text()


def test_free_text_without_headings():
    body = "Please delete my account example-user, I do not use it anymore.\nThanks!"
    parsed = parse_body(body)
    assert parsed.style == "free"
    assert parsed.fields == {}
    assert parsed.headings == ()
    assert parsed.preamble == body
    assert parsed.text() == body
    assert parsed.field("anything") is None


def test_setext_headings_in_free_text():
    body = "Username\n========\n\nalice\n\nProblem\n-------\n\nlost phone"
    parsed = parse_body(body)
    assert parsed.style == "markdown"
    assert parsed.field("Username").value == "alice"
    assert parsed.field("Problem").value == "lost phone"


def test_empty_and_none_bodies():
    for body in (None, "", "   \n\n  "):
        parsed = parse_body(body)
        assert isinstance(parsed, ParsedBody)
        assert parsed.style == "free"
        assert parsed.fields == {}
        assert parsed.headings == ()
        assert parsed.field("PyPI Username") is None
        assert parsed.text().strip() == ""


# ---------------------------------------------------------------------------
# Exports and line endings


def test_crlf_body_parses_like_lf():
    crlf = ACCOUNT_RECOVERY.replace("\n", "\r\n")
    lf_parsed = parse_body(ACCOUNT_RECOVERY)
    crlf_parsed = parse_body(crlf)
    assert crlf_parsed.headings == lf_parsed.headings
    assert crlf_parsed.fields == lf_parsed.fields
    assert "\r" not in crlf_parsed.text()
    assert parse_body(ACCOUNT_RECOVERY.replace("\n", "\r")).fields == lf_parsed.fields


def test_export_without_no_response_lines():
    body = (
        "### PyPI Username\n\nalice\n\n"
        "### Source code repositories URLs\n\n"
        "### Maintenance or replacement?\n"
        "### Contact and additional research\n\nemailed twice\n"
    )
    parsed = parse_body(body)
    assert parsed.field("Source code repositories URLs").missing
    assert parsed.field("Source code repositories URLs").text == ""
    assert parsed.field("Maintenance or replacement?").missing
    assert parsed.field("Contact and additional research").value == "emailed twice"


def test_no_response_variants():
    for value in ("_No response_", "No response", "*No response*", "  _no response_  "):
        field = parse_body(render_form(("Additional information", value))).field(
            "Additional information"
        )
        assert field.missing, value


# ---------------------------------------------------------------------------
# What is and is not a heading


def test_headings_inside_fences_and_comments_are_not_headings():
    body = (
        "### Reason for request\n\n"
        "~~~~\n### inside tildes\n```\n### still inside (shorter backtick fence)\n~~~~\n\n"
        "````python\n# comment\n```\n### still inside (fence needs four)\n````\n\n"
        "<!-- ### hidden in a comment -->\n"
        "<!--\n### hidden in a multi-line comment\n-->\n"
        "### Code of Conduct\n\n- [X] I agree\n\n"
        "```\n### inside an unterminated fence\n- [x] not a box\n"
    )
    parsed = parse_body(body)
    assert parsed.headings == ("reason for request", "code of conduct")
    assert parsed.field("Code of Conduct").checked == ("I agree",)
    assert "hidden" not in parsed.field("Reason for request").value
    assert "### inside tildes" in parsed.field("Reason for request").value


@pytest.mark.parametrize(
    "middle",
    [
        "Type `<!--` to hide text.",  # a comment start in a code span is literal
        "    ```",  # indented 4: code, not a fence
        "    <!--",  # a comment start in indented code is literal
        "- ```\n  ### in a list item's fence\n  ```",
        "```<!--\n### in a fence whose info string starts a comment\n```",
        "<!-- c -->```",  # after a comment, a fence marker is text
        "<!-->",  # a whole (empty) comment
    ],
)
def test_commonmark_edge_cases_do_not_swallow_later_fields(middle):
    # The parser read each of these differently from GitHub before the shared scanner
    # (bot.core.markdown) and lost the fields after it, or found a heading in code.
    parsed = parse_body(f"### A\n\n{middle}\n\n### B\n\nb")
    assert parsed.headings == ("a", "b")
    assert parsed.field("B").value == "b"


def test_indented_code_holds_no_bold_heading():
    assert parse_body("Intro\n\n    **Bold**\n\ntext").style == "free"


def test_preformatted_html_holds_no_headings_or_checkboxes():
    body = (
        "### A\n\n<pre>\n### not a heading\n- [x] not a box\n**Nor bold**\n</pre>\n\n"
        "### B\n\n<details>\n<summary>More</summary>\n\n- [x] a box\n\n</details>\n"
    )
    parsed = parse_body(body)
    assert parsed.headings == ("a", "b")
    assert parsed.field("A").checked == ()
    assert "### not a heading" in parsed.field("A").value
    assert parsed.field("B").checked == ("a box",)  # <details> content is Markdown


def test_inline_code_span_line_does_not_open_a_fence():
    body = "### A\n\n```x = 1```\n\n### B\n\nb"
    parsed = parse_body(body)
    assert parsed.headings == ("a", "b")
    assert parsed.field("B").value == "b"


def test_heading_rules():
    body = (
        "#hashtag is not a heading\n"
        "    ### indented code is not a heading\n"
        "####### seven is not a heading\n"
        "### Closed heading ###\n\nvalue\n"
        "###\n\n"
        "### `Quoted` **Label** :\n\nother\n"
    )
    parsed = parse_body(body)
    assert parsed.headings == ("closed heading", "quoted label")
    assert parsed.field("Closed heading").heading == "Closed heading"
    assert "###" in parsed.field("Closed heading").value  # the empty "###" line is content
    assert parsed.field("Quoted Label").value == "other"
    assert parsed.preamble.startswith("#hashtag")


def test_form_body_keeps_users_own_headings_and_bold_lines_in_values():
    body = render_form(
        ("Reasons for the request", "## Background\n\n**Important:**\n\nthe owner is gone"),
        ("Contact and additional research", "#### Emails\n\nsent three"),
    )
    parsed = parse_body(body)
    assert parsed.style == "form"
    assert parsed.headings == ("reasons for the request", "contact and additional research")
    assert "the owner is gone" in parsed.field("Reasons for the request").value
    assert "## Background" in parsed.field("Reasons for the request").value
    assert "sent three" in parsed.field("Contact and additional research").value


def test_duplicate_headings_first_wins():
    body = render_form(("PyPI Username", "first"), ("Reason", "r"), ("pypi username:", "second"))
    parsed = parse_body(body)
    assert parsed.headings == ("pypi username", "reason", "pypi username")
    assert parsed.field("PyPI Username").value == "first"
    assert parsed.field("Reason").value == "r"  # the duplicate still ends the section


def test_field_lookup_takes_first_present_name():
    parsed = parse_body(FILE_LIMIT)
    assert parsed.field("Size of release/project", "New Limit").value == "250 MiB"
    assert parsed.field("nope", "also nope") is None
    assert parsed.field() is None


def test_checkbox_variants():
    body = (
        "### Options\n\n"
        "- [x] lower\n- [X] upper\n* [ ] star unticked\n+ [x] plus\n"
        "  - [ ] nested\n- [] malformed\n- [x]\n-[x] no space\n"
        "```\n- [x] in code\n```\n"
    )
    field = parse_body(body).field("Options")
    assert field.checked == ("lower", "upper", "plus")
    assert field.unchecked == ("star unticked", "nested")


def test_field_is_frozen_and_missing_property():
    field = Field(heading="X", text="", value=None)
    assert field.missing
    assert field.placeholders == field.checked == field.unchecked == ()
    assert not Field(heading="X", text="y", value="y").missing


# ---------------------------------------------------------------------------
# Robustness


def test_odd_unicode():
    body = (
        "### PyPI\u200b Username\u200f\n\n\u202ealice\u202c \U0001f600\n\n"
        "### Re\u0301ason \u0000\n\nz\u0336a\u0335l\u0338g\u0337o\n\n"
        "### \U0001f680 Launch\n\n\ufeffok\u2028more\n"
    )
    parsed = parse_body(body)
    assert parsed.field("PyPI Username") is not None
    assert "alice" in parsed.field("PyPI Username").value
    assert parsed.field("\U0001f680 launch").value.startswith("\ufeffok")
    assert len(parsed.headings) == 3


def test_65536_char_body():
    reason = ("My account was compromised and I need help. " * 1500)[:60_000]
    body = render_form(
        ("PyPI Username", "alice"),
        ("Reason for request", reason),
        ("Code of Conduct", "- [X] I agree to follow the PSF Code of Conduct"),
    )
    body += "\n" + "x" * (65_536 - len(body) - 1)
    assert len(body) == 65_536
    parsed = parse_body(body)
    assert parsed.field("PyPI Username").value == "alice"
    assert parsed.field("Reason for request").value.startswith("My account")
    assert len(parsed.text()) > 65_000


def test_one_megabyte_body_is_fast():
    chunk = (
        "### Heading {i}\n\nsome text `PROJECT_NAME` <!-- c -->\n\n"
        "```console\n$ dig pypi.org\n# output {i}\n```\n\n- [x] box {i}\n**bold**\n\n"
    )
    body = "".join(chunk.format(i=i) for i in range(9_000))[:1_000_000]
    start = time.perf_counter()
    parsed = parse_body(body)
    parse_body("\n" * 1_000_000)
    elapsed = time.perf_counter() - start
    assert len(body) == 1_000_000
    assert len(parsed.fields) == 1000  # MAX_FIELDS
    assert len(parsed.headings) > 8_000
    assert parsed.field("Heading 0").checked == ("box 0",)
    assert elapsed < 1.0


_HEADINGISH = st.sampled_from(
    [
        "### ",
        "## ",
        "# ",
        "**",
        "__",
        ":**",
        "```",
        "~~~",
        "<!--",
        "-->",
        "- [x] ",
        "- [ ] ",
        "_No response_",
        "PROJECT_NAME",
        "000 MiB",
        "https://pypi.org/project/",
        "\n",
        "\r\n",
        "\r",
        "\n\n",
        "---",
        "===",
        "\u200b",
        "\u202e",
        "\x00",
        "\u0301",
        "★",
        " ",
        "\t",
    ]
)


def _check_invariants(parsed: ParsedBody) -> None:
    assert parsed.style in {"form", "markdown", "bold", "free"}
    assert set(parsed.fields) <= set(parsed.headings)
    for key, field in parsed.fields.items():
        assert key == normalize_heading(field.heading)
        assert field.value is None or isinstance(field.value, str)
        assert field.missing == (field.value is None)
    assert isinstance(parsed.text(), str)
    assert isinstance(parsed.preamble, str)


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_parse_body_never_raises_on_arbitrary_text(body):
    _check_invariants(parse_body(body))
    normalize_heading(body)
    placeholders_in(body)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_HEADINGISH, st.text(max_size=12)), max_size=40))
def test_parse_body_never_raises_on_text_with_headings(parts):
    body = "".join(parts)
    parsed = parse_body(body)
    _check_invariants(parsed)
    assert parse_body(body.replace("\r\n", "\n")).headings == parsed.headings
