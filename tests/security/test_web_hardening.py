"""Web hardening: headers on every answer, login throttling and lockout, deploy checks."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse

from audit.models import AuditEvent
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]
GOOD_PASSWORD = "รหัสผ่าน-ยาวพอ-๒๕๖๙"


@pytest.fixture(autouse=True)
def _clean_counters():
    """Forget the counters these tests make (never cache.clear(): on Redis the cache shares
    its database with the broker, and clearing it would drop queued tasks)."""

    def forget() -> None:
        from config.security.login import _key

        names = ["somchai", "somsri", "wanida", "anyone", *(f"user{n}" for n in range(20))]
        keys = [_key(kind, name) for kind in ("user", "locked") for name in names]
        cache.delete_many([*keys, _key("address", "127.0.0.1"), _key("address", "unknown")])

    forget()
    yield
    forget()


def test_every_page_carries_the_security_headers(client, db):
    answer = client.get(reverse("login"))

    policy = answer["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy
        and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'self'" in policy
    assert answer["X-Frame-Options"] == "DENY"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Referrer-Policy"] == "same-origin"
    assert "camera=()" in answer["Permissions-Policy"]
    assert answer["Cross-Origin-Resource-Policy"] == "same-origin"


def test_a_file_for_the_preview_may_be_framed_by_our_own_pages_only():
    from django.http import HttpResponse

    from config.security.headers import framable_by_us

    response = framable_by_us(HttpResponse(b"%PDF-1.7"))

    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


def test_the_api_docs_page_has_no_inline_script(client, db):
    page = client.get(reverse("api-docs")).content.decode()

    assert "<script>" not in page.replace(" ", "")
    assert "<script src=" in page


def _login(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, etda):
    user = make_user("somchai")
    user.set_password(GOOD_PASSWORD)
    user.save()

    for _ in range(5):
        assert _login(client, "somchai", "ผิด").status_code == 200  # the form again, an error
    locked = _login(client, "somchai", GOOD_PASSWORD)

    assert locked.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "15" in locked.content.decode()  # says for how long
    assert AuditEvent.objects.filter(action="audit.session.locked_out").count() == 1
    assert AuditEvent.objects.filter(action="audit.session.login_failed").count() == 5


def test_a_success_clears_the_count(client, etda):
    user = make_user("somsri")
    user.set_password(GOOD_PASSWORD)
    user.save()

    for _ in range(4):
        _login(client, "somsri", "ผิด")
    assert _login(client, "somsri", GOOD_PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _login(client, "somsri", "ผิด")

    assert _login(client, "somsri", GOOD_PASSWORD).status_code == 302


def test_one_address_cannot_spray_many_usernames(client, db):
    for number in range(20):
        _login(client, f"user{number}", "ผิด")

    answer = _login(client, "anyone", "ผิด")

    assert "Too many failed sign-ins from this address" in answer.content.decode() or (
        "ที่อยู่นี้" in answer.content.decode()
    )


def test_a_redirect_after_login_never_leaves_the_site(client, etda):
    user = make_user("wanida")
    user.set_password(GOOD_PASSWORD)
    user.save()

    answer = client.post(
        reverse("login") + "?next=https://evil.example/phish",
        {"username": "wanida", "password": GOOD_PASSWORD, "next": "https://evil.example/phish"},
    )

    assert answer.status_code == 302
    assert not answer["Location"].startswith("https://evil.example")


def test_short_passwords_are_refused_by_the_validators(db):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("สั้นไป12")


def test_check_deploy_is_clean_under_production_settings():
    env = {
        # Not what the browser tests set for Playwright: a deployment never has it.
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "saraban-hub.example.go.th",
        "DATABASE_URL": "postgres://saraban@127.0.0.1:5432/saraban",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "MEDIA_ROOT": "/srv/saraban/media",
        "STATIC_ROOT": "/srv/saraban/static",
        "HUB_KEY_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
