"""Settings come from the environment; production refuses to start without what it needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_list, env_str
from config.settings.base import celery_settings, database_from_url

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SECRET_KEY": "a-long-random-production-secret-0123456789abcdef",
    "ALLOWED_HOSTS": "saraban.example.go.th",
    "DATABASE_URL": "postgres://hub@db.internal:5432/hub",
    "CELERY_BROKER_URL": "redis://broker.internal:6379/0",
    "MEDIA_ROOT": "/srv/hub/media",
    "STATIC_ROOT": "/srv/hub/static",
    "HUB_KEY_ENCRYPTION_KEY": "bm90LWEtcmVhbC1rZXktanVzdC0zMi1ieXRlcy0hISE=",
}


def load_production_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in PRODUCTION_ENV}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings.prod as s; print(s.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_settings_load_when_everything_is_set():
    result = load_production_settings(PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.postgresql"


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_production_refuses_to_start_without_a_required_variable(missing):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}

    result = load_production_settings(env)

    assert result.returncode != 0
    assert f"Set the environment variable {missing}" in result.stderr


def test_sqlite_default_queues_writers_instead_of_failing(tmp_path):
    config = database_from_url(f"sqlite:///{tmp_path / 'hub.sqlite3'}")

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_postgres_url_is_parsed_without_sqlite_options():
    config = database_from_url("postgres://hub:s3cret@10.0.0.5:5432/hub")

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["NAME"], config["USER"]) == ("10.0.0.5", "hub", "hub")
    assert "OPTIONS" not in config or "transaction_mode" not in config["OPTIONS"]


def test_filesystem_broker_needs_no_server_and_redis_gets_a_visibility_timeout(tmp_path):
    embedded = celery_settings("filesystem://", tmp_path)
    redis = celery_settings("redis://127.0.0.1:6379/3", tmp_path)

    options = embedded["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert Path(options["data_folder_in"]).is_dir()
    assert options["data_folder_in"] == options["data_folder_out"]
    assert embedded["CELERY_RESULT_BACKEND"].startswith("file://")
    assert (
        redis["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"]
        > redis["CELERY_TASK_TIME_LIMIT"]
    )
    assert redis["CELERY_RESULT_BACKEND"] == "redis://127.0.0.1:6379/3"


def test_env_helpers_refuse_ambiguous_values(monkeypatch):
    monkeypatch.setenv("HUB_FLAG", "maybe")
    monkeypatch.setenv("HUB_HOSTS", " a.go.th, ,b.go.th ")
    monkeypatch.delenv("HUB_MISSING", raising=False)

    with pytest.raises(ImproperlyConfigured, match="HUB_FLAG must be a boolean"):
        env_bool("HUB_FLAG")
    assert env_list("HUB_HOSTS") == ["a.go.th", "b.go.th"]
    with pytest.raises(ImproperlyConfigured, match="HUB_MISSING"):
        env_str("HUB_MISSING", required=True)


def test_thai_first_locale_and_bangkok_time(settings):
    assert settings.LANGUAGE_CODE == "th"
    assert [code for code, _name in settings.LANGUAGES] == ["th", "en"]
    assert settings.TIME_ZONE == "Asia/Bangkok"
    assert settings.USE_TZ is True
