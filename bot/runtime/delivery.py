"""A webhook delivery in two readings.

On receipt, before the `202`, only its envelope is read: one pass over the body checks that it
is well-formed JSON (and UTF-8) and an object, checks the type of every member the bot relies
on, and keeps the few it routes by (repository, issue or pull request number, sender, action).
The rest of the body is checked as JSON but never built into objects: building the 12 KB
object of an `issues` delivery took most of the acknowledgement's time (README, "Benchmarks").

The worker decodes the whole body, with the same library and grammar, so that a body accepted
on receipt decodes there too (but for a number Python will not make, which the receipt's pass
skips unread), and refuses one nested deeper than any delivery of GitHub's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from bot.core.model import is_bot
from bot.core.rules import Rules

# GitHub's deliveries nest some ten levels deep; far deeper is not GitHub's. The receipt
# refuses what the decoder cannot follow (about 1,000 levels, where a recursive reader would
# meet a RecursionError); the worker refuses anything past this.
MAX_DEPTH = 64


class Refused(ValueError):
    """A body the bot will not work: a `400` on receipt, or, found by the worker, an error in
    the log and a delivery counted `refused`. The message says why, in one line."""


# The envelope's types are kept out of the garbage collector's sight (gc=False): made of JSON
# values, they cannot be part of a reference cycle, and five tracked objects a delivery made
# the collector run more often.


class _Object(msgspec.Struct, gc=False):
    """A JSON object: its members are checked as JSON, then skipped."""


class _Repository(msgspec.Struct, gc=False):
    full_name: str | None = None


class _Numbered(msgspec.Struct, gc=False):
    """An issue or a pull request."""

    number: int | None = None


class _Installation(msgspec.Struct, gc=False):
    id: int | None = None


class _Sender(msgspec.Struct, gc=False):
    login: str | None = None
    type: str | None = None


class Envelope(msgspec.Struct, frozen=True, gc=False):
    """The members of a delivery the bot relies on, each of the JSON type GitHub sends (or
    null, or absent), so that no later reader meets, say, a list where an action should be."""

    action: str | None = None
    repository: _Repository | None = None
    sender: _Sender | None = None
    installation: _Installation | None = None
    issue: _Numbered | None = None
    pull_request: _Numbered | None = None
    comment: _Object | None = None
    label: _Object | None = None
    changes: _Object | None = None
    zen: Any = None  # a ping's

    @property
    def repository_name(self) -> str | None:
        return self.repository.full_name if self.repository is not None else None

    @property
    def installation_id(self) -> int | None:
        return self.installation.id if self.installation is not None else None

    @property
    def number(self) -> int | None:
        """The number of the issue (or pull request) the delivery is about."""
        for item in (self.issue, self.pull_request):
            if item is not None and item.number is not None:
                return item.number
        return None


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ takes three times as long
class Delivery:
    """A delivery past the receipt's checks: its headers, its body as received, its envelope."""

    event: str  # X-GitHub-Event
    id: str  # X-GitHub-Delivery
    body: bytes
    envelope: Envelope


_ENVELOPE = msgspec.json.Decoder(Envelope)
# float_hook: a number too large for a float (1e400) is infinity, as the receipt's pass,
# which skips numbers it does not keep, accepted it.
_WHOLE = msgspec.json.Decoder(float_hook=float)


def envelope(body: bytes) -> Envelope:
    """The envelope of a delivery's body, or `Refused` saying why there is none."""
    try:
        # The receipt's pass does not check the text of the strings it skips; this does, with
        # no copy for the usual ASCII-only body.
        if not body.isascii():
            body.decode("utf-8")
        return _ENVELOPE.decode(body)
    except UnicodeDecodeError:
        raise Refused("body is not valid JSON: not UTF-8") from None
    except RecursionError:
        raise Refused("body is nested too deeply") from None
    except msgspec.ValidationError as exc:
        raise _malformed(exc) from None
    except msgspec.DecodeError as exc:
        raise Refused(f"body is not valid JSON ({exc})") from None


def envelope_of(data: Any) -> Envelope:
    """The envelope of a delivery already decoded (`bot plan`'s payload file)."""
    try:
        return msgspec.convert(data, Envelope)
    except msgspec.ValidationError as exc:
        raise _malformed(exc) from None


def _malformed(exc: msgspec.ValidationError) -> Refused:
    # "Expected `str | null`, got `array` - at `$.action`"; no "at" for the body itself.
    if " - at `$" not in str(exc):
        return Refused("body must be a JSON object")
    return Refused(f"malformed delivery: {exc}")


def decode(body: bytes) -> dict[str, Any]:
    """The whole body of a delivery whose envelope was read. Refused past `MAX_DEPTH`, and for
    what the receipt's pass skipped without making it: a number Python will not make (an
    integer of more than 4,300 digits, Python's limit on converting text to int)."""
    try:
        data = _WHOLE.decode(body)
    except RecursionError:
        raise Refused("body is nested too deeply") from None
    except msgspec.MsgspecError as exc:
        raise Refused(f"body cannot be decoded ({exc})") from None
    if too_deep(data):
        raise Refused(f"body nests more than {MAX_DEPTH} levels deep")
    return data


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest more than `limit` levels deep: walked a level at a
    time, without recursion (exact types: what a JSON decoder makes)."""
    level = [value] if type(value) is dict or type(value) is list else []
    for _ in range(limit):
        level = [
            child
            for node in level
            for child in (node.values() if type(node) is dict else node)
            if type(child) is dict or type(child) is list
        ]
        if not level:
            return False
    return bool(level)


def ignored_on_receipt(envelope: Envelope, rules: Rules) -> str | None:
    """Why a delivery is no work for the bot, judged on its envelope, or None."""
    if rules.for_repo(envelope.repository_name) is None:
        return "the repository is not in the rules file"
    sender = envelope.sender
    if rules.bot.ignore_other_bots and sender is not None and is_bot(sender.login, sender.type):
        return "sent by a bot"
    if envelope.number is None:
        return "not about an issue"
    return None


class Seen:
    """The delivery ids acknowledged lately, to acknowledge a redelivery without working it
    twice. An id is remembered for at least `ttl` seconds (GitHub redelivers within hours)
    unless more than `maxsize / 2` newer ones came since; at most `maxsize` are kept.

    Two generations of sets: the newer takes the ids; when it is `ttl` old or half of
    `maxsize` full it becomes the older, and the older is dropped whole. Each acknowledgement
    costs a set look-up and a set insertion (a TTL cache pays for a linked list and an expiry
    pass on every insertion: a tenth of the acknowledgement's time)."""

    def __init__(self, ttl: float, maxsize: int, clock: Callable[[], float]) -> None:
        self.ttl, self.maxsize, self.clock = ttl, maxsize, clock
        self._newer: set[str] = set()
        self._older: set[str] = set()
        self._since = clock()  # when the newer generation started

    def __contains__(self, delivery_id: object) -> bool:
        return delivery_id in self._newer or delivery_id in self._older

    def __len__(self) -> int:
        return len(self._newer) + len(self._older)

    def add(self, delivery_id: str) -> None:
        now = self.clock()
        if now - self._since >= self.ttl or 2 * len(self._newer) >= self.maxsize:
            self._older, self._newer, self._since = self._newer, set(), now
        self._newer.add(delivery_id)

    def forget(self, delivery_id: str) -> None:
        """So that a redelivery of a delivery whose work failed is worked again."""
        self._newer.discard(delivery_id)
        self._older.discard(delivery_id)
