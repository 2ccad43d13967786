"""Triage quality on the real development set: how often the bot restores the staff's category.

Runs `backtest` (blind: every label the rules know is removed, as if each issue were filed
anew) over the real pypi/support issues in the shared corpus, scored as that corpus's README
says: **restored** when the bot adds the category label staff left or the one the issue's
`kind` maps to (no category label when neither exists), **wrong** when it adds a category label
that is neither. Prints those figures against the goals (at least 97% restored, at most 1%
wrong), per-category precision and recall, the confusion matrix, the issues behind each wrong
label and the verification requests the bot would make. Usage:

    python bench/triage_quality.py [CORPUS.json] [--rules RULES] [--compare OLD_RULES]
    python bench/triage_quality.py --quick   # CI smoke run: never fails for a missing corpus

The default corpus is ../shared/corpus/pypi_support_real.json (beside the repository). With
--quick and no corpus, the smoke run uses the project's synthetic corpus instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.rules import load_rules
from bot.runtime import backtest

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_CORPUS = "../shared/corpus/pypi_support_real.json"
SYNTHETIC = ROOT / "tests" / "corpus" / "issues.json"
GOAL_RESTORED, GOAL_WRONG = 97.0, 1.0


def find_corpus(given: str) -> Path | None:
    path = Path(given)
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, ROOT / path]
    return next((p.resolve() for p in candidates if p.is_file()), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS, help="the issues (JSON)")
    parser.add_argument("--rules", default=str(ROOT / "rules.yaml"), help="rules file")
    parser.add_argument("--compare", metavar="OLD_RULES", help="list what changes against these")
    parser.add_argument("--repo", default="pypi/support", help="the rules' repository")
    parser.add_argument("--quick", action="store_true", help="CI smoke run")
    args = parser.parse_args(argv)

    corpus = find_corpus(args.corpus)
    if corpus is None:
        if not args.quick:
            print(f"error: no corpus at {args.corpus}", file=sys.stderr)
            return 2
        print(f"(no corpus at {args.corpus}: smoke run on the synthetic corpus)")
        corpus = SYNTHETIC
    issues = json.loads(corpus.read_text(encoding="utf-8"))
    rules = load_rules(args.rules).for_repo(args.repo)
    if rules is None:
        print(f"error: {args.rules} has no rules for {args.repo}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    rows = backtest.run(issues, rules, args.repo)
    elapsed = time.perf_counter() - started
    changes = None
    if args.compare:
        old = load_rules(args.compare).for_repo(args.repo)
        changes = backtest.compare(backtest.run(issues, old, args.repo), rows)
    print(backtest.report(rows, f"{args.rules} on {corpus}", changes, args.compare), end="")
    s = backtest.summary(rows)
    restored_ok = (s["restored_pct"] or 0) >= GOAL_RESTORED
    wrong_ok = (s["wrong_pct"] or 0) <= GOAL_WRONG
    print()
    print(
        f"goals: restored {s['restored_pct']}% (goal >= {GOAL_RESTORED}%: "
        f"{'met' if restored_ok else 'NOT met'}), wrong {s['wrong_pct']}% "
        f"(goal <= {GOAL_WRONG}%: {'met' if wrong_ok else 'NOT met'}); "
        f"{len(rows)} issues in {elapsed:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
