"""Extract the subset of GitHub's REST OpenAPI description that the bot's test doubles use.

Usage::

    python tests/openapi_subset.py ../shared/fixtures/openapi/api.github.com.json.gz

Reads the full description (``@octokit/openapi`` ``generated/api.github.com.json``, plain or
gzipped), keeps only the operations in ``OPERATIONS`` plus the transitive closure of the
``$ref``s they use (``#/components/...``), and writes ``tests/data/github-openapi-subset.json``
as compact JSON with sorted keys.  See ``tests/data/README.md`` for attribution.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent / "data" / "github-openapi-subset.json"

#: (method, path) pairs the fake GitHub implements and the bot may call.
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("get", "/user"),
    ("get", "/app"),
    ("post", "/app/installations/{installation_id}/access_tokens"),
    ("get", "/rate_limit"),
    ("get", "/repos/{owner}/{repo}/issues"),
    ("post", "/repos/{owner}/{repo}/issues"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("patch", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("delete", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/assignees"),
    ("delete", "/repos/{owner}/{repo}/issues/{issue_number}/assignees"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("post", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/reactions"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/events"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/timeline"),
    ("get", "/repos/{owner}/{repo}/labels"),
    ("get", "/repos/{owner}/{repo}/labels/{name}"),
    ("get", "/repos/{owner}/{repo}/collaborators/{username}/permission"),
    ("get", "/orgs/{org}/teams/{team_slug}/memberships/{username}"),
    ("get", "/search/issues"),
    ("get", "/repos/{owner}/{repo}/installation"),
    ("get", "/repos/{owner}/{repo}"),
    ("get", "/orgs/{org}/public_members/{username}"),
)

# Top-level keys of the source document copied verbatim (small, descriptive).
_COPIED_KEYS = ("openapi", "info", "servers", "externalDocs")


def _load(path: Path) -> dict[str, Any]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _refs(node: Any):
    """Yield every ``$ref`` string found anywhere inside ``node``."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _resolve_pointer(doc: dict[str, Any], ref: str) -> tuple[list[str], Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
    node: Any = doc
    for part in parts:
        node = node[part]
    return parts, node


def extract(doc: dict[str, Any]) -> dict[str, Any]:
    subset: dict[str, Any] = {k: doc[k] for k in _COPIED_KEYS if k in doc}
    paths: dict[str, Any] = {}
    for method, path in OPERATIONS:
        try:
            operation = doc["paths"][path][method]
        except KeyError:
            raise SystemExit(f"operation {method.upper()} {path} not in the description") from None
        item = paths.setdefault(path, {})
        # Path-item level parameters apply to every operation of the path.
        if "parameters" in doc["paths"][path]:
            item["parameters"] = doc["paths"][path]["parameters"]
        item[method] = operation
    subset["paths"] = paths

    components: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    pending = list(_refs(paths))
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        parts, node = _resolve_pointer(doc, ref)
        if len(parts) != 3 or parts[0] != "components":
            raise SystemExit(f"unexpected $ref shape: {ref}")
        components.setdefault(parts[1], {})[parts[2]] = node
        pending.extend(_refs(node))
    subset["components"] = components
    subset["x-subset-of"] = {
        "source": "@octokit/openapi 23.0.2 generated/api.github.com.json",
        "operations": [f"{m.upper()} {p}" for m, p in OPERATIONS],
    }
    return subset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="api.github.com.json or .json.gz")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    subset = extract(_load(args.source))
    text = json.dumps(subset, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n", encoding="utf-8")
    n_schemas = len(subset["components"].get("schemas", {}))
    print(
        f"wrote {args.output} ({len(text.encode()):,} bytes, "
        f"{len(OPERATIONS)} operations, {n_schemas} schemas)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
