"""Settings from the environment (README, "Configuration"). A bad value stops start-up with
one line that names the variable; secrets are held but never shown (not even in repr)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.core.text import redact_urls

if TYPE_CHECKING:
    from bot.core.rules import RepoRules, Rules

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_PYPI_URL = "https://pypi.org"
DEFAULT_TEST_PYPI_URL = "https://test.pypi.org"


class ConfigError(Exception):
    """One clear line naming the variable or file that is wrong."""


@dataclass(frozen=True)
class Settings:
    host: str = "0.0.0.0"
    port: int = 8000
    webhook_secret: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    app_id: str | None = None
    private_key: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    rules_path: str = "rules.yaml"
    pypi_url: str = DEFAULT_PYPI_URL
    test_pypi_url: str = DEFAULT_TEST_PYPI_URL
    dry_run: bool = False
    # Where conditional-request state is kept between runs (None: not kept).
    cache_dir: str | None = None

    def __repr__(self) -> str:  # the URLs without their credentials, and no secret at all
        shown = ", ".join(
            f"{f.name}={redact_urls(v) if isinstance(v := getattr(self, f.name), str) else v!r}"
            for f in fields(self)
            if f.repr
        )
        return f"Settings({shown})"


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, got {redact_urls(value)!r}")
    return value.rstrip("/")


def _private_key(env: Mapping[str, str]) -> str | None:
    text = env.get("GITHUB_PRIVATE_KEY", "").strip()
    path = env.get("GITHUB_PRIVATE_KEY_PATH", "").strip()
    if text and path:
        raise ConfigError("set GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH, not both")
    if path:
        try:
            mode = os.stat(path).st_mode
            text = Path(path).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not a PEM text file"
            raise ConfigError(f"GITHUB_PRIVATE_KEY_PATH: cannot read {path}: {reason}") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning(
                "GITHUB_PRIVATE_KEY_PATH is readable by other users; chmod 600 it",
                extra={"fields": {"path": path}},
            )
    if not text:
        return None
    # PaaS dashboards often store the PEM on one line with literal \n.
    text = text.replace("\\n", "\n")
    if "-----BEGIN" not in text or "PRIVATE KEY-----" not in text:
        source = "GITHUB_PRIVATE_KEY_PATH" if path else "GITHUB_PRIVATE_KEY"
        raise ConfigError(f"{source} is not a PEM private key")
    try:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        load_pem_private_key(text.encode(), password=None)
    except Exception:
        source = "GITHUB_PRIVATE_KEY_PATH" if path else "GITHUB_PRIVATE_KEY"
        raise ConfigError(f"{source}: the private key cannot be loaded") from None
    return text


def index_urls(env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """PYPI_URL and TEST_PYPI_URL alone, for the commands that ask nothing else (`plan`,
    `backtest` with `--pypi`)."""
    env = os.environ if env is None else env
    return (
        _url(env, "PYPI_URL", DEFAULT_PYPI_URL),
        _url(env, "TEST_PYPI_URL", DEFAULT_TEST_PYPI_URL),
    )


def from_env(env: Mapping[str, str] | None = None, *, dry_run: bool = False) -> Settings:
    env = os.environ if env is None else env
    port_text = env.get("PORT", "").strip() or "8000"
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(f"PORT must be a number, got {port_text!r}") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"PORT must be between 0 and 65535, got {port}")
    token = env.get("GITHUB_TOKEN", "").strip() or None
    app_id = env.get("GITHUB_APP_ID", "").strip() or None
    if app_id is not None and not app_id.isdigit():
        raise ConfigError("GITHUB_APP_ID must be the App's numeric id")
    private_key = _private_key(env)
    if app_id and not private_key:
        raise ConfigError("GITHUB_APP_ID is set but GITHUB_PRIVATE_KEY(_PATH) is not")
    if private_key and not app_id:
        raise ConfigError("GITHUB_PRIVATE_KEY(_PATH) is set but GITHUB_APP_ID is not")
    if token and app_id:
        raise ConfigError("set GITHUB_TOKEN or GITHUB_APP_ID, not both")
    return Settings(
        host=env.get("HOST", "").strip() or "0.0.0.0",
        port=port,
        webhook_secret=env.get("GITHUB_WEBHOOK_SECRET") or None,
        token=token,
        app_id=app_id,
        private_key=private_key,
        api_url=_url(env, "GITHUB_API_URL", DEFAULT_API_URL),
        rules_path=env.get("BOT_RULES", "").strip() or "rules.yaml",
        pypi_url=_url(env, "PYPI_URL", DEFAULT_PYPI_URL),
        test_pypi_url=_url(env, "TEST_PYPI_URL", DEFAULT_TEST_PYPI_URL),
        # No credentials means nothing can be written: dry-run.
        dry_run=dry_run or not (token or app_id),
        cache_dir=_cache_dir(env),
    )


def _cache_dir(env: Mapping[str, str]) -> str | None:
    """BOT_CACHE_DIR, or the user's cache directory; `off` keeps nothing between runs."""
    value = env.get("BOT_CACHE_DIR", "").strip()
    if value.lower() == "off":
        return None
    if value:
        return value
    base = env.get("XDG_CACHE_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pypi-support-bot")


def one_repository(rules: Rules, name: str | None) -> tuple[str, RepoRules]:
    """The repository a command's `--repo` names, or the rules file's first (an empty
    `--repo` names none, and is refused like any other not in the file)."""
    if name is not None:
        repo_rules = rules.for_repo(name)
        if repo_rules is None:
            raise ConfigError(f"--repo {name}: not in the rules file")
        return name, repo_rules
    return next(iter(rules.repositories.items()))
