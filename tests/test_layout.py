"""The tree shows the architecture: the core and the features decide without I/O. Importing
every one of their modules in a fresh interpreter must not bring in the HTTP stack or the
adapters and runtime that do the talking."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

PURE = ("bot/core", "bot/features")
FORBIDDEN = ("aiohttp", "gidgethub", "bot.adapters", "bot.runtime")


def pure_modules() -> list[str]:
    found = []
    for package in PURE:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found.append(module.removesuffix(".__init__"))
    return found


def test_the_core_and_the_features_import_no_io():
    modules = pure_modules()
    assert "bot.core.model" in modules and "bot.features.triage.decide" in modules
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout)
    leaks = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert leaks == []


def test_the_feature_order_is_one_explicit_list():
    from bot.features import FEATURES

    assert [f.name for f in FEATURES] == [
        "commands",
        "lifecycle",
        "triage",
        "names",
        "recovery",
    ]
