"""A small strict schema over PyYAML's node tree, so every error can name its line.

Specs turn YAML nodes into Python values (dataclasses, tuples, compiled patterns) and collect
`Problem`s instead of stopping at the first, so `bot check` reports every mistake at once.

`spec_for(SomeDataclass)` derives the spec from the dataclass's annotations, so a key is declared
once, as a field with its type and default. Constraints a type cannot say are `Annotated`
metadata (`Min`, `OneOf`, `Placeholders`); a check across fields is the dataclass's
`validate(self) -> str | None` method.
"""

from __future__ import annotations

import dataclasses
import difflib
import string
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import yaml

from bot.core.patterns import Pattern, PatternError, compile_pattern


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    message: str


class Problems(list[Problem]):
    def add(self, node: yaml.Node | None, message: str) -> None:
        self.append(Problem(node.start_mark.line + 1 if node is not None else 1, message))


_INVALID = object()  # a value that failed validation; its problem is already recorded


class Spec:
    what = "a value"  # what the spec takes, as a message says it: "expected {what}"
    plural = "values"  # the same, several: "a list of {plural}"

    def __init__(self, *, name: str | None = None) -> None:
        self.name = name  # the key whose value this is; a message about its kind names it

    def load(self, node: yaml.Node, problems: Problems) -> Any:
        raise NotImplementedError

    def refuse(self, node: yaml.Node, problems: Problems, message: str) -> Any:
        """Record why `node` is not a value for this key, naming the key; returns _INVALID."""
        problems.add(node, f"{self.name}: {message}" if self.name else message)
        return _INVALID

    def expected(
        self, node: yaml.Node, problems: Problems, detail: str = "", what: str | None = None
    ) -> Any:
        return self.refuse(node, problems, f"expected {what or self.what}{detail}")


def _scalar(node: yaml.Node, problems: Problems, spec: Spec) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return spec.expected(node, problems)
    try:
        return _CONSTRUCTOR.construct_object(node)
    except yaml.YAMLError:  # a tag the safe loader does not know, such as !!python/...
        return spec.expected(node, problems, f", not a value tagged {node.tag}")


_CONSTRUCTOR = yaml.SafeLoader("")  # only its scalar constructors are used


class Str(Spec):
    def __init__(self, choices: tuple[str, ...] = (), *, name: str | None = None) -> None:
        super().__init__(name=name)
        self.choices = choices
        if choices:
            self.what = "one of " + ", ".join(choices)
            self.plural = "strings, each " + self.what
        else:
            self.what, self.plural = "a string", "strings"

    def load(self, node: yaml.Node, problems: Problems) -> Any:
        value = _scalar(node, problems, self)
        if value is _INVALID:
            return value
        if value is None or isinstance(value, bool | dict | list):
            return self.expected(node, problems)
        value = str(value)
        if self.choices and value not in self.choices:
            return self.refuse(node, problems, f"{value!r} is not {self.what}")
        if not value.strip():
            return self.expected(node, problems, what="a non-empty string")
        return value


class Template(Str):
    """A reply text with `{placeholder}` fields from a fixed set."""

    def __init__(self, fields: frozenset[str], *, name: str | None = None) -> None:
        super().__init__(name=name)
        self.fields = fields

    def load(self, node: yaml.Node, problems: Problems) -> Any:
        value = super().load(node, problems)
        if value is _INVALID:
            return value
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as exc:
            problems.add(node, f"bad reply template: {exc} (write {{{{ and }}}} for braces)")
            return _INVALID
        for name in sorted(names - self.fields):
            problems.add(
                node,
                f"unknown placeholder {{{name}}} in reply; known: "
                + ", ".join("{" + f + "}" for f in sorted(self.fields)),
            )
        return value if names <= self.fields else _INVALID


class Num(Spec):
    def __init__(
        self, minimum: float | None = 0, integer: bool = False, *, name: str | None = None
    ) -> None:
        super().__init__(name=name)
        self.minimum = minimum
        self.integer = integer
        self.what = "an integer" if integer else "a number"
        self.plural = "integers" if integer else "numbers"

    def load(self, node: yaml.Node, problems: Problems) -> Any:
        value = _scalar(node, problems, self)
        if value is _INVALID:
            return value
        ok = isinstance(value, int) if self.integer else isinstance(value, int | float)
        if not ok or isinstance(value, bool):
            return self.expected(node, problems, f", got {node.value!r}")
        if self.minimum is not None and value < self.minimum:
            return self.refuse(node, problems, f"must be at least {self.minimum}")
        return value


class Bool(Spec):
    what = "true or false"
    plural = "true or false values"

    def load(self, node: yaml.Node, problems: Problems) -> Any:
        value = _scalar(node, problems, self)
        if value is not _INVALID and not isinstance(value, bool):
            return self.expected(node, problems, f", got {node.value!r}")
        return value


class Regex(Str):
    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self.what, self.plural = "a regular expression", "regular expressions"

    def load(self, node: yaml.Node, problems: Problems) -> Any:
        value = super().load(node, problems)
        if value is _INVALID:
            return value
        try:
            return compile_pattern(value)
        except PatternError as exc:
            problems.add(node, f"bad regular expression {value!r}: {exc}")
            return _INVALID


class ListOf(Spec):
    def __init__(self, item: Spec, scalar_ok: bool = True, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self.item = item
        self.scalar_ok = scalar_ok  # a single item may be written without the list
        self.what = f"a list of {item.plural}"
        self.plural = f"lists of {item.plural}"

    def load(self, node: yaml.Node, problems: Problems) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.value == "" and node.tag.endswith("null"):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            if self.scalar_ok and isinstance(node, yaml.ScalarNode):
                value = self.item.load(node, problems)
                return _INVALID if value is _INVALID else (value,)
            return self.expected(node, problems)
        values = tuple(self.item.load(child, problems) for child in node.value)
        return _INVALID if any(v is _INVALID for v in values) else values


def _mapping_items(
    node: yaml.Node, problems: Problems, spec: Spec
) -> list[tuple[yaml.Node, yaml.Node]] | None:
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith("null"):
        return []
    if not isinstance(node, yaml.MappingNode):
        spec.expected(node, problems)
        return None
    seen: dict[str, int] = {}
    for key, _ in node.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if name is None:
            problems.add(key, "keys must be plain strings")
        elif name in seen:
            problems.add(key, f"duplicate key {name!r} (first on line {seen[name]})")
        else:
            seen[name] = key.start_mark.line + 1
    return node.value


class MapOf(Spec):
    """A mapping with free keys, e.g. reply name -> text."""

    def __init__(self, key: Spec, value: Spec, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self.key = key
        self.value = value
        self.what = f"a mapping of {key.plural} to {value.plural}"
        self.plural = f"mappings of {key.plural} to {value.plural}"

    def load(self, node: yaml.Node, problems: Problems) -> Any:
        items = _mapping_items(node, problems, self)
        if items is None:
            return _INVALID
        out = {}
        failed = False
        for key_node, value_node in items:
            key = self.key.load(key_node, problems)
            value = self.value.load(value_node, problems)
            if key is _INVALID or value is _INVALID:
                failed = True
            else:
                out[key] = value
        # Like a list, the mapping fails as a whole: a half-loaded mapping would only cause
        # follow-on errors (an undefined reply, no repositories) that hide the real one.
        return _INVALID if failed else out


class Obj(Spec):
    """A mapping with fixed keys, loaded into a dataclass. Keys are the dataclass's field names;
    a field without a default is required. `check` returns a problem message or None."""

    what = "a mapping of keys to values"
    plural = "mappings of keys to values"

    def __init__(
        self,
        cls: type,
        fields: Mapping[str, Spec],
        check: Callable[[Any], str | None] | None = None,
        *,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name)
        self.cls = cls
        self.fields = dict(fields)
        self.check = check
        declared = {f.name for f in dataclasses.fields(cls)}
        assert set(self.fields) <= declared, set(self.fields) - declared

    def load(self, node: yaml.Node, problems: Problems) -> Any:
        items = _mapping_items(node, problems, self)
        if items is None:
            return _INVALID
        values: dict[str, Any] = {}
        failed = False
        for key_node, value_node in items:
            name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if name not in self.fields:
                close = difflib.get_close_matches(str(name), list(self.fields), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.add(
                    key_node,
                    f"unknown key {name!r}{hint}; allowed: " + ", ".join(self.fields),
                )
                failed = True
                continue
            value = self.fields[name].load(value_node, problems)
            if value is _INVALID:
                failed = True
            else:
                values[name] = value
        for field in dataclasses.fields(self.cls):
            if (
                field.name in self.fields
                and field.name not in values
                and field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
                and not failed
            ):
                problems.add(node, f"missing required key {field.name!r}")
                failed = True
        if failed:
            return _INVALID
        value = self.cls(**values)
        if self.check is not None:
            message = self.check(value)
            if message:
                problems.add(node, message)
                return _INVALID
        return value


# --- specs derived from type annotations ------------------------------------------------


@dataclass(frozen=True)
class Min:
    """`Annotated[int, Min(1)]`: the least a number may be. Without it a number must be at
    least 0; `Min(None)` lets it be anything, negative too (a score that counts against)."""

    value: float | None


@dataclass(frozen=True)
class OneOf:
    """`Annotated[str, OneOf(("a", "b"))]`: the string must be one of these."""

    choices: tuple[str, ...]


@dataclass(frozen=True)
class Placeholders:
    """`Annotated[str, Placeholders(names)]`: a reply text; its `{placeholder}`s must be among
    `names`, and literal braces are written `{{` and `}}`."""

    names: frozenset[str]


def spec_for(tp: Any) -> Spec:
    """The spec for a type annotation:

    - `str` is a non-empty string (`OneOf`: one of some choices; `Placeholders`: a reply text),
      `bool` true or false, `int` an integer and `float` any number (at least 0 unless `Min`
      says otherwise), `Pattern` an RE2 regular expression;
    - `tuple[X, ...]` is a list of X; a single scalar X may be written without the list (a
      list of dataclasses is always written as a list);
    - `dict[K, V]` is a mapping with free keys, each a K, to values, each a V;
    - a dataclass is a mapping with its `init` fields as keys; a field without a default is
      required, and a `validate(self) -> str | None` method checks the loaded value;
    - `X | None` is X; None can only be the default, for a key left out.

    Anything else is a TypeError, so a rules dataclass cannot declare a key the loader can't read.
    """
    return _spec(tp, (), None)


def _spec(tp: Any, constraints: tuple[Any, ...], name: str | None) -> Spec:
    """`name` is the key whose value `tp` is: its items and its mapping's keys and values are
    that key's too, so a message about any of their types names it."""
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return _spec(args[0], (*constraints, *tp.__metadata__), name)
    if origin in (Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1 or len(args) != 2:
            raise TypeError(f"no spec for {tp!r}: the only union allowed is X | None")
        return _spec(rest[0], constraints, name)

    def only(*kinds: type) -> None:
        extra = [c for c in constraints if not isinstance(c, kinds)]
        if extra:
            raise TypeError(f"{extra[0]!r} does not apply to {tp!r}")

    def pick(kind: type) -> Any:
        return next((c for c in reversed(constraints) if isinstance(c, kind)), None)

    if tp is bool:
        only()
        return Bool(name=name)
    if tp is str:
        only(OneOf, Placeholders)
        choices, placeholders = pick(OneOf), pick(Placeholders)
        if placeholders is not None:
            if choices is not None:
                raise TypeError("a string is either OneOf choices or a reply text, not both")
            return Template(placeholders.names, name=name)
        return Str(choices.choices if choices is not None else (), name=name)
    if tp is int or tp is float:
        only(Min)
        minimum = pick(Min)
        return Num(minimum=0 if minimum is None else minimum.value, integer=tp is int, name=name)
    if tp is Pattern:
        only()
        return Regex(name=name)
    if origin is tuple:
        only()
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"no spec for {tp!r}: a list is tuple[X, ...]")
        item = _spec(args[0], (), name)
        return ListOf(item, scalar_ok=not isinstance(item, Obj), name=name)
    if origin is dict:
        only()
        return MapOf(_spec(args[0], (), name), _spec(args[1], (), name), name=name)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        only()
        hints = get_type_hints(tp, include_extras=True)
        fields = {
            f.name: _spec(hints[f.name], (), f.name) for f in dataclasses.fields(tp) if f.init
        }
        return Obj(tp, fields, check=getattr(tp, "validate", None), name=name)
    raise TypeError(f"no spec for {tp!r}")


def load_document(text: str, spec: Spec) -> tuple[Any, Problems]:
    """Parse YAML text and load it with a spec. Returns (value or None, problems)."""
    problems = Problems()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(line, f"not valid YAML: {reason}"))
        return None, problems
    except Exception as exc:  # e.g. a recursion error on absurd nesting
        problems.append(Problem(1, f"not valid YAML: {exc}"))
        return None, problems
    if node is None:
        problems.append(Problem(1, "the rules file is empty"))
        return None, problems
    value = spec.load(node, problems)
    return (None if value is _INVALID else value), problems
