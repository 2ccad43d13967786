"""`backtest`: scoring against the staff's labels and the corpus's `kind`, per-category
precision and recall, the confusion matrix, `--compare`, and the simplified record format.
The issues are written for these tests."""

from __future__ import annotations

import json

from bot.core.rules import load_rules
from bot.runtime import backtest, cli

RULES = load_rules("rules.yaml").for_repo("pypi/support")

RECOVERY = """### PyPI Username

`quill-maker`

### Reason for request

I lost the phone that had my authenticator app.

### Recovery Codes

- [x] I never generated or have lost access to the recovery codes for my account
"""

PEP541 = """### Project to be claimed

`lantern-grid`: https://pypi.org/project/lantern-grid

### Your PyPI username

`orla-h`: https://pypi.org/user/orla-h

### Reasons for the request

Abandoned since 2014.

### Source code repositories URLs

https://example.org/orla-h/lantern-grid

### Contact and additional research

Two e-mails, no answer.
"""


def record(number, title, body, labels, kind=None, **extra):
    """A simplified record, as in the real-issue corpus: labels as names, author a login."""
    data = {
        "number": number,
        "title": title,
        "body": body,
        "labels": labels,
        "author": "someone",
        "created_at": "2025-03-01",
        "state": "closed",
    }
    if kind is not None:
        data["kind"] = kind
    data.update(extra)
    return data


ISSUES = [
    # restored: the staff's label
    record(1, "Account recovery request", RECOVERY, ["account-recovery"], "account-recovery"),
    # restored: the kind's label although staff left another (a misfiling they kept)
    record(2, "PEP 541 Request: lantern-grid", PEP541, ["account-recovery"], "pep541"),
    # wrong: a recovery form that staff left without a category, of kind "other"
    record(3, "Account recovery request", RECOVERY, [], "other"),
    # missed: staff's PEP 541 on a body that says nothing
    record(4, "Hello", "Please have a look.", ["PEP 541"], "pep541"),
    # restored: nothing expected, nothing given
    record(5, "Thanks", "Just saying thanks for PyPI.", [], "other"),
]


def test_simplified_records_become_rest_issue_objects() -> None:
    data = backtest.to_issue_object(record(7, "t", "b", ["PEP 541", "name squat"]))
    assert data["user"] == {"login": "someone", "type": "User"}
    assert data["labels"] == [{"name": "PEP 541"}, {"name": "name squat"}]
    assert data["author_association"] == "NONE" and data["comments"] == 0
    assert data["created_at"] == "2025-03-01T00:00:00Z"
    rest = {"number": 8, "user": {"login": "x"}, "labels": [{"name": "network"}]}
    assert backtest.to_issue_object(rest)["labels"] == [{"name": "network"}]


def test_scoring_follows_the_corpus_rules() -> None:
    rows = backtest.run(ISSUES, RULES, "pypi/support")
    outcome = {row.number: row.outcome for row in rows}
    assert outcome == {1: "restored", 2: "restored", 3: "wrong", 4: "missed", 5: "restored"}
    by = {row.number: row for row in rows}
    assert by[2].expected == ("account-recovery", "PEP 541")
    assert by[2].category == "PEP 541"
    s = backtest.summary(rows)
    assert (s["restored"], s["wrong_category"], s["no_category"]) == (3, 1, 1)
    assert s["restored_pct"] == 60.0 and s["wrong_pct"] == 20.0
    assert s["wrong_issues"] == {"account-recovery": [3]}
    assert s["missed_issues"] == {"PEP 541": [4]}
    # Rows: what should have been; columns: what the bot did.
    assert s["confusion"]["account-recovery"] == {"account-recovery": 1}
    assert s["confusion"]["(none)"] == {"(none)": 1, "account-recovery": 1}
    assert s["confusion"]["PEP 541"] == {"PEP 541": 1, "(none)": 1}
    recovery = s["per_category"]["account-recovery"]
    assert recovery["precision_pct"] == 50.0 and recovery["recall_pct"] == 100.0
    pep = s["per_category"]["PEP 541"]
    assert pep["precision_pct"] == 100.0 and pep["recall_pct"] == 50.0


def test_compare_lists_what_another_rules_file_changes(tmp_path) -> None:
    with open("rules.yaml", encoding="utf-8") as fh:
        text = fh.read()
    # The old rules: no PEP 541 title signal, so the free-text-ish request loses its label.
    old_text = text.replace("'(?i)pep[\\s_-]*541': 8", "'(?i)pep[\\s_-]*541': 0")
    assert old_text != text
    old_path = tmp_path / "old.yaml"
    old_path.write_text(old_text, encoding="utf-8")
    issues = [
        *ISSUES,
        record(6, "PEP 541 Request: lantern-grid", "The name, please.", [], "pep541"),
    ]
    new_rows = backtest.run(issues, RULES, "pypi/support")
    old_rows = backtest.run(issues, load_rules(old_path).for_repo("pypi/support"), "x")
    changes = backtest.compare(old_rows, new_rows)
    assert [c.number for c in changes] == [6]
    assert changes[0].to_json()["category"] == [None, "PEP 541"]
    assert changes[0].to_json()["outcome"] == ["missed", "restored"]
    text_report = backtest.report(new_rows, "rules.yaml", changes, str(old_path))
    assert "#6 'PEP 541 Request: lantern-grid': (none) -> PEP 541, missed -> restored" in (
        text_report
    )


def test_the_command_reads_simplified_records_and_prints_a_report(tmp_path, capsys) -> None:
    path = tmp_path / "issues.json"
    path.write_text(json.dumps(ISSUES), encoding="utf-8")
    assert cli.main(["backtest", str(path), "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "restored     3/5  60.0%" in out
    assert "Confusion matrix" in out
    assert "#3 'Account recovery request': staff none, kind other" in out
    assert cli.main(["backtest", str(path), "--compare", "rules.yaml"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert json.loads(lines[0])["outcome"] == "restored"
    assert json.loads(lines[-2]) == {"changes": []}
    assert json.loads(lines[-1])["summary"]["wrong_category"] == 1


def test_the_quality_benchmark_smoke_run_never_needs_the_corpus(capsys) -> None:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("triage_quality", Path("bench/triage_quality.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["/nonexistent/corpus.json", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "smoke run on the synthetic corpus" in out and "goals: restored" in out
    assert module.main(["/nonexistent/corpus.json"]) == 2
