from __future__ import annotations

import time

import pytest

from bot.core.names import (
    NameIndex,
    NameIndexCorrupt,
    extract_requested_name,
    extract_username,
    is_valid_project_name,
    normalize,
    stdlib_module,
    ultranormalize,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Foo_Bar", "foo-bar"),
        ("foo.-_bar", "foo-bar"),
        ("Django", "django"),
        ("zope.interface", "zope-interface"),
        ("a__b..c", "a-b-c"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_ultranormalize_collisions() -> None:
    assert ultranormalize("flask-plus") == ultranormalize("FlaskPlus") == "f1askp1us"
    assert ultranormalize("nsbi") == ultranormalize("nsbl") == ultranormalize("NSBI")
    assert ultranormalize("f.o_o-") == "f00"
    assert ultranormalize("Oil") == "011"
    assert ultranormalize("requests") != ultranormalize("request")


@pytest.mark.parametrize(
    "name", ["a", "A1", "foo-bar", "foo.bar_baz", "0", "x-1", "Django", "zope.interface"]
)
def test_valid_names(name: str) -> None:
    assert is_valid_project_name(name)


@pytest.mark.parametrize(
    "name", ["", "-foo", "foo-", ".foo", "foo_", "foo bar", "fo/o", "föo", "foo\n", "foo@1"]
)
def test_invalid_names(name: str) -> None:
    assert not is_valid_project_name(name)


def test_stdlib_modules() -> None:
    assert stdlib_module("asyncio") is not None
    assert stdlib_module("Asyncio") is not None
    assert stdlib_module("thread") is not None  # via _thread
    assert stdlib_module("future") is not None  # via __future__
    assert stdlib_module("os") is not None
    assert stdlib_module("requests") is None
    assert stdlib_module("") is None
    assert stdlib_module("l0gging") is None
    assert stdlib_module("l0gging", similar=True) is not None
    assert stdlib_module("LOGGING", similar=True) is not None


# Names PyPI refuses that a running interpreter's `sys.stdlib_module_names` does not hold:
# Python 2 modules, modules removed since (on 3.12+, `distutils` and `imp` are gone too),
# the test package, `__main__`, and dotted submodules. The answer must not depend on which
# Python runs the bot.
@pytest.mark.parametrize(
    "name, module",
    [
        ("urllib2", "urllib2"),
        ("sets", "sets"),
        ("test", "test"),
        ("xml.etree", "xml.etree"),
        ("xml-etree", "xml.etree"),
        ("XML_Etree", "xml.etree"),
        ("distutils.command", "distutils.command"),
        ("distutils", "distutils"),
        ("imp", "imp"),
        ("main", "__main__"),
        ("Tkinter", "Tkinter"),
    ],
)
def test_stdlib_names_of_every_python_version(name: str, module: str) -> None:
    assert stdlib_module(name) == module


def test_ordinary_names_are_not_stdlib() -> None:
    for name in ("requests", "xml-etree-plus", "testing-tools", "mainframe", "distutils-extra"):
        assert stdlib_module(name) is None, name


NAMES = ["Flask-Plus", "FlaskPlus", "nsbi", "Django", "requests", "zope.interface", "Oil"]


@pytest.fixture
def index() -> NameIndex:
    return NameIndex.build(NAMES)


def test_index_basics(index: NameIndex) -> None:
    assert len(index) == len(NAMES)
    assert sorted(index) == sorted(NAMES)
    assert index.exists("django") and index.exists("DJANGO") and "Django" in index
    assert index.exists("zope_interface") and index.exists("Zope-Interface")
    assert not index.exists("flask") and not index.exists("") and not index.exists("nsbl")
    assert index.canonical("zope-interface") == "zope.interface"
    assert index.canonical("flask_plus") == "Flask-Plus"
    assert index.canonical("unknown") is None
    assert 42 not in index


def test_index_similar(index: NameIndex) -> None:
    assert index.similar("flask-plus") == ["FlaskPlus"]
    assert index.similar("FLASKPLUS") == ["Flask-Plus"]
    assert index.similar("flask.p1us") == ["Flask-Plus", "FlaskPlus"]
    assert index.similar("nsbl") == ["nsbi"]
    assert index.similar("nsbi") == []
    assert index.similar("0IL") == ["Oil"]
    assert index.similar("brand-new") == []


def test_index_duplicates_keep_first_spelling() -> None:
    index = NameIndex.build(["Foo_Bar", "", "foo-bar", "FOO.BAR", "other"])
    assert len(index) == 2
    assert index.canonical("foo.bar") == "Foo_Bar"


def test_empty_index() -> None:
    index = NameIndex.build([])
    assert len(index) == 0
    assert not index.exists("x") and index.similar("x") == [] and index.canonical("x") is None
    assert len(NameIndex()) == 0


def test_index_lookup_speed() -> None:
    names = [f"pkg-{i}-{chr(97 + i % 26)}" for i in range(20_000)]
    index = NameIndex.build(names)
    start = time.perf_counter()
    for name in names[:2000]:
        assert index.exists(name)
    assert (time.perf_counter() - start) / 2000 < 1e-3


def test_save_load_roundtrip(tmp_path, index: NameIndex) -> None:
    index.etag = '"abc"'
    path = tmp_path / "names.idx"
    index.save(path)
    loaded = NameIndex.load(path)
    assert list(loaded) == list(index)
    assert loaded.etag == '"abc"'
    assert loaded.similar("nsbl") == ["nsbi"]
    assert loaded.canonical("FLASK_PLUS") == "Flask-Plus"
    assert [p.name for p in tmp_path.iterdir()] == ["names.idx"]  # no temp files left


def test_save_load_empty(tmp_path) -> None:
    path = tmp_path / "empty.idx"
    NameIndex().save(path)
    assert len(NameIndex.load(path)) == 0


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b"",
        lambda b: b"not an index at all",
        lambda b: b[:-1],
        lambda b: b + b"x",
        lambda b: b[:-3] + bytes([b[-3] ^ 1]) + b[-2:],
        lambda b: b[:20] + b"\xff" * 4 + b[24:],
        lambda b: b.replace(b'"version":1', b'"version":9'),
        lambda b: b.replace(b'"sizes":[', b'"sizes":[1,'),
    ],
)
def test_load_rejects_corrupt_files(tmp_path, index: NameIndex, mangle) -> None:
    path = tmp_path / "names.idx"
    index.save(path)
    path.write_bytes(mangle(path.read_bytes()))
    with pytest.raises(NameIndexCorrupt):
        NameIndex.load(path)


def test_load_missing_file(tmp_path) -> None:
    with pytest.raises(OSError):
        NameIndex.load(tmp_path / "nope.idx")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("`foo-bar`: https://pypi.org/project/foo-bar/", "foo-bar"),
        ("https://pypi.org/project/Foo_Bar", "Foo_Bar"),
        ("https://pypi.org/project/Foo_Bar/1.0/", "Foo_Bar"),
        ("pypi.org/p/foo", "foo"),
        ("https://test.pypi.org/project/foo/", "foo"),
        ("https://pypi.python.org/pypi/oldthing", "oldthing"),
        ("See https://pypi.org/project/foo.", "foo"),
        ("PEP 541 Request: foo-bar", "foo-bar"),
        ("PEP 541 request - foo (abandoned)", "foo"),
        ("[PEP 541] foo", "foo"),
        ("PEP 541 Request: `foo`", "foo"),
        ("File Limit Request: foo - 200 MiB", "foo"),
        ("Project Limit Request: big.thing - 10 GiB", "big.thing"),
        ("Limit request for torch-xyz", "torch-xyz"),
        ("foo-bar", "foo-bar"),
        ("  `foo-bar`  ", "foo-bar"),
        ("foo-bar\n\nThe owner is gone.", "foo-bar"),
        ("`PROJECT_NAME`: https://pypi.org/project/realname/", "realname"),
        ("`realname`: https://pypi.org/project/PROJECT_NAME/", "realname"),
        ("`PROJECT_NAME`: https://pypi.org/project/PROJECT_NAME/", None),
        ("PEP 541 Request: PROJECT_NAME", None),
        ("File Limit Request: PROJECT_NAME - 000 MiB", None),
        ("PROJECT_NAME", None),
        ("_No response_", None),
        ("", None),
        ("I would like to take over this name", None),
        ("https://github.com/alice/foo", None),
        ("-", None),
    ],
)
def test_extract_requested_name(text: str, expected: str | None) -> None:
    assert extract_requested_name(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("`alice`: https://pypi.org/user/alice/", "alice"),
        ("https://pypi.org/user/alice", "alice"),
        ("https://pypi.org/user/Bob.Smith/", "Bob.Smith"),
        ("alice", "alice"),
        ("@alice", "alice"),
        ("`USER_NAME`: https://pypi.org/user/USER_NAME/", None),
        ("`USER_NAME`: https://pypi.org/user/carol/", "carol"),
        ("USER_NAME", None),
        ("alice@example.com", None),
        ("_No response_", None),
        ("", None),
    ],
)
def test_extract_username(text: str, expected: str | None) -> None:
    assert extract_username(text) == expected


@pytest.mark.parametrize(
    "text", ["`" * 65536, " " * 65536, "`a" * 30000, "-" * 65536, "a " * 30000 + "\n" * 1000]
)
def test_extraction_is_linear_on_hostile_input(text: str) -> None:
    start = time.perf_counter()
    extract_requested_name(text)
    extract_username(text)
    assert time.perf_counter() - start < 0.5
