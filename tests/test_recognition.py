"""Recognition and form checks on pypi/support's forms, every one and every era, rendered the
way GitHub renders them (inputs and textareas as their value, dropdowns as the chosen options in
plain text, checkboxes as `- [X] option`, an empty optional field as `_No response_`), and on
the kinds of issue that are not requests at all. Every text here was written for these tests.

A fully filled form must be recognised with nothing missing (so no verification request). A
form sent unedited must have exactly its placeholder fields missing: the fields the form
pre-fills (`PROJECT_NAME`, `USER_NAME`, `https://pypi.org/user/USERNAME`, console blocks with
only a command) or whose placeholder hint reads as a template default (`<PROJECT_NAME>`,
`0 MiB`), plus the title when it still holds a default. GitHub makes the others required, so
they hold text; an optional field left empty is `_No response_`. The markdown templates of
2020 enforced nothing: sent unedited, every field they ask for is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.core.forms import parse_body
from bot.core.model import Issue, Snapshot
from bot.core.recognition import recognise
from bot.core.rules import load_rules
from bot.core.trigger import ISSUES, Trigger
from bot.features.triage.decide import decide, missing_items, shown_form

OPENED = Trigger(ISSUES, "opened")

RULES = load_rules("rules.yaml").for_repo("pypi/support")
NOW = datetime(2026, 10, 1, tzinfo=UTC)
AWAITING = "status: awaiting response"
COC = "- [X] I agree to follow the PSF Code of Conduct"
NO_RESPONSE = "_No response_"


def issue(title: str, body: str, number: int = 101) -> Issue:
    return Issue(
        repo="pypi/support",
        number=number,
        title=title,
        body=body,
        author="requester-1",
        labels=(),
    )


def describe(category: str, *headings: str) -> tuple[str, ...]:
    """The `describe` texts of the named required fields of a category's forms."""
    cat = RULES.category(category)
    found = {}
    for form in cat.forms:
        for req in form.required:
            found.setdefault(req.headings[0], req.describe)
    return tuple(found[h] for h in headings)


@dataclass(frozen=True)
class F:
    """One field of an issue form."""

    heading: str
    filled: str  # what a requester types (or picks, or ticks)
    default: str | None = None  # what the form pre-fills, or its placeholder default
    required: bool = True

    def unedited(self) -> str:
        if self.default is not None:
            return self.default
        return self.filled if self.required else NO_RESPONSE


@dataclass(frozen=True)
class IssueForm:
    name: str
    category: str
    title_filed: str
    title_filled: str
    fields: tuple[F, ...]
    missing_unedited: tuple[str, ...]  # the required headings whose default is a placeholder
    title_missing: str | None = None  # the title item when the title holds a default
    prefix: str = ""

    def body(self, filled: bool) -> str:
        parts = [self.prefix] if self.prefix else []
        for f in self.fields:
            value = f.filled if filled else f.unedited()
            parts.append(f"### {f.heading}\n\n{value}")
        return "\n\n".join(parts) + "\n"


def console(*commands: str, output: str | None = None) -> str:
    blocks = []
    for command in commands:
        lines = [f"$ {command}"] + ([output] if output else [""])
        blocks.append(
            "```console (paste your output after the line with the command)\n"
            + "\n".join(lines)
            + "\n```"
        )
    return "\n\n".join(blocks)


RECOVERY_CODES = "- [X] I never generated or have lost access to the recovery codes for my account"
ACK = (
    "- [X] I understand that it may take a significant amount of time to process my account "
    "recovery request."
)

FORMS = [
    IssueForm(
        "account recovery (2024-)",
        "account-recovery",
        "Account recovery request",
        "Account recovery request",
        (
            F("PyPI Username", "`quill-maker`"),
            F(
                "Reason for request",
                "Lost 2FA authentication app or security token\n\nThe tablet that held my "
                "authenticator app was stolen on a train.",
            ),
            F("Recovery Codes", RECOVERY_CODES),
            F("Code of Conduct", COC),
            F("Acknowledgement", ACK),
        ),
        (),
    ),
    IssueForm(
        "account recovery (2021-2024)",
        "account-recovery",
        "Account recovery request",
        "Account recovery request",
        (
            F("PyPI Username", "quill-maker"),
            F("Reason for request", "Lost access to email address (my university closed it)."),
            F("Code of Conduct", COC),
            F("Acknowledgement", ACK),
        ),
        (),
    ),
    IssueForm(
        "PEP 541 (2021-)",
        "pep-541",
        "PEP 541 Request: PROJECT_NAME",
        "PEP 541 Request: lantern-grid",
        (
            F(
                "Project to be claimed",
                "`lantern-grid`: https://pypi.org/project/lantern-grid",
                "`PROJECT_NAME`: https://pypi.org/project/PROJECT_NAME",
            ),
            F(
                "Your PyPI username",
                "`orla-h`: https://pypi.org/user/orla-h",
                "`USER_NAME`: https://pypi.org/user/USER_NAME",
            ),
            F(
                "Reasons for the request",
                "The only release is from 2014 and the homepage is gone. I maintain a "
                "library of the same name.",
            ),
            F("Maintenance or replacement?", "Replacement", required=False),
            F("Source code repositories URLs", "https://example.org/orla-h/lantern-grid"),
            F(
                "Contact and additional research",
                "I wrote to the address on the project page twice in March; no answer.",
            ),
            F("Code of Conduct", COC),
        ),
        ("Project to be claimed", "Your PyPI username"),
        "a title that names your project (it still says `PROJECT_NAME`)",
    ),
    IssueForm(
        "file limit (2021-)",
        "limit-request",
        "File Limit Request: PROJECT_NAME - 000 MiB",
        "File Limit Request: tensor-kiln - 250 MiB",
        (
            F(
                "Project URL",
                "https://pypi.org/project/tensor-kiln/",
                "https://pypi.org/project/<PROJECT_NAME>",
            ),
            F("Does this project already exist?", "- [X] Yes"),
            F("New Limit", "250 MiB", "0 MiB"),
            F("Update issue title", "- [X] I have updated the title."),
            F("Which indexes", "PyPI"),
            F("About the project", "GPU kernels for image filters, released since 2022."),
            F("Reasons for the request", "The CUDA wheels bundle the runtime and reach 210 MiB."),
            F("Code of Conduct", COC),
        ),
        ("Project URL", "New Limit"),
        "a title that names your project (it still says `PROJECT_NAME` and `000 MiB`)",
    ),
    IssueForm(
        "project limit (2021-)",
        "limit-request",
        "Project Limit Request: PROJECT_NAME - 00 GiB",
        "Project Limit Request: tensor-kiln - 40 GiB",
        (
            F(
                "Project URL",
                "https://pypi.org/project/tensor-kiln/",
                "https://pypi.org/project/<PROJECT_NAME>",
            ),
            F("Does this project already exist?", "- [X] Yes"),
            F("New limit", "40 GiB"),
            F("Update issue title", "- [X] I have updated the title."),
            F("Which indexes", "PyPI, TestPyPI"),
            F("About the project", "GPU kernels for image filters, released since 2022."),
            F("How large is each release?", "About 1.2 GiB: 24 wheels of 50 MiB."),
            F("How frequently do you make a release?", "Every six weeks."),
            F("Code of Conduct", COC),
        ),
        ("Project URL",),
        "a title that names your project (it still says `PROJECT_NAME` and `00 GiB`)",
    ),
    IssueForm(
        "mass name squat (2021-)",
        "mass-name-squat",
        "Mass name squat by user: USERNAME",
        "Mass name squat by user: grabber-77",
        (
            F(
                "PyPI user performing the mass project name squatting",
                "https://pypi.org/user/grabber-77",
                "https://pypi.org/user/USERNAME",
            ),
            F(
                "Additional information",
                "Three hundred empty projects named after common words.",
                required=False,
            ),
            F("Code of Conduct", COC),
        ),
        ("PyPI user performing the mass project name squatting",),
        "a title that names the PyPI user (it still says `USERNAME`)",
    ),
    IssueForm(
        "network access (2021-)",
        "network",
        "pip cannot download from files.pythonhosted.org",
        "pip cannot download from files.pythonhosted.org",
        (
            F("My Platform", "Ubuntu 24.04, pip 25.1, home fibre, no proxy."),
            F(
                "Fastly Debug",
                "``` (paste your output on the next line)\neyJnZW9pcCI6IHt9fQ==\n```",
                "``` (paste your output on the next line)\n\n```",
                required=False,
            ),
            F(
                "DNS Resolution",
                console("dig pypi.org A", "dig pypi.org AAAA", output=";; ANSWER SECTION: ok"),
                console("dig pypi.org A", "dig pypi.org AAAA"),
            ),
            F(
                "Traceroutes / IPv4",
                console("traceroute pypi.org", output=" 1  192.0.2.1  0.4 ms"),
                console("traceroute pypi.org"),
            ),
            F(
                "Traceroutes / IPv6 (If available)",
                console("traceroute6 pypi.org", output="no IPv6 here"),
                console("traceroute6 pypi.org"),
                required=False,
            ),
            F(
                "HTTPS Requests / IPv4",
                console("curl -vvv -I --ipv4 https://pypi.org/pypi/pip/json", output="HTTP/2 200"),
                console("curl -vvv -I --ipv4 https://pypi.org/pypi/pip/json"),
            ),
            F(
                "HTTPS Requests / IPv6 (If available)",
                console("curl -vvv -I --ipv6 https://pypi.org/pypi/pip/json", output="refused"),
                console("curl -vvv -I --ipv6 https://pypi.org/pypi/pip/json"),
                required=False,
            ),
            F(
                "TLS Debug / IPv4",
                console(
                    "echo -n | openssl s_client -4 -connect pypi.org:443",
                    output="Verify return code: 0 (ok)",
                ),
                console("echo -n | openssl s_client -4 -connect pypi.org:443"),
            ),
            F(
                "TLS Debug / IPv6 (If available)",
                console("echo -n | openssl s_client -6 -connect pypi.org:443", output="none"),
                console("echo -n | openssl s_client -6 -connect pypi.org:443"),
                required=False,
            ),
            F("Code of Conduct", COC),
        ),
        ("DNS Resolution", "Traceroutes / IPv4", "HTTPS Requests / IPv4", "TLS Debug / IPv4"),
    ),
    # Historical: the Organizations support form (May 2023 - April 2025).
    IssueForm(
        "organizations support (2023-2025)",
        "organization",
        "Organizations support",
        "Organizations support",
        (
            F("PyPI Username", "`harbor-team-admin`"),
            F("PyPI Organization name", "`harbor-labs`", required=False),
            F(
                "Description of issue",
                "We applied for a community organization three weeks ago and it still "
                "shows as pending. Is anything missing on our side?",
            ),
            F("Code of Conduct", COC),
        ),
        (),
    ),
    # Historical: the combined limit form (June to December 2021).
    IssueForm(
        "combined limit form (2021)",
        "limit-request",
        "Limit Request: PROJECT_NAME - 000 MB",
        "Limit Request: tensor-kiln - 300 MB",
        (
            F("Project URL", "https://pypi.org/project/tensor-kiln/"),
            F("Does this project already exist?", "- [X] Yes"),
            F("Which limit do you want increased?", "per release file"),
            F("New limit", "300 MB"),
            F("Which indexes", "PyPI"),
            F("Reasons for the request", "Our wheels bundle a compiled solver of 280 MB."),
            F("Code of Conduct", COC),
        ),
        (),
        "a title that names your project (it still says `PROJECT_NAME` and `000 MB`)",
    ),
    # Historical: the first limit issue form (February to June 2021).
    IssueForm(
        "first limit form (2021)",
        "limit-request",
        "Limit Request: PROJECT_NAME - 000 MB",
        "Limit Request: tensor-kiln - 300 MB",
        (
            F("Project", "tensor-kiln: https://pypi.org/project/tensor-kiln/"),
            F("Does this project already exist?", "- [X] Yes"),
            F("Size of release/project", "300 MB per wheel"),
            F("Which indexes", "PyPI"),
            F("Reasons for the request", "Our wheels bundle a compiled solver of 280 MB."),
            F("Code of Conduct", COC),
        ),
        (),
        "a title that names your project (it still says `PROJECT_NAME` and `000 MB`)",
    ),
]


def _missing_describes(form: IssueForm) -> tuple[str, ...]:
    items = describe_for_headings(form.category, form.missing_unedited)
    return items + ((form.title_missing,) if form.title_missing else ())


def describe_for_headings(category: str, headings: tuple[str, ...]) -> tuple[str, ...]:
    cat = RULES.category(category)
    out = []
    for heading in headings:
        for form in cat.forms:
            req = next((r for r in form.required if heading in r.headings), None)
            if req is not None:
                out.append(req.describe)
                break
        else:
            raise AssertionError(f"{heading!r} is not a required field of {category}")
    return tuple(out)


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_a_fully_filled_form_is_recognised_and_complete(form: IssueForm) -> None:
    filed = issue(form.title_filled, form.body(filled=True))
    verdict = recognise(filed, RULES)
    assert verdict.category is not None and verdict.category.name == form.category
    assert missing_items(verdict.category, filed, parse_body(filed.body)) == ()
    plan = decide(Snapshot(filed), RULES, trigger=OPENED)
    added = [label for a in plan.actions for label in getattr(a, "labels", ())]
    assert AWAITING not in added
    assert plan.missing == ()


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_an_unedited_form_misses_exactly_its_placeholders(form: IssueForm) -> None:
    filed = issue(form.title_filed, form.body(filled=False))
    verdict = recognise(filed, RULES)
    assert verdict.category is not None and verdict.category.name == form.category
    expected = _missing_describes(form)
    assert missing_items(verdict.category, filed, parse_body(filed.body)) == expected


# --- the markdown templates of 2020 -------------------------------------------------------

RECOVERY_2020 = """Request for account recovery.

## PyPI Username

<!-- Replace the following with your PyPI username -->
{username}

---

##  Reason for request

<!-- State the reason for your request
  - Lost access to email address
  - Lost 2FA authentication app or security token
-->

Reason:{reason}
"""

PEP541_2020 = """<!--
PEP 541 describes the workflow for any project claiming issues and conflict resolution.
-->

**Project to be claimed**
<!--
Provide the name of the package and a link to its PyPI page
-->
{project}


**Your PyPI username**
<!--
To help moderators deal with the transfer please confirm your PyPI username
-->
{username}

**Reasons for the request**
<!--
Do you believe the project has been abandoned or otherwise has issues that
justify this request.
-->
{reasons}

**Maintenance or replacement?**
<!--
If the transfer is successful, do you intend to continue maintenance?
-->
{maintenance}

**Contact and additional research**
<!--
Any attempt to contact current owner and/or research you may have conducted.
-->
{contact}
"""

LIMIT_2020 = """<!--
If you can't upload your project's release to PyPI because you're hitting the
upload file size limit or the project total size limit, we can sometimes increase your limit.
-->

**Project**
<!--
Provide the name of the package and a link to its
PyPI page, i.e. https://pypi.org/project/<PROJECT>
-->
{project}

**Does this project already exist?**
<!--
This project MUST EXIST for an increased limit to be set.
-->
{exists}

**{size_heading}**
<!--
The size of your release, in megabytes, that is above the limit.
-->
{size}

**Which indexes**
<!--
Which index/indexes you need the increase for (PyPI, Test PyPI, or both)
-->
{indexes}

**Reasons for the request**
<!--
A description of the project, and the reason for the additional size.
-->
{reasons}
"""

NETWORK_2020 = """<!--
    NOTE: This issue should be for problems accessing PyPI itself.
-->

## My Platform
<!--
    Any details about your specific platform.
-->
{platform}

## Network telemetry
<!--
    Providing this information is crucial in helping diagnose networking issues for PyPI.
-->

### DNS Resolution

<!--
    Provide the servers you're querying for DNS here if you know.
-->

```shell
dig pypi.org A
{dns}
```

```shell
dig files.pythonhosted.org A
{dns}
```

### Traceroutes

#### IPv4

```shell
traceroute pypi.org
{trace}
```

#### IPv6 (If available)

```shell
traceroute6 pypi.org
{trace}
```

### HTTPS Requests

#### IPv4

```shell
curl -vvv -I --ipv4 https://pypi.org/pypi/pip/json
{trace}
```

### TLS Debug

#### IPv4

```shell
echo -n | openssl s_client -4 -connect pypi.org:443
{trace}
```
"""

REPLACE = "<Replace with your output>"

TEMPLATES_2020 = [
    (
        "account recovery (2020)",
        "account-recovery",
        "Account recovery request",
        RECOVERY_2020.format(
            username="`quill-maker`", reason=" my security key broke and I have no codes."
        ),
        RECOVERY_2020.format(username="`username`", reason=""),
        ("your PyPI username", describe("account-recovery", "Reason for request")[0]),
    ),
    (
        "PEP 541 (2020)",
        "pep-541",
        "PEP 541 Request: lantern-grid",
        PEP541_2020.format(
            project="`lantern-grid`: https://pypi.org/project/lantern-grid",
            username="`orla-h`: https://pypi.org/user/orla-h",
            reasons="No release since 2013; the repository was archived.",
            maintenance="Replacement with my library of the same name.",
            contact="Two e-mails to the author, in May and June, unanswered.",
        ),
        PEP541_2020.format(
            project="`PROJECT_NAME`: https://pypi.org/project/PROJECT_NAME",
            username="`USER_NAME`: https://pypi.org/user/USER_NAME",
            reasons="",
            maintenance="",
            contact="",
        ),
        describe(
            "pep-541",
            "Project to be claimed",
            "Your PyPI username",
            "Reasons for the request",
            "Contact and additional research",
        ),
    ),
    (
        "limit (2020, size of release/project)",
        "limit-request",
        "Limit Request: tensor-kiln - 300 MB",
        LIMIT_2020.format(
            project="tensor-kiln https://pypi.org/project/tensor-kiln/",
            exists="Yes",
            size_heading="Size of release/project",
            size="300 MB",
            indexes="PyPI",
            reasons="The wheels bundle a compiled solver.",
        ),
        LIMIT_2020.format(
            project="",
            exists="",
            size_heading="Size of release/project",
            size="",
            indexes="",
            reasons="",
        ),
        describe(
            "limit-request", "Project URL", "Size of release/project", "Reasons for the request"
        ),
    ),
    (
        "limit (early 2020, size of release)",
        "limit-request",
        "Limit Request: tensor-kiln - 300 MB",
        LIMIT_2020.format(
            project="tensor-kiln https://pypi.org/project/tensor-kiln/",
            exists="Yes",
            size_heading="Size of release",
            size="300 MB",
            indexes="PyPI",
            reasons="The wheels bundle a compiled solver.",
        ),
        LIMIT_2020.format(
            project="", exists="", size_heading="Size of release", size="", indexes="", reasons=""
        ),
        describe(
            "limit-request", "Project URL", "Size of release/project", "Reasons for the request"
        ),
    ),
    (
        "network (2020)",
        "network",
        "Cannot reach pypi.org",
        NETWORK_2020.format(
            platform="Windows 11, pip 24, corporate proxy.",
            dns="pypi.org. 300 IN A 192.0.2.10",
            trace="1 192.0.2.1 1 ms",
        ),
        NETWORK_2020.format(platform="", dns=REPLACE, trace=REPLACE),
        describe("network", "My Platform", "DNS Resolution"),
    ),
]


@pytest.mark.parametrize(
    "name, category, title, filled, unedited, missing",
    TEMPLATES_2020,
    ids=[t[0] for t in TEMPLATES_2020],
)
def test_2020_templates(name, category, title, filled, unedited, missing) -> None:
    done = issue(title, filled)
    verdict = recognise(done, RULES)
    assert verdict.category is not None and verdict.category.name == category
    assert missing_items(verdict.category, done, parse_body(done.body)) == ()
    left = issue(title, unedited)
    verdict = recognise(left, RULES)
    assert verdict.category is not None and verdict.category.name == category
    assert missing_items(verdict.category, left, parse_body(left.body)) == missing


def test_unedited_2020_titles_are_placeholders_too() -> None:
    left = issue(
        "Limit Request: PROJECT_NAME - 000 MB",
        LIMIT_2020.format(
            project="tensor-kiln",
            exists="Yes",
            size_heading="Size of release/project",
            size="300 MB",
            indexes="PyPI",
            reasons="Bundled solver.",
        ),
    )
    verdict = recognise(left, RULES)
    assert missing_items(verdict.category, left, parse_body(left.body)) == (
        "a title that names your project (it still says `PROJECT_NAME` and `000 MB`)",
    )


def test_the_layout_is_chosen_by_its_headings() -> None:
    limit = RULES.category("limit-request")
    file_form, project_form = FORMS[3], FORMS[4]
    assert shown_form(limit, parse_body(file_form.body(True))).name == "file limit form"
    assert shown_form(limit, parse_body(project_form.body(True))).name == "project limit form"
    pep = RULES.category("pep-541")
    body = (
        FORMS[2]
        .body(True)
        .replace(
            "### Source code repositories URLs\n\nhttps://example.org/orla-h/lantern-grid\n\n", ""
        )
    )
    # Today's form with its source section deleted is still today's form: the source is asked.
    assert shown_form(pep, parse_body(body)).name == "PEP 541 form"
    assert "links to your source code repositories" in missing_items(
        pep, issue("PEP 541 Request: lantern-grid", body), parse_body(body)
    )
    # A body with one heading of a form, or none, shows no form: nothing is asked.
    text = "### Reason for request\n\nPlease help, I cannot log in since I changed phones."
    assert shown_form(RULES.category("account-recovery"), parse_body(text)) is None
    assert shown_form(pep, parse_body("I'd like the name `lantern-grid`, please.")) is None


def test_sizes_are_not_placeholders() -> None:
    project_form = FORMS[4]
    body = project_form.body(True).replace("40 GiB", "1.00 GiB")
    filed = issue("Project Limit Request: tensor-kiln - 1.00 GiB", body)
    assert missing_items(RULES.category("limit-request"), filed, parse_body(body)) == ()


# --- sub-labels from dropdowns -------------------------------------------------------------


@pytest.mark.parametrize(
    "indexes, labelled", [("TestPyPI", True), ("PyPI, TestPyPI", False), ("PyPI", False)]
)
def test_test_pypi_issue_from_the_which_indexes_dropdown(indexes: str, labelled: bool) -> None:
    body = (
        FORMS[3].body(True).replace("### Which indexes\n\nPyPI", f"### Which indexes\n\n{indexes}")
    )
    plan = decide(
        Snapshot(issue("File Limit Request: tensor-kiln - 250 MiB", body)), RULES, trigger=OPENED
    )
    added = [label for a in plan.actions for label in getattr(a, "labels", ())]
    assert "limit request" in added
    assert ("test pypi issue" in added) is labelled


def test_the_network_forms_ipv6_heading_counts() -> None:
    network = RULES.category("network")
    body = FORMS[6].body(True)
    verdict = recognise(issue("Slow", body), RULES)
    assert verdict.scores["network"] >= sum(network.recognise.headings.values()) - 5 - 3
    assert "traceroutes / ipv6 (if available)" in parse_body(body).fields


# --- the failure classes measured on the real tracker ------------------------------------


def category_of(title: str, body: str) -> str | None:
    verdict = recognise(issue(title, body), RULES)
    return verdict.category.label if verdict.category else None


def labels_added(title: str, body: str) -> list[str]:
    plan = decide(Snapshot(issue(title, body)), RULES, trigger=OPENED)
    return [label for a in plan.actions for label in getattr(a, "labels", ())]


def test_the_organizations_form_is_not_account_recovery() -> None:
    body = FORMS[7].body(True)
    assert category_of("Organizations support", body) == "org support/request"
    # Whatever the question, the form says organization, and no fields are asked for.
    other = body.replace(
        "We applied for a community organization three weeks ago and it still shows as "
        "pending. Is anything missing on our side?",
        "How do I invite a second owner? The button does nothing.",
    )
    plan = decide(Snapshot(issue("Organizations support", other)), RULES, trigger=OPENED)
    assert plan.verdict.category.label == "org support/request"
    assert plan.missing == ()
    assert any("organization" in getattr(a, "body", "") for a in plan.actions)


def test_a_free_text_organization_request_is_recognised() -> None:
    body = (
        "Hello, we sent an application for an organizational account for our company five "
        "weeks ago and it is still waiting for approval. Can someone look at it?"
    )
    assert category_of("Organization account pending", body) == "org support/request"


@pytest.mark.parametrize(
    "title, body",
    [
        (
            "pip install keeps timing out",
            "Since Monday every `pip install` fails here:\n\n"
            "    pip._vendor.urllib3.exceptions.ReadTimeoutError: HTTPSConnectionPool("
            "host='files.pythonhosted.org', port=443): Read timed out.\n\n"
            "Other sites load fine. I'm on a university network in Lagos.",
        ),
        (
            "Can't download packages",
            "Downloads from PyPI are extremely slow (12 kB/s) and then fail with "
            "'Connection reset by peer'. A VPN to another country fixes it.",
        ),
    ],
)
def test_free_text_network_failures(title: str, body: str) -> None:
    assert category_of(title, body) == "network"


NOT_REQUESTS = [
    # discussion of the process
    (
        "Proposal: let volunteers pre-check account recovery requests",
        "Most account recovery requests here wait for months. Could the forms ask for a "
        "linked repository up front so that triage is faster?",
    ),
    # a complaint about the process
    (
        "Nobody answers",
        "PEP 541 requests sit for a year without a single reply. The process is broken and "
        "it is not fair to people who follow the rules.",
    ),
    # an offer of help
    (
        "Volunteering",
        "Hi! I maintain a few packages and would like to help with triage of the PEP 541 "
        "requests backlog. Who should I talk to?",
    ),
    # an announcement
    (
        "FYI: moving our packages to a new account",
        "Heads up that our team will publish under a new account from next month; no action "
        "needed.",
    ),
    # a spam report outside the mass-squat form
    (
        "Spam projects advertising casinos",
        "There are dozens of spam packages whose descriptions only link to a casino site, "
        "for example https://pypi.org/project/win-big-now/.",
    ),
    # a typosquat was removed
    (
        "reqeusts typosquat",
        "The typosquat of requests I mentioned on the forum has already been removed by the "
        "admins. Thanks! Leaving this here for the record.",
    ),
    # settled
    ("PEP 541 Request: lantern-grid", "Solved"),
    # a typosquat report (malware's route, not a name claim)
    (
        "Typo-squatting of numpy",
        "The project nunpy is a typo-squat of numpy with a copy of its description. Please "
        "look into it.",
    ),
]


@pytest.mark.parametrize("title, body", NOT_REQUESTS, ids=[t for t, _ in NOT_REQUESTS])
def test_what_is_not_a_request_gets_no_category(title: str, body: str) -> None:
    assert category_of(title, body) is None
    labels = labels_added(title, body)
    category_labels = {c.label for c in RULES.categories}
    assert not category_labels & set(labels)
    assert AWAITING not in labels


def test_mass_squatting_in_free_text_is_mass_name_squat() -> None:
    body = (
        "The user grabber-77 registered 120 projects in one night, all empty, named after "
        "common English words."
    )
    assert category_of("Name squatting of 120 projects", body) == "mass name squat"


def test_a_spam_report_on_the_mass_squat_form_keeps_its_category() -> None:
    body = (
        FORMS[5]
        .body(True)
        .replace(
            "Three hundred empty projects named after common words.",
            "All of these are spam packages linking to the same shop.",
        )
    )
    assert category_of("Mass name squat by user: grabber-77", body) == "mass name squat"


def test_a_filled_request_that_mentions_a_removal_is_still_a_request() -> None:
    body = (
        FORMS[2]
        .body(True)
        .replace(
            "The only release is from 2014 and the homepage is gone.",
            "A typosquat of this name was removed last year, thanks to the admins; the project "
            "itself has had no release since 2014.",
        )
    )
    assert category_of("PEP 541 Request: lantern-grid", body) == "PEP 541"


def test_an_unedited_mass_squat_title_asks_for_the_user() -> None:
    form = FORMS[5]
    body = form.body(True)
    filed = issue("Mass name squat by user: USERNAME", body)
    assert missing_items(RULES.category("mass-name-squat"), filed, parse_body(body)) == (
        "a title that names the PyPI user (it still says `USERNAME`)",
    )


def recovery_body(reason: str) -> str:
    return (
        FORMS[0]
        .body(True)
        .replace(
            "Lost 2FA authentication app or security token\n\nThe tablet that held my "
            "authenticator app was stolen on a train.",
            reason,
        )
    )


def test_a_company_account_whose_creator_left_stays_account_recovery() -> None:
    body = recovery_body(
        "This is our company account. It was created by an engineer who has since left the "
        "company; we still control the e-mail address but not the 2FA device."
    )
    assert category_of("Account recovery request", body) == "account-recovery"


@pytest.mark.parametrize(
    "reason",
    [
        "The account belonged to my father, who passed away last year. I want to keep his "
        "project alive.",
        "This is not my account: it belongs to a former colleague. He no longer answers "
        "e-mails and we need the project.",
    ],
)
def test_someone_elses_account_is_pep_541(reason: str) -> None:
    assert category_of("Account recovery request", recovery_body(reason)) == "PEP 541"


def test_an_owner_who_lost_access_on_the_pep_541_form_is_account_recovery() -> None:
    body = (
        FORMS[2]
        .body(True)
        .replace(
            "The only release is from 2014 and the homepage is gone. I maintain a library of the "
            "same name.",
            "I wrote this package in 2021 and have unfortunately lost access to the original "
            "PyPI account: its e-mail address was at a former employer.",
        )
    )
    assert category_of("PEP 541 Request: lantern-grid", body) == "account-recovery"


def test_malware_as_a_risk_is_not_a_security_report() -> None:
    body = (
        FORMS[2]
        .body(True)
        .replace(
            "The only release is from 2014 and the homepage is gone.",
            "The name is a typo of a popular package and holds no code; it could be replaced "
            "with malware at any time.",
        )
    )
    assert category_of("PEP 541 Request: lantern-grid", body) == "PEP 541"


# --- and the requests that merely sound like those ------------------------------------------


@pytest.mark.parametrize(
    "title, body, label",
    [
        (
            "PEP 541 Request: lantern-grid",
            "The project lantern-grid was deleted by its author last year and the name is "
            "still blocked. Could it be released to me? Thanks!",
            "PEP 541",
        ),
        (
            "PEP 541: transfer of lantern-grid",
            "I'd like to take over lantern-grid: I am happy to help maintain it and to fix the "
            "open issues. Other PEP 541 requests have been granted in cases like this one.",
            "PEP 541",
        ),
        (
            "Account recovery request",
            "I lost my 2FA device and wrote to the support address twice, but they don't answer. "
            "Please help me recover my account.",
            "account-recovery",
        ),
    ],
)
def test_requests_that_sound_like_something_else_keep_their_category(
    title: str, body: str, label: str
) -> None:
    assert category_of(title, body) == label


def test_a_recovery_request_saying_support_does_not_answer_is_not_someone_elses() -> None:
    body = recovery_body(
        "I lost my phone. I e-mailed the admins about it but they don't answer, and I cannot "
        "reach them any other way."
    )
    assert category_of("Account recovery request", body) == "account-recovery"


def test_a_transfer_to_an_organization_stays_pep_541() -> None:
    body = (
        FORMS[2]
        .body(True)
        .replace(
            "The only release is from 2014 and the homepage is gone. I maintain a library of the "
            "same name.",
            "The author left our lab; we would like the project transferred to our organization "
            "account on PyPI, pending the owner's answer.",
        )
    )
    assert category_of("PEP 541 Request: lantern-grid", body) == "PEP 541"
