"""A delivery read twice: its envelope before the 202, the whole body by the worker. What the
receipt refuses is a 400 naming what is wrong; what it accepts, the worker can decode."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.runtime.delivery import MAX_DEPTH, Refused, Seen, decode, envelope
from tests.conftest import REPO, headers_for, payload


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"issue": {"number": 1, "title": "caf\xe9"}}', "not UTF-8"),  # Latin-1, deep inside
        (b'{"issue": {"number": 1, "title": "x"', "not valid JSON"),
        (b'{"issue": {"number": 1}, "x": NaN}', "not valid JSON"),
        (b'{"x": "\\ud800"}', "not valid JSON"),  # a lone surrogate
        (b"[1, 2]", "must be a JSON object"),
        (b'"opened"', "must be a JSON object"),
        (b'{"action": ["opened"]}', "$.action"),
        (b'{"issue": {"number": "5"}}', "$.issue.number"),
        (b'{"issue": {"number": true}}', "$.issue.number"),
        (b'{"repository": {"full_name": 5}}', "$.repository.full_name"),
        (b'{"sender": "alice"}', "$.sender"),
        (b'{"comment": [1]}', "$.comment"),
        (b'{"installation": {"id": [1]}}', "$.installation.id"),
        (b'{"a": ' * 2_000 + b"1" + b"}" * 2_000, "nested too deeply"),
    ],
)
async def test_the_receipt_refuses_with_a_400_that_says_why(bot, body, why):
    response = await bot.client.post("/webhook", data=body, headers=headers_for("issues", body))
    assert response.status == 400
    assert why in (await response.json())["error"]
    assert bot.service.queue.depth == 0


def test_the_envelope_is_what_the_bot_routes_by():
    data = payload("issue_comment.created.1", number=7, user="alice")
    got = envelope(json.dumps(data, ensure_ascii=False).encode())
    assert (got.action, got.repository_name, got.number) == ("created", REPO, 7)
    pull = envelope(b'{"pull_request": {"number": 3}, "issue": null}')
    assert pull.number == 3 and pull.repository_name is None


# JSON values as a sender could make them: any text, integers past 64 bits, numbers past a
# float's range, nesting. What the receipt accepts, the worker must decode.
_NUMBER = st.one_of(
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1e400", "-1e400", "1E-400", "123456789012345678901234567890"]),
)
_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), _NUMBER, st.text()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(), inner)),
    max_leaves=30,
)


def _json(value: object) -> str:
    if isinstance(value, str) and value[:1] in "-1" and value[1:2].isdigit():
        return value  # a number written as it came, not as Python would write it
    if isinstance(value, list):
        return "[" + ",".join(_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_json(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


@settings(max_examples=300, deadline=None)
@given(value=_VALUE, ascii_only=st.booleans())
def test_what_the_receipt_accepts_the_worker_decodes(value, ascii_only):
    text = '{"issue": {"number": 1}, "x": ' + _json(value) + "}"
    body = text.encode("ascii", "backslashreplace") if ascii_only else text.encode()
    try:
        envelope(body)
    except Refused:
        return  # a 400: the worker never sees it
    data = decode(body)
    assert data["issue"] == {"number": 1}


def test_the_worker_refuses_what_nests_deeper_than_any_delivery():
    def nested(depth: int) -> bytes:  # the body itself is level 1
        return b'{"x": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"

    assert decode(nested(MAX_DEPTH)) is not None
    envelope(nested(MAX_DEPTH + 1))  # acknowledged ...
    with pytest.raises(Refused, match="more than 64 levels"):
        decode(nested(MAX_DEPTH + 1))  # ... never worked


async def test_a_delivery_no_feature_wants_is_queued_then_logged_as_ignored(bot, caplog):
    caplog.set_level(logging.INFO)
    comment = payload("issue_comment.created.1", number=5, user="alice")
    comment["comment"]["body"] = "any news?"  # a passer-by's, no command
    comment["comment"]["user"]["login"] = comment["sender"]["login"] = "dave"
    comment["comment"]["author_association"] = "NONE"
    response = await bot.deliver("issue_comment", comment)
    assert (await response.json())["status"] == "queued"
    await bot.settle()
    (ignored,) = [r for r in caplog.records if r.getMessage() == "delivery ignored"]
    assert "no feature acts on issue_comment.created" in ignored.fields["why"]
    assert bot.github.calls == []
    series = 'bot_deliveries_total{event="issue_comment",outcome="ignored"} 1.0'
    assert series in bot.service.metrics.render().decode()


def test_delivery_ids_are_remembered_for_at_least_the_ttl_and_never_past_the_bound():
    now = [0.0]
    seen = Seen(ttl=100, maxsize=10, clock=lambda: now[0])
    seen.add("a")
    now[0] = 99
    seen.add("b")
    now[0] = 150  # the generation of "a" and "b" is older now
    seen.add("c")
    assert "a" in seen and "b" in seen and "c" in seen
    now[0] = 199.9
    assert "b" in seen  # added at 99: still within its 100 s
    now[0] = 250
    seen.add("d")  # a second rotation: "a" and "b" are dropped
    assert "a" not in seen and "b" not in seen and "c" in seen and "d" in seen
    for n in range(100):
        seen.add(f"burst-{n}")
        assert len(seen) <= 10
    assert "burst-99" in seen and "burst-95" in seen  # the latest maxsize / 2 at least
    seen.forget("burst-99")
    assert "burst-99" not in seen


async def test_a_body_the_worker_cannot_decode_is_refused_not_failed(bot, caplog):
    # An integer of 4,301 digits: valid JSON, skipped by the receipt's pass, but more than
    # Python converts. Counted `refused` and remembered: a redelivery would fail the same way.
    data = payload("issues.opened.1", number=9, user="alice")
    bot.github_seed(data["issue"])
    body = (json.dumps(data)[:-1] + ', "big": ' + "1" * 4301 + "}").encode()
    headers = headers_for("issues", body)
    response = await bot.client.post("/webhook", data=body, headers=headers)
    assert (await response.json())["status"] == "queued"
    await bot.settle()
    (refused,) = [r for r in caplog.records if r.getMessage() == "delivery refused"]
    assert "cannot be decoded" in refused.fields["error"]
    text = bot.service.metrics.render().decode()
    assert 'outcome="refused"} 1.0' in text and 'outcome="failed"' not in text
    again = await bot.client.post("/webhook", data=body, headers=headers)
    assert (await again.json())["status"] == "duplicate"
    assert bot.github.writes == []


async def test_a_delivery_refused_for_a_full_queue_is_worked_when_redelivered(bot):
    # GitHub shows a 503 as failed, to be redelivered: the redelivery must not be taken for
    # a duplicate of a delivery that was never queued.
    data = payload("issues.opened.1", number=10, user="alice")
    bot.service.queue.max_pending = 0  # as if 10,000 deliveries were waiting
    first = await bot.deliver("issues", data, delivery="full-queue-1")
    assert first.status == 503
    bot.service.queue.max_pending = 10_000  # the backlog is worked off
    again = await bot.deliver("issues", data, delivery="full-queue-1")
    assert (await again.json())["status"] == "queued"
    await bot.settle()
    text = bot.service.metrics.render().decode()
    assert 'bot_deliveries_total{event="issues",outcome="done"} 1.0' in text  # worked
