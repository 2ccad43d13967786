"""`bot init OWNER/NAME`: a small rules file to start from, valid as it is (a test runs `check`
on it), with a comment on each section saying what it does and where to read more."""

from __future__ import annotations

import re

from bot.runtime.config import ConfigError

# GitHub's owner and repository names.
_REPO = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")

STARTER = """\
# Rules for {repo}, from `python -m bot init`. The README's "The rules file" section
# explains every key; a key left out takes its default.
#   python -m bot check FILE                 validate it after each change
#   python -m bot plan issues DELIVERY.json --rules FILE
#                                            what the bot would do for one delivery
#   python -m bot serve --dry-run --rules FILE
#                                            the service, logging its writes, making none

repositories:
  {repo}:
    # Every label the rules use. Create them on GitHub too (Issues > Labels) with the
    # colours you like: otherwise GitHub creates them grey the first time the bot adds one.
    labels:
      - bug
      - question
      - "status: awaiting response"  # triage.awaiting_label: waiting on the requester
      - overdue  # lifecycle.maintainer_response.label: waited too long on maintainers

    # The kinds of request. Each signal adds to a category's score; the best total wins if
    # it reaches triage.min_score (3). Patterns are RE2: (?i) ignores case.
    categories:
      - name: bug
        label: bug
        recognise:
          headings: {{Steps to reproduce: 4}}  # a heading of your issue form, if you have one
          title: {{'(?i)\\b(bug|crash|error|fails?|broken)\\b': 3}}
        # Checked when the body has one of the headings above: missing, empty or
        # "_No response_" gets the awaiting label and a comment listing what is missing.
        required:
          - headings: [Steps to reproduce]
            describe: "the steps that show the problem"
        maintainer_response_days: 7  # then lifecycle.maintainer_response.label goes on
      - name: question
        label: question
        recognise:
          title: {{'(?i)^(how|why|what|can|is there)\\b|\\?\\s*$': 3}}

    # What the bot says. {{author}} is the only mention it ever writes; {{missing}} is the
    # list of what is missing; {{days}} the days waited. Write {{{{ and }}}} for braces.
    replies:
      verification: |
        Hi {{author}}, thanks for opening this issue. A few things are missing:

        {{missing}}

        Please edit the issue description to add them.
      verification_complete: "Thanks {{author_name}}, everything we asked for is there now."
      nudge: >-
        Hi {{author}}, this issue has waited {{days}} days for your reply. It will be closed
        if there is no answer.
      close_no_response: "Closing for lack of response: comment here if it still matters."

    # Slash commands in comments (/label, /unlabel, /assign, /close, /reopen, /awaiting,
    # /snooze, /help): who may use them, besides the issue's author for close, reopen, help.
    commands:
      minimum_role: triage  # read, triage, write, maintain or admin on this repository
      users: []  # these logins too, whatever their role
      disabled: [pep541]  # PyPI's name-transfer clock: not for this repository

    # The sweep (inside `serve`, or `python -m bot sweep` from cron): an issue that waits on
    # its requester is nudged, then closed.
    lifecycle:
      sweep_interval_minutes: 60
      awaiting_response: {{nudge_after_days: 14, close_after_days: 30}}
"""


def starter_rules(repo: str) -> str:
    if not _REPO.fullmatch(repo):
        raise ConfigError(f"{repo!r} is not a repository: write OWNER/NAME, e.g. octo-org/support")
    return STARTER.format(repo=repo)
