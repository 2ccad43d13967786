"""Triage, decided: recognise the request, label it, assign it, and check its form.

Pure: `(issue, history, rules, now) -> Plan`. The bot says everything it has to say about a
new issue in one comment (misfiling guidance, what is missing, next steps, queue position),
marked so that later checks edit it instead of posting again. The marker carries the state
the comment was rendered from, so re-rendering is deterministic and cheap to compare.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core import markers
from bot.core.actions import Action, AddAssignees, AddLabels, RemoveLabel, SetComment
from bot.core.forms import (
    ParsedBody,
    holds_only,
    normalize_heading,
    placeholders_in,
)
from bot.core.model import History, Issue, Snapshot, iso, parse_time
from bot.core.recognition import Verdict, labelled_category, recognise, skip_reason
from bot.core.recovery import EMAIL_ONLY, UNKNOWN
from bot.core.rules import Category, Form, RepoRules
from bot.core.text import Markdown, defuse_mentions, escape, render
from bot.core.trigger import ISSUE_COMMENT, ISSUES, Trigger
from bot.core.waiting import by_requester, requester_edit, requester_wait

MARKER = "triage"
# Who put the awaiting label on, as the triage comment remembers it: triage ("set"), until
# the requester answered or the form was completed and triage took it off ("done").
AWAITING_SET, AWAITING_DONE = "set", "done"


@dataclass(frozen=True)
class Plan:
    verdict: Verdict
    missing: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()
    skipped: str | None = None  # why the issue was left alone


def shown_form(category: Category, parsed: ParsedBody) -> Form | None:
    """The layout of the category's request that the body shows, if any: the one with most
    of its identifying headings present (at least half of them), then the one written in
    the body's style (### form, ## markdown, bold), then the one the body fills best. A
    category without `forms` has one layout: its recognition headings and `required`."""
    forms = category.forms or (
        Form(category.name, tuple(category.recognise.headings), category.required),
    )
    best: tuple[tuple[int, bool, float, int], Form] | None = None
    for index, form in enumerate(forms):
        headings = {normalize_heading(h) for h in form.headings}
        present = len(headings & set(parsed.fields))
        if not present or (category.forms and 2 * present < len(headings)):
            continue
        key = (present, form.style == parsed.style, present / len(headings), -index)
        if best is None or key > best[0]:
            best = (key, form)
    return best[1] if best else None


def missing_items(category: Category, issue: Issue, parsed: ParsedBody) -> tuple[str, ...]:
    """What the requester still has to give, in plain words. Only forms are checked: a
    free-text request has no fields to point at, and a maintainer reads it as it is. Each
    layout (today's form, an older one) is asked only for the fields it had."""
    form = shown_form(category, parsed)
    if form is None:
        return ()
    items = []
    for required in form.required:
        found = parsed.field(*required.headings)
        if (
            found is None
            or found.missing
            or holds_only(found, required.template)
            or (required.checkbox and not found.checked)
        ):
            items.append(required.describe)
    if category.title_placeholders and placeholders_in(issue.title):
        items.append(
            category.title_describe
            + " (it still says "
            + " and ".join(escape(p, code=True) for p in placeholders_in(issue.title))
            + ")"
        )
    return tuple(items)


def pick_from_pool(pool: Sequence[str], load: Mapping[str, int]) -> str | None:
    """The pool member with the fewest open assigned issues; ties go to the first listed."""
    if not pool:
        return None
    return min(pool, key=lambda user: (load.get(user, 0), pool.index(user)))


_THANKS_FOR_REPLY = (
    "Thanks for your reply. A maintainer will read it; if you can, please also add the "
    "details above to the issue description."
)


@dataclass(frozen=True)
class AccountCheck:
    """The PyPI account a recovery request names, as triage knows it: which one (`key`:
    username and index) and, when the index could tell, its status (`bot.core.recovery`:
    UNKNOWN, EMAIL_ONLY or FOUND; None: not checked this time)."""

    key: str
    username: str
    index: str = "PyPI"
    status: str | None = None


@dataclass(frozen=True)
class CommentState:
    category: str | None = None
    missing: tuple[str, ...] = ()
    was_missing: bool = False  # something was missing at some point: say when it is complete
    misfilings: tuple[str, ...] = ()
    queue: int | None = None
    replied: bool = False  # the author answered in a comment while things were missing
    next_steps: bool = False
    awaiting: str | None = None  # AWAITING_SET: triage put the awaiting label on; then DONE
    account_key: str | None = None  # the PyPI account checked (recovery requests)
    account: str | None = None  # what the index said of it (AccountCheck.status)
    edited: str | None = None  # when the requester last edited the issue (from its delivery)

    def to_json(self) -> dict:
        return {
            k: list(v) if isinstance(v, tuple) else v
            for k, v in self.__dict__.items()
            if v not in (None, (), False)
        }

    @classmethod
    def from_json(cls, data: Mapping) -> CommentState:
        def names(key: str) -> tuple[str, ...]:
            value = data.get(key) or ()
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        queue = data.get("queue")
        return cls(
            category=data.get("category") if isinstance(data.get("category"), str) else None,
            missing=names("missing"),
            was_missing=bool(data.get("was_missing")),
            misfilings=names("misfilings"),
            queue=queue if isinstance(queue, int) else None,
            replied=bool(data.get("replied")),
            next_steps=bool(data.get("next_steps")),
            awaiting=data.get("awaiting") if isinstance(data.get("awaiting"), str) else None,
            account_key=_text(data.get("account_key")),
            account=_text(data.get("account")),
            edited=_text(data.get("edited")),
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def comment_state(history: History) -> CommentState | None:
    """The state of the triage comment, or None when there is none yet."""
    comment = markers.find(history, MARKER)
    if comment is None:
        return None
    return CommentState.from_json(markers.read(comment.body, MARKER) or {})


def render_comment(state: CommentState, issue: Issue, rules: RepoRules) -> str | None:
    """The text of the bot's one triage comment (its marker holds `state`), from its state.
    None when there is nothing to say."""
    category = rules.category(state.category)
    fields = {
        "author": f"@{issue.author}",
        "author_name": issue.author,
        "category": category.label if category else "",
        "count": state.queue if state.queue is not None else 0,
    }
    sections = []
    for name in state.misfilings:
        misfiling = next((m for m in rules.misfilings if m.name == name), None)
        if misfiling is not None and misfiling.reply:
            sections.append(render(rules.replies[misfiling.reply], fields))
    if state.missing:
        # The rules' own descriptions (and placeholder tokens), already markdown.
        missing = Markdown("\n".join(f"- {defuse_mentions(item)}" for item in state.missing))
        sections.append(
            render(rules.replies[rules.triage.verification_reply], {**fields, "missing": missing})
        )
        if state.replied:
            sections.append(_THANKS_FOR_REPLY)
    elif state.was_missing:
        sections.append(render(rules.replies[rules.triage.complete_note], fields))
    if not state.missing and state.next_steps and category is not None and category.complete_reply:
        sections.append(render(rules.replies[category.complete_reply], fields))
    email_only = rules.recovery_evidence.email_only_reply
    if (
        not state.missing
        and state.next_steps
        and state.account == EMAIL_ONLY
        and email_only in rules.replies
    ):
        sections.append(render(rules.replies[email_only], fields))
    if state.queue is not None and rules.triage.queue_position.enabled:
        sections.append(render(rules.replies[rules.triage.queue_position.reply], fields))
    if not sections:
        return None
    return "\n\n".join(s.strip() for s in sections)


def decide(
    snapshot: Snapshot,
    rules: RepoRules,
    *,
    trigger: Trigger,
    verdict: Verdict | None = None,
    pool_load: Mapping[str, int] | None = None,
    queue_count: int | None = None,
    account: AccountCheck | None = None,
) -> Plan:
    """Everything triage wants for the issue as it is now. The trigger only says whether the
    issue is being sorted for the first time (opened, or caught up by the sweep) and whether
    the requester just spoke; everything else is read from the snapshot, so working the same
    delivery twice wants the same things. `verdict` is `recognise(...)` if the caller has it.
    `account`: the PyPI account of a recovery request, when the caller looked it up."""
    issue, history, parsed = snapshot.issue, snapshot.history, snapshot.parsed
    verdict = verdict or recognise(issue, rules, parsed)
    skipped = skip_reason(issue, rules)
    if skipped:
        return Plan(verdict, skipped=skipped)
    category = verdict.category
    actions: list[Action] = []
    comment = markers.find(history, MARKER)
    old = CommentState.from_json(markers.read(comment.body, MARKER) or {}) if comment else None
    # A comment by the requester is an answer, not a request to be sorted: the bot does not
    # start its first comment (or the wait for an answer) from one.
    requester_spoke = (
        trigger.is_(ISSUE_COMMENT, "created")
        and trigger.comment is not None
        and trigger.comment.author.lower() == issue.author.lower()
    )

    # Labels: the category's (unless the issue already has a category label, which a human
    # or the form chose), its sub-labels, the misfilings'. Never one that was taken off.
    present = {label.lower() for label in issue.labels}
    wanted: list[str] = []
    redirected = any(m.category for m in verdict.misfilings)
    has_category = labelled_category(issue, rules) is not None
    if category is not None:
        if not has_category or redirected:
            wanted.append(category.label)
        wanted += verdict.sub_labels
    for misfiling in verdict.misfilings:
        wanted += misfiling.labels
    missing = (
        ()
        if category is None or verdict.skip_verification
        else missing_items(category, issue, parsed)
    )
    # What the index said of the account: now, or as the comment said it of the same one.
    account_key = account_status = None
    if account is not None and account.status is not None:
        account_key, account_status = account.key, account.status
    elif account is not None and old is not None and old.account_key == account.key:
        account_key, account_status = old.account_key, old.account
    if account is not None and account_status == UNKNOWN and not verdict.skip_verification:
        shown = Markdown(escape(account.username, code=True, limit=60))
        item = render(
            rules.recovery_evidence.unknown_username, {"username": shown, "index": account.index}
        )
        missing = (*missing, item)
    awaiting = rules.triage.awaiting_label
    start_wait = bool(missing) and comment is None and not requester_spoke
    if start_wait:
        wanted.append(awaiting)
    to_add = tuple(
        label
        for label in dict.fromkeys(wanted)
        if label.lower() not in present and not history.ever_removed(label)
    )
    if to_add:
        actions.append(
            AddLabels("recognised as " + (category.name if category else "misfiled"), to_add)
        )

    # Assignment, only when the issue is first sorted, and never over a human's choice.
    never_assigned = not issue.assignees and not any(
        e.kind in ("assigned", "unassigned") for e in history.events
    )
    assign = category.assign if category is not None else None
    if assign is not None and never_assigned and trigger.first_sort:
        users = list(assign.users)
        chosen = pick_from_pool(assign.pool, pool_load or {})
        if chosen is not None:
            users.append(chosen)
        if users:
            why = f"assignment for {category.name}" if category else "assignment"
            actions.append(AddAssignees(why, tuple(dict.fromkeys(users))))

    # The wait on the requester ends when they answer (a comment or an edit after the label
    # went on, whoever put it there through the bot: triage, or a maintainer's /awaiting);
    # the wait triage started for missing fields also ends when nothing is missing any more.
    # GitHub keeps no event for an edit of the text: the requester's edits are recorded here
    # as their deliveries come (a maintainer's edit, redacting say, is no answer).
    # Recorded only while they are waited on: the only time an edit means an answer.
    requester_edited = (
        trigger.is_(ISSUES, "edited")
        and trigger.text_changed
        and trigger.sender.lower() == issue.author.lower()
        and awaiting.lower() in present
    )
    edited = iso(issue.updated_at) if requester_edited else (old.edited if old else None)
    if edited is not None:
        edited_at = parse_time(edited)
    else:
        edited_at = requester_edit(issue, history) if comment is None else None
    wait = requester_wait(issue, history, awaiting, edited_at)
    answered = wait is not None and wait.answered is not None
    started_by_triage = old is not None and old.awaiting == AWAITING_SET
    stop_wait = (
        awaiting.lower() in present
        and history.added_by_us(awaiting)
        and (answered or (started_by_triage and not missing))
    )
    if stop_wait:
        why = "nothing is missing any more" if not missing else "the requester answered"
        actions.append(RemoveLabel(why, awaiting))

    # The one comment.
    replied = (
        bool(missing)
        and comment is not None
        and any(
            by_requester(c, issue, history) and c.created_at > comment.created_at
            for c in history.comments
        )
    )
    state = CommentState(
        category=category.name if category else None,
        missing=missing,
        was_missing=bool(missing) or (old is not None and (old.was_missing or bool(old.missing))),
        misfilings=tuple(
            dict.fromkeys([*(old.misfilings if old else ()), *(m.name for m in verdict.misfilings)])
        ),
        queue=old.queue if old is not None else queue_count,
        replied=replied or (bool(missing) and old is not None and old.replied),
        # Next steps are given when a request arrives complete, or when it becomes complete.
        next_steps=not missing
        and (
            (comment is None and trigger.first_sort)
            or (old is not None and bool(old.missing))
            or (old is not None and old.next_steps)
        ),
        awaiting=(
            AWAITING_SET
            if start_wait
            else AWAITING_DONE
            if stop_wait and started_by_triage
            else (old.awaiting if old is not None else None)
        ),
        account_key=account_key,
        account=account_status,
        edited=edited,
    )
    text = render_comment(state, issue, rules)
    if text is not None and (comment is not None or not requester_spoke):
        actions.append(SetComment("triage comment", MARKER, text, state.to_json()))
    return Plan(verdict, missing, tuple(actions))
