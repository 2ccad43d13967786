"""Check HTTP requests and responses against GitHub's REST OpenAPI description.

Only the subset in ``tests/data/github-openapi-subset.json`` (see ``openapi_subset.py``) is
known.  Schemas are validated with ``openapi_schema_validator.OAS30Validator`` (so ``nullable``,
``oneOf``/``anyOf`` and ``discriminator`` behave as that validator implements them); ``$ref``s
resolve through a ``referencing`` registry holding the whole subset document.

Usage::

    contract = Contract.load()          # cached, loads the subset once per process
    contract.match("GET", "/repos/o/r/issues/1")   # -> (operation, {"owner": "o", ...})
    contract.check_request("POST", "/repos/o/r/issues/1/labels", {}, {"labels": "bug"})
    contract.check_response("GET", "/repos/o/r/labels", 200, [...])
"""

from __future__ import annotations

import copy
import json
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from jsonschema import FormatChecker
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SUBSET_PATH = Path(__file__).resolve().parent / "data" / "github-openapi-subset.json"
_BASE_URI = "urn:github-openapi-subset"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# How many schema errors to report per validated document (the first few are enough).
_MAX_ERRORS = 5


class Problem(NamedTuple):
    """One contract violation; ``kind`` lets callers react (e.g. the fake answers 422)."""

    kind: str  # "route", "method", "path", "query", "body", "response"
    message: str

    def __str__(self) -> str:
        return self.message


def _format_checker() -> FormatChecker:
    """OAS 3.0 formats plus ``date-time`` and ``uri`` (to catch malformed fake data)."""
    checker = FormatChecker(formats=())
    checker.checkers = dict(oas30_format_checker.checkers)

    from rfc3339_validator import validate_rfc3339

    @checker.checks("date-time")
    def _date_time(instance: object) -> bool:
        return not isinstance(instance, str) or bool(validate_rfc3339(instance))

    @checker.checks("uri")
    def _uri(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        parts = urllib.parse.urlsplit(instance)
        return bool(parts.scheme and (parts.netloc or parts.path)) and " " not in instance

    return checker


def _pointer_escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


@dataclass
class _Route:
    template: str
    regex: re.Pattern[str]
    param_names: tuple[str, ...]
    literal_segments: int
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    path_item: dict[str, Any] = field(default_factory=dict)


def _compile_template(template: str) -> tuple[re.Pattern[str], tuple[str, ...], int]:
    names: list[str] = []
    pattern = ""
    literals = 0
    for segment in template.strip("/").split("/"):
        m = re.fullmatch(r"\{([^}]+)\}", segment)
        if m:
            names.append(m.group(1))
            pattern += "/([^/]+)"
        else:
            literals += 1
            pattern += "/" + re.escape(segment)
    return re.compile(pattern or "/"), tuple(names), literals


class Contract:
    """The REST contract for the operations in the subset."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        spec = _allow_null_in_nullable_enums(copy.deepcopy(dict(spec)))
        self.spec = spec
        resource = Resource.from_contents(spec, default_specification=DRAFT4)
        self._registry = Registry().with_resource(_BASE_URI, resource)
        self._format_checker = _format_checker()
        self._validators: dict[str, Any] = {}
        routes = []
        for template, item in spec["paths"].items():
            regex, names, literals = _compile_template(template)
            route = _Route(template, regex, names, literals, path_item=item)
            route.operations = {m: op for m, op in item.items() if m in _METHODS}
            routes.append(route)
        # Prefer the most specific template: /issues/comments/{id} before /issues/{n}/...
        routes.sort(key=lambda r: (-r.literal_segments, r.template))
        self._routes = routes

    # -- loading -------------------------------------------------------------------------------

    _cached: Contract | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> Contract:
        """Load the subset (cached at class level when using the default path)."""
        if path is not None:
            return cls(json.loads(Path(path).read_text(encoding="utf-8")))
        if cls._cached is None:
            cls._cached = cls(json.loads(SUBSET_PATH.read_text(encoding="utf-8")))
        return cls._cached

    # -- routing -------------------------------------------------------------------------------

    @cached_property
    def operations(self) -> frozenset[tuple[str, str]]:
        """``{(METHOD, template)}`` for every operation in the subset."""
        return frozenset(
            (method.upper(), route.template)
            for route in self._routes
            for method in route.operations
        )

    def _match_path(self, path: str) -> tuple[_Route, dict[str, str]] | None:
        path = urllib.parse.urlsplit(path).path if "?" in path or "://" in path else path
        if len(path) > 1:
            path = path.rstrip("/")
        for route in self._routes:
            m = route.regex.fullmatch(path)
            if m:
                params = {
                    name: urllib.parse.unquote(value)
                    for name, value in zip(route.param_names, m.groups(), strict=True)
                }
                return route, params
        return None

    def match(self, method: str, path: str) -> tuple[dict[str, Any], dict[str, str]] | None:
        """Return ``(operation, path_params)`` for a concrete request path, else ``None``.

        ``path`` may be percent-encoded (as sent on the wire); parameters come back decoded.
        """
        found = self._match_path(path)
        if found is None:
            return None
        route, params = found
        operation = route.operations.get(method.lower())
        if operation is None:
            return None
        return operation, params

    def template_for(self, method: str, path: str) -> str | None:
        found = self._match_path(path)
        if found is None or method.lower() not in found[0].operations:
            return None
        return found[0].template

    # -- $ref helpers --------------------------------------------------------------------------

    def _deref(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, Mapping) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"unsupported $ref {ref!r}")
            target: Any = self.spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
            seen += 1
            if seen > 50:
                raise ValueError(f"$ref loop at {ref!r}")
        return node

    def _parameters(self, route: _Route, method: str) -> dict[tuple[str, str], dict[str, Any]]:
        params: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in [
            *route.path_item.get("parameters", []),
            *route.operations[method].get("parameters", []),
        ]:
            prm = self._deref(raw)
            params[(prm["in"], prm["name"])] = prm
        return params

    def _validator(self, pointer: str) -> Any:
        validator = self._validators.get(pointer)
        if validator is None:
            validator = OAS30Validator(
                {"$ref": f"{_BASE_URI}#{pointer}"},
                registry=self._registry,
                format_checker=self._format_checker,
            )
            self._validators[pointer] = validator
        return validator

    def _schema_errors(self, pointer: str, instance: Any) -> Iterator[str]:
        errors = sorted(
            self._validator(pointer).iter_errors(instance),
            key=lambda e: (list(e.absolute_path).__repr__(), e.message),
        )
        for error in errors[:_MAX_ERRORS]:
            message = f"{error.json_path}: {_shorten(error.message)}"
            if error.context:  # oneOf/anyOf: say which branch came closest, and why
                closest = best_match(error.context)
                message += f" (closest: {closest.json_path}: {_shorten(closest.message, 160)})"
            yield message
        if len(errors) > _MAX_ERRORS:
            yield f"... and {len(errors) - _MAX_ERRORS} more schema errors"

    # -- checks --------------------------------------------------------------------------------

    def request_problems(
        self, method: str, path: str, query: Mapping[str, str], body: Any | None
    ) -> list[Problem]:
        """Like :meth:`check_request` but each violation carries its ``kind``."""
        label = f"{method.upper()} {path.split('?', 1)[0]}"
        found = self._match_path(path)
        if found is None:
            return [Problem("route", f"{label}: no such route in the GitHub REST API subset")]
        route, path_values = found
        m = method.lower()
        if m not in route.operations:
            allowed = ", ".join(sorted(x.upper() for x in route.operations))
            return [
                Problem(
                    "method",
                    f"{label}: method not allowed for {route.template} (allowed: {allowed})",
                )
            ]
        operation = route.operations[m]
        problems: list[Problem] = []
        params = self._parameters(route, m)
        base = f"/paths/{_pointer_escape(route.template)}/{m}"

        for name, raw in path_values.items():
            prm = params.get(("path", name))
            if prm is None:
                continue
            value, error = _coerce(raw, prm.get("schema", {}), self)
            if error is None:
                error = next(self._param_errors(prm, value), None)
            if error is not None:
                problems.append(Problem("path", f"{label}: path parameter {name}={raw!r}: {error}"))

        for name, raw in query.items():
            prm = params.get(("query", name))
            if prm is None:
                problems.append(Problem("query", f"{label}: unknown query parameter {name!r}"))
                continue
            value, error = _coerce(raw, prm.get("schema", {}), self)
            if error is None:
                error = next(self._param_errors(prm, value), None)
            if error is not None:
                problems.append(
                    Problem("query", f"{label}: query parameter {name}={raw!r}: {error}")
                )
        for (where, name), prm in params.items():
            if where == "query" and prm.get("required") and name not in query:
                problems.append(
                    Problem("query", f"{label}: missing required query parameter {name!r}")
                )

        request_body = operation.get("requestBody")
        if request_body is None:
            if body is not None:
                problems.append(
                    Problem("body", f"{label}: request body sent but the operation takes none")
                )
            return problems
        request_body = self._deref(request_body)
        if body is None:
            if request_body.get("required"):
                problems.append(Problem("body", f"{label}: required request body missing"))
            return problems
        if "application/json" not in request_body.get("content", {}):
            problems.append(Problem("body", f"{label}: operation takes no JSON body"))
            return problems
        pointer = _body_schema_pointer(self.spec, base)
        problems.extend(
            Problem("body", f"{label}: request body {msg}")
            for msg in self._schema_errors(pointer, body)
        )
        return problems

    def _param_errors(self, prm: Mapping[str, Any], value: Any) -> Iterator[str]:
        schema = prm.get("schema")
        if not schema:
            return
        validator = OAS30Validator(
            schema, registry=self._registry, format_checker=self._format_checker
        )
        for error in validator.iter_errors(value):
            yield _shorten(error.message)

    def check_request(
        self, method: str, path: str, query: Mapping[str, str], body: Any | None
    ) -> list[str]:
        """Violations of the documented request shape (empty list when the request is fine).

        Checks: known route and method, path parameter types, query parameters known and valid
        (values are strings, coerced per the parameter schema), required query parameters,
        request body against the ``requestBody`` JSON schema, and no body where none is taken.
        """
        return [p.message for p in self.request_problems(method, path, query, body)]

    def check_response(self, method: str, path: str, status: int, body: Any | None) -> list[str]:
        """Violations of the documented response for ``status`` (if that status is documented).

        A 2xx status that is not documented for the operation is itself a violation; other
        undocumented statuses (401, 403 rate limits, 5xx, ...) are not checked.
        """
        label = f"{method.upper()} {path.split('?', 1)[0]} -> {status}"
        found = self._match_path(path)
        m = method.lower()
        if found is None or m not in found[0].operations:
            return []
        route = found[0]
        responses = route.operations[m].get("responses", {})
        key = str(status)
        if key not in responses:
            wildcard = f"{key[0]}XX"
            if wildcard in responses:
                key = wildcard
            elif "default" in responses:
                key = "default"
            elif 200 <= status < 300:
                documented = ", ".join(sorted(responses))
                return [f"{label}: status not documented (documented: {documented})"]
            else:
                return []
        response = self._deref(responses[key])
        content = response.get("content") or {}
        if "application/json" not in content:
            # GitHub answers errors with a JSON message even where none is documented (e.g.
            # the 404 of team memberships), so only successes must match "no body".
            if status < 400 and body not in (None, b"", ""):
                return [f"{label}: body sent but the documented response has none"]
            return []
        if "schema" not in content["application/json"]:
            return []
        if body is None:
            return [f"{label}: documented JSON body missing"]
        pointer = _response_schema_pointer(self.spec, route.template, m, key)
        return [f"{label}: response body {msg}" for msg in self._schema_errors(pointer, body)]


def _allow_null_in_nullable_enums(node: Any) -> Any:
    """OAS 3.0.3: "``nullable: true`` adds null to the allowed values".  The validator's ``enum``
    keyword does not know that, so GitHub's ``state_reason: {enum: [...], nullable: true}``
    would reject ``null``; add ``None`` to such enums (in place)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            enum = item.get("enum")
            if item.get("nullable") is True and isinstance(enum, list) and None not in enum:
                item["enum"] = [*enum, None]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return node


def _shorten(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def _body_schema_pointer(spec: Mapping[str, Any], operation_pointer: str) -> str:
    """JSON pointer to the requestBody's JSON schema, following a ``$ref``'d requestBody."""
    operation = _at(spec, operation_pointer)
    request_body = operation["requestBody"]
    pointer = f"{operation_pointer}/requestBody"
    if "$ref" in request_body:
        pointer = request_body["$ref"][1:]
    return f"{pointer}/content/application~1json/schema"


def _response_schema_pointer(spec: Mapping[str, Any], template: str, method: str, key: str) -> str:
    pointer = f"/paths/{_pointer_escape(template)}/{method}/responses/{key}"
    node = _at(spec, pointer)
    while "$ref" in node:
        pointer = node["$ref"][1:]
        node = _at(spec, pointer)
    return f"{pointer}/content/application~1json/schema"


def _at(spec: Mapping[str, Any], pointer: str) -> Any:
    node: Any = spec
    for part in pointer.lstrip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _coerce(raw: str, schema: Mapping[str, Any], contract: Contract) -> tuple[Any, str | None]:
    """Turn a path/query string into the JSON value its schema expects."""
    schema = contract._deref(schema)
    kind = schema.get("type")
    if kind == "integer":
        if re.fullmatch(r"-?\d+", raw or ""):
            return int(raw), None
        return raw, f"{raw!r} is not an integer"
    if kind == "number":
        try:
            return float(raw), None
        except ValueError:
            return raw, f"{raw!r} is not a number"
    if kind == "boolean":
        if raw in ("true", "false"):
            return raw == "true", None
        return raw, f"{raw!r} is not a boolean"
    if kind == "array":
        return raw.split(","), None
    return raw, None


_contract: Contract | None = None


def get_contract() -> Contract:
    """The module-level cached :class:`Contract` for the default subset file."""
    global _contract
    if _contract is None:
        _contract = Contract.load()
    return _contract
