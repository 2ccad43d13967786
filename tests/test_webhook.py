"""The web endpoints as GitHub and operators meet them."""

from __future__ import annotations

import json

from yarl import URL

from tests.conftest import REPO, SECRET, headers_for, payload, sign

PEP541_INCOMPLETE = """### Project to be claimed

`PROJECT_NAME`: https://pypi.org/project/PROJECT_NAME

### Your PyPI username

`USER_NAME`: https://pypi.org/user/USER_NAME

### Reasons for the request

The project has had no release since 2017 and its repository is archived.

### Maintenance or replacement?

Maintenance

### Source code repositories URLs

https://example.org/alice/widgets

### Contact and additional research

I emailed the owner twice in March.

### Code of Conduct

- [x] I agree to follow the PSF Code of Conduct
"""


def incomplete_pep541():
    """Alice's PEP 541 form as delivered, with its placeholders left in."""
    return payload(
        "issues.opened.1",
        title="PEP 541 Request: PROJECT_NAME",
        body=PEP541_INCOMPLETE,
        user="alice",
        labels=[],
    )


def test_githubs_documented_signature_vector():
    # From GitHub's "Validating webhook deliveries" documentation.
    assert sign(b"Hello, World!", SECRET) == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


async def test_healthz_and_metrics(bot):
    response = await bot.client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"
    response = await bot.client.get("/metrics")
    assert response.status == 200
    text = await response.text()
    for series in ("bot_deliveries_total", "bot_queue_depth", "bot_github_requests_total"):
        assert series in text
    # Unknown until GitHub reports it: a 0 before any call would read as exhausted.
    assert "bot_github_rate_limit_remaining" not in text


async def test_rate_limit_gauge_shows_what_github_reported(bot):
    await bot.deliver("issues", incomplete_pep541())
    await bot.settle()
    text = await (await bot.client.get("/metrics")).text()
    remaining = [
        line for line in text.splitlines() if line.startswith("bot_github_rate_limit_remaining ")
    ]
    assert len(remaining) == 1 and 0 < float(remaining[0].split()[1]) < 5000


async def test_ping_is_200(bot):
    body = json.dumps(payload("ping.none.1")).encode()
    response = await bot.client.post("/webhook", data=body, headers=headers_for("ping", body))
    assert response.status == 200
    assert (await response.json())["ok"] is True


async def test_every_refusal_has_its_status_and_one_json_line(bot):
    body = json.dumps(payload("issues.opened.1")).encode()
    good = headers_for("issues", body)
    cases = [
        ({**good, "X-Hub-Signature-256": "sha256=" + "0" * 64}, body, 401),
        ({k: v for k, v in good.items() if k != "X-Hub-Signature-256"}, body, 401),
        ({**good, "X-Hub-Signature-256": "sha1=abc"}, body, 401),
        ({k: v for k, v in good.items() if k != "X-GitHub-Event"}, body, 400),
        ({k: v for k, v in good.items() if k != "X-GitHub-Delivery"}, body, 400),
        ({**good, "Content-Type": "application/x-www-form-urlencoded"}, body, 415),
        ({**headers_for("issues", b"{not json")}, b"{not json", 400),
        ({**headers_for("issues", b"[1, 2]")}, b"[1, 2]", 400),
    ]
    for headers, data, status in cases:
        response = await bot.client.post("/webhook", data=data, headers=headers)
        assert response.status == status, (headers, status)
        assert "error" in await response.json()
    assert bot.github.writes == []


async def test_payload_over_25_mib_is_413(bot):
    body = b'{"x": "' + b"a" * (25 * 1024 * 1024) + b'"}'
    response = await bot.client.post("/webhook", data=body, headers=headers_for("issues", body))
    assert response.status == 413
    assert "error" in await response.json()


async def test_wrong_method_and_path_are_json_errors(bot):
    response = await bot.client.get("/webhook")
    assert response.status == 405 and response.headers["Allow"] == "POST"
    assert (await response.json())["error"] == "Method Not Allowed"
    response = await bot.client.post("/healthz")
    assert response.status == 405 and response.headers["Allow"] == "GET, HEAD"
    for method in ("GET", "PUT", "DELETE"):
        response = await bot.client.request(method, "/nowhere/../x")
        assert response.status == 404
        assert (await response.json())["error"] == "Not Found"
    assert (await bot.client.head("/healthz")).status == 200
    # A path holding an encoded newline is no route's either: a JSON 404 all the same.
    base = str(bot.client.make_url("/")).rstrip("/")
    for method, path in (("GET", "/a%0Ab"), ("POST", "/webhook%0A"), ("GET", "/%0A")):
        response = await bot.client.session.request(method, URL(base + path, encoded=True))
        assert response.status == 404 and await response.json() == {"error": "Not Found"}


async def test_opened_issue_is_labelled_and_checked_after_answering(bot):
    data = incomplete_pep541()
    response = await bot.deliver("issues", data)
    assert response.status == 202
    assert (await response.json())["status"] == "queued"
    await bot.settle()
    issue = bot.github.issue(REPO, data["issue"]["number"])
    assert {label["name"] for label in issue["labels"]} >= {"PEP 541", "status: awaiting response"}
    (comment,) = bot.github.comments(REPO, data["issue"]["number"])
    assert "the name of the project you want to claim" in comment["body"]
    assert "your PyPI username" in comment["body"]
    assert "`PROJECT_NAME`" in comment["body"]  # the title


async def test_redelivery_of_the_same_id_is_acknowledged_and_not_worked_again(bot):
    data = incomplete_pep541()
    first = await bot.deliver("issues", data, delivery="d-1")
    await bot.settle()
    writes = len(bot.github.writes)
    again = await bot.deliver("issues", data, delivery="d-1")
    await bot.settle()
    assert first.status == again.status == 202
    assert (await again.json())["status"] == "duplicate"
    assert len(bot.github.writes) == writes
    assert len(bot.github.comments(REPO, data["issue"]["number"])) == 1


async def test_a_second_delivery_of_the_same_event_does_not_double_the_comment(bot):
    # A different delivery id for the same change (e.g. a replayed event): state on GitHub decides.
    data = incomplete_pep541()
    await bot.deliver("issues", data)
    await bot.settle()
    data["issue"]["comments"] = 1
    await bot.deliver("issues", data)
    await bot.settle()
    assert len(bot.github.comments(REPO, data["issue"]["number"])) == 1


async def test_dry_run_makes_no_write(make_bot):
    bot = await make_bot(dry_run=True)
    data = incomplete_pep541()
    response = await bot.deliver("issues", data)
    assert response.status == 202
    await bot.settle()
    assert bot.github.writes == []
    assert [c for c in bot.github.calls if c.method == "GET"]  # reads still happen


async def test_events_of_repositories_not_in_the_rules_are_ignored(bot):
    data = payload("issues.opened.1", user="alice")
    data["repository"]["full_name"] = "someone/else"
    response = await bot.deliver("issues", data, seed=False)
    assert (await response.json())["status"] == "ignored"
    await bot.settle()
    assert bot.github.calls == []


async def test_other_bots_and_unhandled_events_are_ignored(bot):
    data = payload("issues.opened.1", user="alice")
    data["sender"] = {**data["sender"], "login": "dependabot[bot]", "type": "Bot"}
    assert (await (await bot.deliver("issues", data)).json())["status"] == "ignored"
    other = payload("installation.created.1")
    other["repository"] = {"full_name": REPO}
    assert (await (await bot.deliver("installation", other)).json())["status"] == "ignored"
    await bot.settle()
    assert bot.github.writes == []


async def test_the_bots_own_events_are_not_acted_on(bot):
    data = payload("issues.labeled.1", user="alice")
    data["sender"] = {"login": "pypi-support-bot", "type": "User", "id": 1}
    await bot.deliver(
        "issue_comment",
        {**payload("issue_comment.created.1", user="alice"), "sender": data["sender"]},
    )
    await bot.settle()
    assert bot.github.writes == []


async def test_a_failing_handler_does_not_stop_the_worker(bot):
    bot.github.inject("*", r"/issues/\d+", status=500, times=None)
    data = incomplete_pep541()
    await bot.deliver("issues", data)
    await bot.settle()
    bot.github.clear_faults()
    # The failed delivery is forgotten, so GitHub's "Redeliver" works it again.
    await bot.deliver("issues", data, delivery=bot.deliveries[-1])
    await bot.settle()
    assert bot.github.comments(REPO, data["issue"]["number"])


async def test_made_up_event_names_do_not_become_metric_series(make_bot):
    bot = await make_bot(webhook_secret=None, token=None, dry_run=True)
    for name in ("x1", "x2", "x3"):
        body = json.dumps({"repository": {"full_name": REPO}}).encode()
        await bot.client.post("/webhook", data=body, headers=headers_for(name, body, secret=None))
    text = await (await bot.client.get("/metrics")).text()
    assert 'event="other"' in text and 'event="x1"' not in text


async def test_a_bug_in_a_handler_is_a_json_500_and_one_log_line(bot, caplog):
    # No delivery from outside reaches a bug (the fuzz tests look for one); this stands in
    # for the next one, to show what GitHub and the operator would see.
    def broken(delivery):
        raise KeyError("a bug")

    bot.service.accept = broken
    body = json.dumps(payload("issues.opened.1")).encode()
    response = await bot.client.post("/webhook", data=body, headers=headers_for("issues", body))
    assert response.status == 500
    assert await response.json() == {"error": "internal error"}
    (failed,) = [r for r in caplog.records if r.getMessage() == "request failed"]
    assert failed.fields["error"] == "KeyError: 'a bug'" and failed.fields["path"] == "/webhook"
    assert (await bot.client.get("/healthz")).status == 200


async def test_the_media_type_is_json_whatever_its_case_and_parameters(bot):
    body = json.dumps(payload("ping.none.1")).encode()
    for content_type, status in (
        ("application/json; charset=utf-8", 200),
        (" Application/JSON ", 200),
        ("application/json;", 200),
        ("application/jsonx", 415),
        ("text/json", 415),
        ("application/x-www-form-urlencoded", 415),  # GitHub's other choice for a webhook
        ("", 415),
    ):
        headers = {**headers_for("ping", body), "Content-Type": content_type}
        response = await bot.client.post("/webhook", data=body, headers=headers)
        assert response.status == status, content_type


async def test_the_deliveries_counter_has_its_created_series_like_the_others(bot):
    body = b'{"zen": "Keep it logically awesome."}'
    response = await bot.client.post("/webhook", data=body, headers=headers_for("ping", body))
    assert response.status == 200
    text = await (await bot.client.get("/metrics")).text()
    assert 'bot_deliveries_total{event="ping",outcome="ok"} 1.0' in text
    assert 'bot_deliveries_created{event="ping",outcome="ok"}' in text
