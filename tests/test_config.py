"""Settings from the environment: defaults, dry-run without credentials, one clear error line."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.runtime.config import ConfigError, from_env


def pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_defaults_and_dry_run_without_credentials():
    settings = from_env({})
    assert (settings.host, settings.port, settings.api_url) == (
        "0.0.0.0",
        8000,
        "https://api.github.com",
    )
    assert settings.dry_run is True
    assert (settings.pypi_url, settings.test_pypi_url) == (
        "https://pypi.org",
        "https://test.pypi.org",
    )
    assert from_env({"GITHUB_TOKEN": "x"}).dry_run is False
    assert from_env({"GITHUB_TOKEN": "x"}, dry_run=True).dry_run is True


def test_secrets_never_appear_in_repr():
    settings = from_env({"GITHUB_TOKEN": "ghp_secret", "GITHUB_WEBHOOK_SECRET": "hush"})
    assert "ghp_secret" not in repr(settings) and "hush" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"GITHUB_API_URL": "api.github.com"}, "GITHUB_API_URL"),
        ({"GITHUB_APP_ID": "12"}, "GITHUB_PRIVATE_KEY"),
        ({"GITHUB_APP_ID": "abc", "GITHUB_PRIVATE_KEY": "x"}, "GITHUB_APP_ID"),
        ({"GITHUB_APP_ID": "12", "GITHUB_PRIVATE_KEY": "not a key"}, "GITHUB_PRIVATE_KEY"),
        (
            {"GITHUB_APP_ID": "12", "GITHUB_PRIVATE_KEY_PATH": "/nonexistent/key.pem"},
            "GITHUB_PRIVATE_KEY_PATH",
        ),
        ({"PYPI_URL": "ftp://x"}, "PYPI_URL"),
        ({"TEST_PYPI_URL": "test.pypi.org"}, "TEST_PYPI_URL"),
    ],
)
def test_bad_values_name_their_variable(env, names):
    with pytest.raises(ConfigError) as caught:
        from_env(env)
    assert names in str(caught.value)
    assert "\n" not in str(caught.value)


def test_app_key_from_text_with_escaped_newlines_and_from_a_file(tmp_path, caplog):
    key = pem()
    assert (
        from_env(
            {"GITHUB_APP_ID": "12", "GITHUB_PRIVATE_KEY": key.replace("\n", "\\n")}
        ).private_key
        == key
    )
    path = tmp_path / "key.pem"
    path.write_text(key)
    path.chmod(0o644)
    settings = from_env({"GITHUB_APP_ID": "12", "GITHUB_PRIVATE_KEY_PATH": str(path)})
    assert settings.private_key == key
    assert "readable by other users" in caplog.text
