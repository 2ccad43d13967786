"""Project-name intelligence for PEP 541 triage (pure; the standard-library names come from
the `stdlib-list` package).

* :func:`normalize` - the PEP 503 normalised name (what PyPI uses for identity).
* :func:`ultranormalize` - PyPI's "too similar to an existing project" form.
* :func:`is_valid_project_name` / :func:`stdlib_module` - what PyPI refuses.
* :class:`NameIndex` - every PyPI project name (~700,000), held compactly, with
  ``exists`` / ``canonical`` / ``similar`` look-ups in microseconds.
* :func:`extract_requested_name` / :func:`extract_username` - pull a project or user
  name out of an issue-form field value, a URL or an issue title.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import os
import re
import struct
import sys
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path

import stdlib_list

__all__ = [
    "NameIndex",
    "NameIndexCorrupt",
    "extract_requested_name",
    "extract_username",
    "is_valid_project_name",
    "normalize",
    "stdlib_module",
    "ultranormalize",
]

# ---------------------------------------------------------------------------
# Normalisation and validity
# ---------------------------------------------------------------------------

_SEPARATOR_RUN = re.compile(r"[-_.]+")
# Delete the separators, map look-alike letters to digits; lower-casing is done first.
_ULTRA_TABLE = str.maketrans({".": None, "_": None, "-": None, "l": "1", "i": "1", "o": "0"})
_VALID_NAME = re.compile(r"[A-Z0-9](?:[A-Z0-9._-]*[A-Z0-9])?", re.IGNORECASE | re.ASCII)

#: Longest name we accept from free text (PyPI has no hard limit, real names are short).
MAX_NAME_LENGTH = 200


def normalize(name: str) -> str:
    """PEP 503: lower-case, and every run of ``-``, ``_``, ``.`` becomes one ``-``."""
    return _SEPARATOR_RUN.sub("-", name).lower()


def ultranormalize(name: str) -> str:
    """PyPI's "too similar" form: drop ``. _ -``, ``l/L/i/I`` -> ``1``, ``o/O`` -> ``0``.

    >>> ultranormalize("Flask-Plus") == ultranormalize("flaskplus")
    True
    >>> ultranormalize("nsbi") == ultranormalize("nsbl")
    True
    """
    return name.lower().translate(_ULTRA_TABLE)


def is_valid_project_name(name: str) -> bool:
    """A PEP 508 name: ASCII letters/digits, ``. _ -`` inside, alphanumeric at both ends."""
    return bool(_VALID_NAME.fullmatch(name))


def _stdlib_forms() -> tuple[dict[str, str], dict[str, str]]:
    """Every module name PyPI refuses, from the `stdlib-list` package across all the Python
    versions it lists (2.6 to today), as PyPI itself builds its list: so Python 2 modules
    (`urllib2`), removed ones (`imp`, `distutils`), `test`, and dotted submodules
    (`xml.etree`) count on every Python the bot runs on. Keyed by the PEP 503 form, with
    leading and trailing separators stripped (`_thread` blocks `thread`, `__main__` `main`)."""
    modules: set[str] = set()
    for version in stdlib_list.short_versions:
        modules.update(stdlib_list.stdlib_list(version))
    normal: dict[str, str] = {}
    ultra: dict[str, str] = {}
    # A name that is itself a module wins over one that only strips to it (`imp`, `_imp`).
    for module in sorted(modules, key=lambda m: (m != m.strip("-_."), m)):
        stripped = module.strip("-_.")
        if not stripped:
            continue
        normal.setdefault(normalize(stripped), module)
        ultra.setdefault(ultranormalize(stripped), module)
    return normal, ultra


_STDLIB_NORMAL, _STDLIB_ULTRA = _stdlib_forms()


def stdlib_module(name: str, *, similar: bool = False) -> str | None:
    """The standard-library module whose name makes PyPI refuse *name*, or None.

    Compared on the PEP 503 form with leading/trailing separators ignored (``_thread``
    blocks ``thread``, ``Asyncio`` is ``asyncio``, ``xml_etree`` is ``xml.etree``). With
    ``similar=True`` the ultranormalised form is compared too, so look-alikes such as
    ``l0gging`` count.
    """
    stripped = name.strip().strip("-_.")
    if not stripped:
        return None
    found = _STDLIB_NORMAL.get(normalize(stripped))
    if found is None and similar:
        found = _STDLIB_ULTRA.get(ultranormalize(stripped))
    return found


# ---------------------------------------------------------------------------
# NameIndex
# ---------------------------------------------------------------------------


class NameIndexCorrupt(ValueError):
    """A saved :class:`NameIndex` file is truncated, altered or not an index at all."""


class _Slices:
    """A read-only sequence view of ``blob[offsets[i]:offsets[i + 1]]`` for ``bisect``."""

    __slots__ = ("_blob", "_offsets")

    def __init__(self, blob: str, offsets: array) -> None:
        self._blob = blob
        self._offsets = offsets

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self._blob[self._offsets[i] : self._offsets[i + 1]]


_MAGIC = b"PYPI-NAMEINDEX\x00"
_FORMAT_VERSION = 1
_HEADER_LEN = struct.Struct("<I")
_MAX_HEADER = 1 << 16


class NameIndex:
    """Every project name, grouped by ultranormalised form, in a few flat buffers.

    Layout (no per-name Python objects are kept):

    * ``_keys``: the distinct ultranormalised keys, sorted, concatenated into one ``str``;
      ``_key_off`` (``array('I')``, one more entry than keys) gives each key's span.
    * ``_group``: for key *k*, its names are entries ``_group[k]`` to ``_group[k + 1]``.
    * ``_names``: every name as PyPI spells it, ordered by (key, name), concatenated;
      ``_name_off`` gives each name's span.

    A look-up is a binary search over the keys (about 20 string slices) plus a scan of
    one group, which is almost always a single name.
    """

    __slots__ = ("_group", "_key_off", "_keys", "_name_off", "_names", "etag")

    def __init__(
        self,
        keys: str = "",
        key_off: array | None = None,
        group: array | None = None,
        names: str = "",
        name_off: array | None = None,
        *,
        etag: str | None = None,
    ) -> None:
        self._keys = keys
        self._key_off = key_off if key_off is not None else array("I", [0])
        self._group = group if group is not None else array("I", [0])
        self._names = names
        self._name_off = name_off if name_off is not None else array("I", [0])
        #: The Simple API ETag this index was built from, if known (kept by save/load).
        self.etag = etag

    # -- construction -------------------------------------------------------

    @classmethod
    def build(cls, names: Iterable[str], *, etag: str | None = None) -> NameIndex:
        """Index *names*. Empty strings are skipped; of several spellings with the same
        PEP 503 name, the first one in *names* is kept.

        Memory stays low: the only temporaries are one list of the names (sorted by
        key, the sort is stable) and the sort's own list of keys.
        """
        ordered = [name for name in names if name]
        ordered.sort(key=ultranormalize)

        key_parts: list[str] = []
        name_parts: list[str] = []
        key_off = array("I", [0])
        group = array("I", [0])
        name_off = array("I", [0])
        key_total = name_total = 0

        i, n = 0, len(ordered)
        next_key = ultranormalize(ordered[0]) if n else ""
        while i < n:
            key = next_key
            j = i + 1
            while j < n:
                next_key = ultranormalize(ordered[j])
                if next_key != key:
                    break
                j += 1
            if j - i == 1:
                members = [ordered[i]]
            else:
                # Rare: several spellings share a key. Drop PEP 503 duplicates (the
                # stable sort left them in input order) and sort the rest.
                chosen: dict[str, str] = {}
                for name in ordered[i:j]:
                    chosen.setdefault(normalize(name), name)
                members = sorted(chosen.values())
            key_parts.append(key)
            key_total += len(key)
            key_off.append(key_total)
            for name in members:
                name_parts.append(name)
                name_total += len(name)
                name_off.append(name_total)
            group.append(len(name_off) - 1)
            i = j
        del ordered
        keys = "".join(key_parts)
        del key_parts
        joined = "".join(name_parts)
        del name_parts
        return cls(keys, key_off, group, joined, name_off, etag=etag)

    # -- queries ------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._name_off) - 1

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.exists(name)

    def __iter__(self) -> Iterator[str]:
        names, off = self._names, self._name_off
        for i in range(len(off) - 1):
            yield names[off[i] : off[i + 1]]

    def __repr__(self) -> str:
        return f"<NameIndex {len(self)} names>"

    def _group_names(self, name: str) -> list[str]:
        key = ultranormalize(name)
        if not key:
            return []
        keys = _Slices(self._keys, self._key_off)
        k = bisect.bisect_left(keys, key)
        if k == len(keys) or keys[k] != key:
            return []
        names = self._names
        off = self._name_off
        return [names[off[i] : off[i + 1]] for i in range(self._group[k], self._group[k + 1])]

    def canonical(self, name: str) -> str | None:
        """The project's name as PyPI spells it, or None when no such project exists."""
        norm = normalize(name.strip())
        for candidate in self._group_names(norm):
            if normalize(candidate) == norm:
                return candidate
        return None

    def exists(self, name: str) -> bool:
        """Whether a project with this PEP 503 normalised name exists."""
        return self.canonical(name) is not None

    def similar(self, name: str) -> list[str]:
        """Existing projects PyPI would call "too similar" to *name* (not *name* itself)."""
        norm = normalize(name.strip())
        return [c for c in self._group_names(norm) if normalize(c) != norm]

    # -- persistence --------------------------------------------------------

    def _sections(self) -> list[bytes]:
        return [
            self._keys.encode("utf-8"),
            _array_bytes(self._key_off),
            _array_bytes(self._group),
            self._names.encode("utf-8"),
            _array_bytes(self._name_off),
        ]

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index atomically (temporary file + rename) in a compact format.

        Layout: magic, a little-endian u32 header length, a JSON header (format version,
        counts, section sizes, SHA-256 of the payload, ETag), then the raw sections.
        """
        sections = self._sections()
        digest = hashlib.sha256()
        for section in sections:
            digest.update(section)
        header = json.dumps(
            {
                "version": _FORMAT_VERSION,
                "count": len(self),
                "groups": len(self._group) - 1,
                "sizes": [len(s) for s in sections],
                "sha256": digest.hexdigest(),
                "etag": self.etag,
            },
            separators=(",", ":"),
        ).encode("utf-8")
        target = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_MAGIC)
                fh.write(_HEADER_LEN.pack(len(header)))
                fh.write(header)
                for section in sections:
                    fh.write(section)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NameIndex:
        """Read a file written by :meth:`save`.

        Raises :class:`NameIndexCorrupt` for anything that is not an intact index
        (and ``OSError`` if the file cannot be read at all).
        """
        data = Path(path).read_bytes()
        return cls._from_bytes(data)

    @classmethod
    def _from_bytes(cls, data: bytes) -> NameIndex:
        view = memoryview(data)
        start = len(_MAGIC)
        if data[:start] != _MAGIC or len(data) < start + _HEADER_LEN.size:
            raise NameIndexCorrupt("not a name index file")
        (header_len,) = _HEADER_LEN.unpack_from(data, start)
        start += _HEADER_LEN.size
        if header_len > _MAX_HEADER or start + header_len > len(data):
            raise NameIndexCorrupt("bad header length")
        try:
            header = json.loads(bytes(view[start : start + header_len]))
            version = header["version"]
            sizes = [int(s) for s in header["sizes"]]
            count = int(header["count"])
            groups = int(header["groups"])
            expected = str(header["sha256"])
            etag = header.get("etag")
        except (ValueError, KeyError, TypeError) as exc:
            raise NameIndexCorrupt(f"bad header: {exc}") from None
        if version != _FORMAT_VERSION:
            raise NameIndexCorrupt(f"unsupported format version {version!r}")
        if len(sizes) != 5 or any(s < 0 for s in sizes):
            raise NameIndexCorrupt("bad section table")
        if etag is not None and not isinstance(etag, str):
            raise NameIndexCorrupt("bad etag")
        start += header_len
        if start + sum(sizes) != len(data):
            raise NameIndexCorrupt("file size does not match its header")
        digest = hashlib.sha256()
        sections: list[memoryview] = []
        for size in sizes:
            section = view[start : start + size]
            digest.update(section)
            sections.append(section)
            start += size
        if digest.hexdigest() != expected:
            raise NameIndexCorrupt("checksum mismatch")
        try:
            keys = str(sections[0], "utf-8")
            names = str(sections[3], "utf-8")
            key_off = _array_from(sections[1])
            group = _array_from(sections[2])
            name_off = _array_from(sections[4])
        except ValueError as exc:
            raise NameIndexCorrupt(f"bad section: {exc}") from None
        # Structural checks: cheap, and they keep a hand-edited file from causing
        # IndexErrors later.
        if (
            len(key_off) != groups + 1
            or len(group) != groups + 1
            or len(name_off) != count + 1
            or key_off[0] != 0
            or key_off[-1] != len(keys)
            or group[0] != 0
            or group[-1] != count
            or name_off[0] != 0
            or name_off[-1] != len(names)
        ):
            raise NameIndexCorrupt("inconsistent section lengths")
        return cls(keys, key_off, group, names, name_off, etag=etag)


def _array_bytes(a: array) -> bytes:
    if sys.byteorder == "little":
        return a.tobytes()
    swapped = array(a.typecode, a)
    swapped.byteswap()
    return swapped.tobytes()


def _array_from(data: memoryview) -> array:
    a = array("I")
    if len(data) % a.itemsize:
        raise ValueError("offset table is not a whole number of entries")
    a.frombytes(data)
    if sys.byteorder != "little":
        a.byteswap()
    return a


# ---------------------------------------------------------------------------
# Pulling names out of issue text
# ---------------------------------------------------------------------------

_NAME_CHARS = r"[A-Za-z0-9._-]+"

# https://pypi.org/project/NAME/, pypi.org/p/NAME, test.pypi.org/simple/NAME/,
# pypi.python.org/pypi/NAME/json, www.pypi.org/manage/project/NAME/settings/ ...
_PROJECT_URL = re.compile(
    r"(?:https?://)?(?:www\.|test\.)?pypi\.(?:org|python\.org)/"
    r"(?:manage/project|project|p|simple|pypi)/(?P<name>" + _NAME_CHARS + r")",
    re.IGNORECASE,
)
_USER_URL = re.compile(
    r"(?:https?://)?(?:www\.|test\.)?pypi\.(?:org|python\.org)/user/(?P<name>" + _NAME_CHARS + r")",
    re.IGNORECASE,
)
# Possessive quantifiers and the look-behind keep this linear on runs of backticks.
_BACKTICKED = re.compile(r"(?<!`)`++\s*+(?P<name>[^`\s]++)\s*+`")
# "PEP 541 Request: foo", "PEP541 request - foo", "File Limit Request: foo - 200 MiB",
# "Project Limit Request: foo - 10 GiB", "Limit request for foo".
_TITLE = re.compile(
    r"^\s*(?:\[\s*pep[\s-]*541\s*\]\s*(?:request\s*)?(?:[:\-–—]\s*)?(?P<tagged>.+)$|"
    r"(?:\[[^\]]*\]\s*)?(?:pep[\s-]*541|(?:file|project|upload|size)?\s*(?:size\s*)?limit)"
    r"(?:\s*(?:increase|request))*\s*(?:[:\-–—]|for\b|\bon\b)\s*(?P<rest>.+)$)",
    re.IGNORECASE,
)
_MAX_TITLE = 300  # GitHub titles are at most 256 characters
_SIZE_SUFFIX = re.compile(r"\s*[-–—:,(]?\s*\d+(?:\.\d+)?\s*[kmgt]i?b\)?\s*$", re.IGNORECASE)

_PLACEHOLDERS = frozenset(
    normalize(p)
    for p in (
        "PROJECT_NAME",
        "PROJECTNAME",
        "PACKAGE_NAME",
        "YOUR_PROJECT",
        "YOUR_PROJECT_NAME",
        "USER_NAME",
        "USERNAME",
        "YOUR_USERNAME",
        "YOUR_USER_NAME",
        "No response",
        "none",
        "n-a",
        "na",
        "tbd",
        "todo",
        "example",
    )
)


def _clean_token(token: str) -> str:
    token = token.strip()
    token = token.strip("`'\"“”‘’<>*[](){}")
    token = token.rstrip(":;,!?/").rstrip(".")
    return token.strip()


def _plausible(token: str) -> bool:
    return (
        0 < len(token) <= MAX_NAME_LENGTH
        and is_valid_project_name(token)
        and normalize(token) not in _PLACEHOLDERS
    )


def _first(candidates: Iterable[str]) -> str | None:
    for raw in candidates:
        token = _clean_token(raw)
        if _plausible(token):
            return token
    return None


def _lone_token(text: str) -> str | None:
    """The first non-empty line, when it is a single plausible name."""
    for line in text.splitlines():
        line = line.strip().lstrip("-*>#@ \t").strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) == 1:
            token = _clean_token(parts[0])
            return token if _plausible(token) else None
        return None
    return None


def extract_requested_name(text: str) -> str | None:
    """The project name a field value, URL or title refers to, as written, or None.

    Tried in order: a PyPI project URL, a backticked name (the PEP 541 form's
    pre-filled `` `PROJECT_NAME`: <url> ``), a request title ("PEP 541 Request: foo",
    "File Limit Request: foo - 200 MiB"), and a value that is nothing but a name.
    Unedited placeholders (``PROJECT_NAME``) are skipped, so a form where only one of
    the name and the URL was filled in still yields the name.
    """
    if not text:
        return None
    found = _first(m.group("name") for m in _PROJECT_URL.finditer(text))
    if found:
        return found
    found = _first(
        m.group("name")
        for m in _BACKTICKED.finditer(text)
        if "/" not in m.group("name") and "@" not in m.group("name")
    )
    if found:
        return found
    first_line = text.strip().split("\n", 1)[0]
    m = _TITLE.match(first_line) if len(first_line) <= _MAX_TITLE else None
    if m:
        # "foo - 200 MiB" loses its size, "foo (abandoned)" keeps only the name.
        rest = _SIZE_SUFFIX.sub("", m.group("rest") or m.group("tagged")).strip()
        head = re.split(r"\s+[-–—]\s+|\s*\(|\s+", rest, maxsplit=1)[0]
        return _first([head])
    return _lone_token(text)


def extract_username(text: str) -> str | None:
    """The PyPI username a field value refers to, as written, or None.

    Handles `` `alice`: https://pypi.org/user/alice/ ``, the bare URL, ``alice`` and
    ``@alice``; the unedited ``USER_NAME`` placeholder (and e-mail addresses, which
    are not usernames) give None.
    """
    if not text:
        return None
    found = _first(m.group("name") for m in _USER_URL.finditer(text))
    if found:
        return found
    found = _first(
        m.group("name").lstrip("@")
        for m in _BACKTICKED.finditer(text)
        if "/" not in m.group("name") and "@" not in m.group("name").lstrip("@")
    )
    if found:
        return found
    return _lone_token(text)
