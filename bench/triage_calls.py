"""GitHub calls per triage scenario, against the minimum that could do the job.

Runs the real service (aiohttp test client) against the in-process fake GitHub on loopback,
sends signed deliveries and counts the requests the bot makes. Usage:
    python bench/triage_calls.py [--quick]
(--quick is accepted for CI's smoke run; this script is always quick.)
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.runtime.webhook import make_app
from tests.conftest import BOT_LOGIN, REPO, TOKEN, headers_for, payload, service_for
from tests.fake_github import FakeGitHub
from tests.test_triage_flow import COMPLETE
from tests.test_webhook import PEP541_INCOMPLETE

RECOVERY = """### PyPI Username

alice

### Reason for request

I lost the phone with my authenticator app.

### Recovery Codes

- [x] I never generated or have lost access to the recovery codes

### Code of Conduct

- [x] I agree to follow the PSF Code of Conduct
"""

# (name, event, payload builder, the fewest calls that could do the job, and which)
SCENARIOS = [
    (
        "new complete recovery request",
        "issues",
        lambda n: payload(
            "issues.opened.1",
            number=n,
            title="Account recovery request",
            body=RECOVERY,
            user="alice",
            labels=[],
        ),
        5,
        "read the issue + its timeline (a redelivery must find the comment), label, comment, "
        "the maintainers' recovery note (PyPI is not reachable here, so no repository is "
        "looked up on GitHub; with it, one read per GitHub repository and per organization)",
    ),
    (
        "new PEP 541 with placeholders",
        "issues",
        lambda n: payload(
            "issues.opened.1",
            number=n,
            title="PEP 541 Request: PROJECT_NAME",
            body=PEP541_INCOMPLETE,
            user="alice",
            labels=[],
        ),
        4,
        "read issue + timeline, labels, verification comment (no name to report on yet)",
    ),
    (
        "author completes the PEP 541 form",
        "issues",
        lambda n: {
            **payload(
                "issues.edited.1",
                number=n - 1,
                title="PEP 541 Request: widgets",
                body=COMPLETE,
                user="alice",
                labels=[{"name": "PEP 541"}, {"name": "status: awaiting response"}],
                comments=1,
            )
        },
        6,
        "read issue + timeline, edit comment, remove label; name report: search + post",
    ),
    (
        "maintainer opens an issue",
        "issues",
        lambda n: payload(
            "issues.opened.1",
            number=n,
            title="Note",
            body="text",
            user="ewdurbin",
            author_association="MEMBER",
        ),
        0,
        "nothing",
    ),
]


async def main() -> None:
    github = FakeGitHub()
    github.add_token(TOKEN, BOT_LOGIN)
    github.add_repo(REPO)
    server = TestServer(github.app)
    await server.start_server()
    github.url = str(server.make_url("")).rstrip("/")
    service = service_for(github)
    client = TestClient(TestServer(make_app(service)))
    await client.start_server()
    await service.github.login()  # learned once per process; not part of any scenario
    print(f"{'scenario':40} {'calls':>5} {'minimum':>7}  by kind")
    for number, (name, event, build, minimum, why) in enumerate(SCENARIOS, start=1):
        data = build(number)
        issue = data["issue"]
        try:
            github.issue(REPO, issue["number"])
        except Exception:
            github.add_issue(
                REPO,
                number=issue["number"],
                title=issue["title"],
                body=issue["body"],
                user=issue["user"]["login"],
                author_association=issue.get("author_association"),
            )
        if data["action"] == "edited":  # GitHub has the edit before it delivers it
            github.edit_issue(REPO, issue["number"], title=issue["title"], body=issue["body"])
            data["issue"] = github.issue(REPO, issue["number"])
        github.reset_calls()
        body = json.dumps(data).encode()
        await client.post("/webhook", data=body, headers=headers_for(event, body))
        await service.queue.join()
        kinds = Counter(
            f"{c.method} {c.path.split('/issues/')[-1] if '/issues/' in c.path else c.path}"
            for c in github.calls
        )
        print(f"{name:40} {len(github.calls):>5} {minimum:>7}  {dict(kinds)}  (minimum: {why})")
    await client.close()
    await server.close()


if __name__ == "__main__":
    asyncio.run(main())
