"""``Idempotency-Key`` on POST: a repeat gets the first answer, never a second object.

The first request with a key inserts an in-progress ``IdempotencyRecord`` in its own short
transaction; the unique (owner, key) index makes that insert the lock. The request then runs
(its service owns its transaction, as everywhere) and its response is stored on the record.

* The same key and the same request again: the stored status, body and headers, byte for
  byte, with ``Idempotent-Replayed: true``.
* The same key with a different request: 409 ``api.idempotency_key_reused``.
* The same key while the first is still running: 409 ``api.idempotency_in_progress`` with
  ``Retry-After``; the client retries and then gets the replay. (Waiting instead would hold a
  web worker for as long as the first request takes.)
* The first request failed with a 5xx or crashed: the record is dropped, so the retry runs
  again; a service that failed rolled back, so there is nothing to protect. A process killed
  outright leaves an in-progress record that a retry takes over after
  HUB_IDEMPOTENCY_LOCK_SECONDS.
* 2xx and 4xx answers are kept for HUB_IDEMPOTENCY_TTL_SECONDS (24 h), then purged.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseBase, QueryDict
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.models import Agency, IdempotencyRecord, IdempotencyState
from audit.services import audit_chain_lock
from config.errors import IdempotencyInProgress, IdempotencyKeyInvalid, IdempotencyKeyReused

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Headers of the first answer that a replay repeats besides Content-Type.
KEPT_HEADERS = ("Location",)
# Printable ASCII, like the IETF draft's examples (UUIDs, random strings), at most 255.
_VALID_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")
_HASH_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Claim:
    """This request owns the key: run it, then store its answer (or release the key)."""

    record_id: int


class StoredResponse(Response):
    """A response whose bytes were rendered by an earlier request: sent again as they are."""

    def __init__(
        self, *, body: bytes, status: int, content_type: str, headers: dict[str, str]
    ) -> None:
        super().__init__(status=status, headers=headers, content_type=content_type or None)
        self.stored_body = body
        # DRF sets Content-Type while rendering, which a stored body skips: set it here, or a
        # replayed JSON answer would go out as Django's default text/html.
        if content_type:
            self["Content-Type"] = content_type

    @property
    def rendered_content(self) -> bytes:  # type: ignore[override]  # DRF renders bytes too
        # DRF's own rendered_content is what sets Content-Type; skipping it would leave
        # Django's default (text/html) on every replay.
        if self.content_type:
            self["Content-Type"] = self.content_type
        return self.stored_body


@dataclass(frozen=True)
class Replay:
    """The key was used for this very request already: answer with the stored response."""

    response: StoredResponse


def idempotency_key_of(request: Request) -> str | None:
    """Return the request's Idempotency-Key, or None; refuse a malformed one."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _VALID_KEY.match(key):
        raise IdempotencyKeyInvalid(details={"header": HEADER})
    return key


def _file_digest(upload: UploadedFile[Any]) -> dict[str, Any]:
    digest = hashlib.sha256()
    for chunk in upload.chunks(_HASH_CHUNK):
        digest.update(chunk)
    upload.seek(0)
    return {
        "name": upload.name,
        "size": upload.size,
        "content_type": upload.content_type,
        "sha256": digest.hexdigest(),
    }


def _canonical(value: Any) -> Any:
    """Turn parsed request data into something JSON can write in one canonical way."""
    if isinstance(value, QueryDict):
        return {key: [_canonical(item) for item in value.getlist(key)] for key in value}
    if isinstance(value, UploadedFile):
        return _file_digest(value)
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    return value


def request_fingerprint(request: Request) -> str:
    """Hash what makes two requests "the same": method, path with query, and the parsed body.

    The parsed body, not the bytes: a multipart body gets a new random boundary on every
    retry, and JSON may be re-serialised with other spacing or key order by the client's
    library. Files count by name, size, type and SHA-256 of their content.
    """
    # DRF's request.data holds the uploaded files beside the fields, so each file is hashed
    # once here.
    body = _canonical(request.data)
    canonical = json.dumps(
        {"method": request.method, "path": request.get_full_path(), "body": body},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lock_timeout() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.HUB_IDEMPOTENCY_LOCK_SECONDS)


def _replay(record: IdempotencyRecord) -> StoredResponse:
    return StoredResponse(
        body=bytes(record.response_body),
        status=record.response_status or 200,
        content_type=record.response_content_type,
        headers={**record.response_headers, REPLAYED_HEADER: "true"},
    )


def idempotency_begin(
    *, owner: str, key: str, agency: Agency | None, request: Request
) -> Claim | Replay:
    """Claim the key for this request, or return the stored answer to the same request.

    Raise IdempotencyKeyReused for a different request under the key, IdempotencyInProgress
    while the first one runs.
    """
    fingerprint = request_fingerprint(request)
    now = timezone.now()
    try:
        with transaction.atomic(durable=True):
            audit_chain_lock()
            record = IdempotencyRecord.objects.create(
                owner=owner,
                key=key,
                agency=agency,
                fingerprint=fingerprint,
                method=request.method or "",
                path=request.get_full_path()[:1000],
                created_at=now,
                locked_at=now,
            )
        return Claim(record_id=record.pk)
    except IntegrityError:
        # Someone holds the key: on PostgreSQL this insert waited on the unique index until
        # the holder's insert committed, so the row is visible now.
        pass
    existing = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
    if existing is None:
        # The holder failed and released the key between our insert and this read.
        raise IdempotencyInProgress(details={"retry_after": 1})
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            details={"key": key, "first_method": existing.method, "first_path": existing.path}
        )
    if existing.state == IdempotencyState.COMPLETED:
        return Replay(response=_replay(existing))
    # Still in progress. Its owner may have been killed: after the lock timeout, a retry may
    # take the record over; the guarded UPDATE lets exactly one retry win.
    if existing.locked_at < now - _lock_timeout():
        taken = IdempotencyRecord.objects.filter(
            pk=existing.pk, state=IdempotencyState.IN_PROGRESS, locked_at=existing.locked_at
        ).update(locked_at=now)
        if taken:
            return Claim(record_id=existing.pk)
    raise IdempotencyInProgress(details={"retry_after": 1})


def idempotency_complete(
    *, claim: Claim, response: HttpResponseBase, stored_body: bytes | None = None
) -> None:
    """Store the answer of the claimed request, or release the key when it failed (5xx).

    ``stored_body`` replaces the body kept for replays: an answer that shows a secret once
    (a webhook's signing secret) is stored without it, so the secret never rests in clear here.
    """
    if response.status_code >= 500 or response.streaming or not isinstance(response, HttpResponse):
        idempotency_release(claim=claim)
        return
    render = getattr(response, "render", None)
    if callable(render):
        render()
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    IdempotencyRecord.objects.filter(pk=claim.record_id, state=IdempotencyState.IN_PROGRESS).update(
        state=IdempotencyState.COMPLETED,
        response_status=response.status_code,
        response_content_type=response.get("Content-Type", ""),
        response_headers=headers,
        response_body=response.content if stored_body is None else stored_body,
        completed_at=timezone.now(),
    )
    response[REPLAYED_HEADER] = "false"


def idempotency_release(*, claim: Claim) -> None:
    """Forget an in-progress key so that a retry runs the request again."""
    IdempotencyRecord.objects.filter(
        pk=claim.record_id, state=IdempotencyState.IN_PROGRESS
    ).delete()


def idempotency_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete records older than HUB_IDEMPOTENCY_TTL_SECONDS; return how many went."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.HUB_IDEMPOTENCY_TTL_SECONDS)
    deleted, _kinds = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
