"""A fake PyPI for tests: the JSON API per project and the Simple API's index, as JSON (v1)
or as PEP 503's HTML page.

    fake = FakePyPI()
    fake.add_project("Foo-Bar", releases={"1.0": ["2020-01-02T03:04:05Z"]})
    server = await aiohttp_server(fake.app())
    client = PyPIClient(session, str(server.make_url("")))

Knobs (change them at any time): ``delay`` (seconds before answering), ``status``
(answer every request with this HTTP status), ``garbage`` (answer 200 with a body that
is not JSON), ``index_content_type``, ``index_format`` ("negotiated": JSON when the
Accept header asks for it, else HTML, as PyPI does; "html": HTML whatever is asked, as many
mirrors and proxies do). ``requests`` records (method, path, headers).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
from typing import Any

from aiohttp import web

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def project_json(
    name: str,
    *,
    releases: dict[str, list[str]] | None = None,
    summary: str | None = "A project",
    home_page: str | None = None,
    project_urls: dict[str, str] | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    """A ``/pypi/NAME/json`` document; *releases* maps version -> file upload times."""
    releases = releases or {}
    files = {
        v: [
            {
                "filename": f"{name}-{v}-{i}.tar.gz",
                "upload_time": t.replace("Z", "").split("+")[0],
                "upload_time_iso_8601": t,
                "yanked": False,
            }
            for i, t in enumerate(times)
        ]
        for v, times in releases.items()
    }
    latest = version or (list(releases)[-1] if releases else None)
    return {
        "info": {
            "name": name,
            "version": latest,
            "summary": summary,
            "home_page": home_page,
            "project_urls": project_urls,
        },
        "releases": files,
        "urls": files.get(latest, []) if latest else [],
    }


class FakePyPI:
    def __init__(self) -> None:
        self.projects: dict[str, dict[str, Any]] = {}  # normalised name -> JSON document
        self.index_names: list[str] = []
        self.delay = 0.0
        self.status: int | None = None
        self.garbage = False
        self.index_content_type = SIMPLE_JSON
        self.index_format = "negotiated"
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        # Raw JSON documents by normalised name, sent as they are (chunked: without a length).
        self.raw: dict[str, bytes] = {}
        self.chunked = False
        self.url: str | None = None  # set by the test once the server runs

    # -- data -----------------------------------------------------------------

    def add_project(self, name: str, *, listed: bool = True, **kwargs: Any) -> None:
        from bot.core.names import normalize

        self.projects[normalize(name)] = project_json(name, **kwargs)
        if listed:
            self.index_names.append(name)

    def set_names(self, names: list[str]) -> None:
        self.index_names = list(names)

    @property
    def etag(self) -> str:
        digest = hashlib.sha256("\n".join(self.index_names).encode()).hexdigest()[:16]
        return f'"{digest}"'

    # -- server ---------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/pypi/{name}/json", self._project)
        app.router.add_get("/simple/", self._simple)
        return app

    async def _knobs(self, request: web.Request) -> web.Response | None:
        self.requests.append((request.method, request.path, dict(request.headers)))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status is not None:
            return web.Response(status=self.status, text="error")
        if self.garbage:
            return web.Response(status=200, text="<html>oops{", content_type="application/json")
        return None

    async def _project(self, request: web.Request) -> web.StreamResponse:
        from bot.core.names import normalize

        if (early := await self._knobs(request)) is not None:
            return early
        raw = self.raw.get(normalize(request.match_info["name"]))
        if raw is not None:
            if not self.chunked:
                return web.Response(body=raw, content_type="application/json")
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            try:
                for start in range(0, len(raw), 1 << 20):
                    await response.write(raw[start : start + (1 << 20)])
                await response.write_eof()
            except (ConnectionError, RuntimeError):
                pass  # the client stopped reading
            return response
        doc = self.projects.get(normalize(request.match_info["name"]))
        if doc is None:
            return web.json_response({"message": "Not Found"}, status=404)
        return web.json_response(doc)

    async def _simple(self, request: web.Request) -> web.StreamResponse:
        if (early := await self._knobs(request)) is not None:
            return early
        etag = self.etag
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        if self.index_format == "html" or SIMPLE_JSON not in request.headers.get("Accept", ""):
            return web.Response(
                text=simple_html(self.index_names),
                headers={"ETag": etag, "Content-Type": "text/html; charset=utf-8"},
            )
        body = {
            "meta": {"api-version": "1.1", "_last-serial": 12345},
            "projects": [{"name": n, "_last-serial": i} for i, n in enumerate(self.index_names)],
        }
        return web.Response(
            body=json.dumps(body).encode(),
            headers={"ETag": etag, "Content-Type": self.index_content_type},
        )


def simple_html(names: list[str]) -> str:
    """PEP 503's index page, as pip and mirrors know it."""
    from bot.core.names import normalize

    links = "\n".join(
        f'    <a href="/simple/{html.escape(normalize(n))}/">{html.escape(n)}</a><br/>'
        for n in names
    )
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta name="pypi:repository-version" content="1.0">\n'
        "    <title>Simple index</title>\n  </head>\n  <body>\n"
        f"{links}\n  </body>\n</html>\n"
    )
