"""A fake PyPI for tests: the JSON API per project (with its `ownership`), the Simple API's
index as JSON (v1) or as PEP 503's HTML page, user profile pages and the XML-RPC method
`user_packages`, shaped as Warehouse serves them (warehouse/legacy/api/json.py,
warehouse/legacy/api/xmlrpc/views.py, warehouse/accounts/views.py).

    fake = FakePyPI()
    fake.add_user("alice-py")
    fake.add_project("Foo-Bar", releases={"1.0": ["2020-01-02T03:04:05Z"]},
                     roles=[("Owner", "alice-py")])
    server = await aiohttp_server(fake.app())
    client = PyPIClient(session, str(server.make_url("")))

Knobs (change them at any time): ``delay`` (seconds before answering), ``status``
(answer every request with this HTTP status), ``garbage`` (answer 200 with a body that
is not JSON), ``index_content_type``, ``index_format`` ("negotiated": JSON when the
Accept header asks for it, else HTML, as PyPI does; "html": HTML whatever is asked, as many
mirrors and proxies do), ``rpc_raw`` (the XML-RPC answer's bytes, as they are).
``requests`` records (method, path, headers).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import xmlrpc.client
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
    roles: list[tuple[str, str]] | None = None,
    organization: str | None = None,
) -> dict[str, Any]:
    """A ``/pypi/NAME/json`` document; *releases* maps version -> file upload times, *roles*
    lists (role, username) pairs."""
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
        # As Warehouse sorts them: owners first, then by username.
        "ownership": {
            "roles": [
                {"role": role, "user": user}
                for role, user in sorted(roles or [], key=lambda r: (r[0] != "Owner", r[1]))
            ],
            "organization": organization,
        },
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
        # Accounts: lower-cased username -> the username as spelled; roles per project.
        self.users: dict[str, str] = {}
        self.rpc_raw: bytes | None = None

    # -- data -----------------------------------------------------------------

    def add_project(self, name: str, *, listed: bool = True, **kwargs: Any) -> None:
        from bot.core.names import normalize

        self.projects[normalize(name)] = project_json(name, **kwargs)
        if listed:
            self.index_names.append(name)

    def add_user(self, username: str) -> None:
        self.users[username.lower()] = username

    def user_packages(self, username: str) -> list[list[str]]:
        """As Warehouse answers: [role, project name] for every role of the user, ordered by
        role name descending (Owner before Maintainer), then project name; [] for a username
        it does not know."""
        found = []
        for doc in self.projects.values():
            ownership = doc.get("ownership") if isinstance(doc, dict) else None
            roles = ownership.get("roles") if isinstance(ownership, dict) else None
            for entry in roles or []:
                if isinstance(entry, dict) and str(entry.get("user")).lower() == username.lower():
                    found.append([entry["role"], doc["info"]["name"]])
        found.sort(key=lambda pair: pair[1])
        found.sort(key=lambda pair: pair[0], reverse=True)
        return found

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
        app.router.add_get("/user/{username}/", self._profile)
        for path in ("/pypi", "/pypi/", "/RPC2"):
            app.router.add_post(path, self._xmlrpc)
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

    async def _profile(self, request: web.Request) -> web.StreamResponse:
        if (early := await self._knobs(request)) is not None:
            return early
        asked = request.match_info["username"]
        spelled = self.users.get(asked.lower())
        if spelled is None:
            return web.Response(status=404, text="<html>Not Found</html>", content_type="text/html")
        if spelled != asked:  # Warehouse sends other spellings to the account's own
            raise web.HTTPMovedPermanently(f"/user/{spelled}/")
        return web.Response(text=f"<html>{spelled}</html>", content_type="text/html")

    async def _xmlrpc(self, request: web.Request) -> web.StreamResponse:
        # Warehouse routes a POST to /pypi as XML-RPC only with this content type.
        if request.content_type != "text/xml":
            return web.Response(status=400, text="not XML-RPC")
        body = await request.read()
        if (early := await self._knobs(request)) is not None:
            return early
        if self.rpc_raw is not None:
            return web.Response(body=self.rpc_raw, content_type="text/xml")
        params, method = xmlrpc.client.loads(body)
        if method != "user_packages":
            fault = xmlrpc.client.Fault(
                -32601, f"server error; requested method not found: {method}"
            )
            answer = xmlrpc.client.dumps(fault, methodresponse=True)
        elif len(params) != 1 or not isinstance(params[0], str):
            fault = xmlrpc.client.Fault(
                -32602, "client error; username: Input should be a valid string"
            )
            answer = xmlrpc.client.dumps(fault, methodresponse=True)
        else:
            answer = xmlrpc.client.dumps((self.user_packages(params[0]),), methodresponse=True)
        return web.Response(text=answer, content_type="text/xml")

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
