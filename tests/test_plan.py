"""`python -m bot plan`: what every feature would do for one delivery, offline, as JSON."""

from __future__ import annotations

import json

from tests.conftest import REPO, payload, run_bot
from tests.test_webhook import incomplete_pep541


def plan(tmp_path, event: str, data: dict) -> dict:
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(data))
    done = run_bot("plan", event, str(path), env={"BOT_RULES": "rules.yaml"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_new_request_shows_triage_and_what_it_would_write(tmp_path):
    result = plan(tmp_path, "issues", incomplete_pep541())
    assert result["outcome"] == "planned" and result["category"] == "pep-541"
    assert "triage" in result["features"]
    kinds = [(a["feature"], a["kind"]) for a in result["actions"]]
    assert ("triage", "add_labels") in kinds and ("triage", "set_comment") in kinds
    (comment,) = [a for a in result["actions"] if a["kind"] == "set_comment"]
    assert "pypi-support-bot:triage" in comment["body"]


def test_a_maintainers_command_is_planned_with_its_role_from_the_payload(tmp_path):
    data = payload("issue_comment.created.1")
    data["issue"]["number"] = 7
    data["comment"]["body"] = "/label urgent\n/snooze 10"
    data["comment"]["author_association"] = "MEMBER"
    data["comment"]["user"]["login"] = data["sender"]["login"] = "staff"
    result = plan(tmp_path, "issue_comment", data)
    assert result["features"] == ["commands"]
    kinds = [(a["feature"], a["kind"]) for a in result["actions"]]
    assert ("commands", "add_labels") in kinds  # urgent is one of the rules' labels
    assert ("commands", "set_comment") in kinds and ("commands", "react") in kinds


def test_a_stranger_command_is_refused_and_a_bots_delivery_ignored(tmp_path):
    data = payload("issue_comment.created.1")
    data["comment"]["body"] = "/close"
    data["comment"]["author_association"] = "NONE"
    data["comment"]["user"]["login"] = data["sender"]["login"] = "mallory"
    result = plan(tmp_path, "issue_comment", data)
    (reply,) = [a for a in result["actions"] if a["kind"] == "set_comment"]
    assert "Nothing was changed" in reply["body"]
    data["sender"] = {"login": "other[bot]", "type": "Bot"}
    assert plan(tmp_path, "issue_comment", data)["outcome"] == "ignored"


def test_an_event_no_feature_acts_on_is_ignored_with_why(tmp_path):
    data = payload("issues.opened.1")
    data["repository"]["full_name"] = "someone/else"
    assert "not in the rules" in plan(tmp_path, "issues", data)["why"]
    data = payload("issue_comment.created.1")
    data["comment"]["body"] = "Thanks!"
    data["comment"]["user"]["login"] = data["sender"]["login"] = "bystander"
    result = plan(tmp_path, "issue_comment", data)
    assert result["outcome"] == "ignored" and "no feature" in result["why"]
    assert REPO in result["repository"]
