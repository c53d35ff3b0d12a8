"""Inside the agency after ลงรับ: endorse a letter (เกษียนหนังสือ) and assign it to a person."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from audit.services import audit_chain_lock, audit_record
from letters.errors import (
    AssigneeNotMember,
    EndorsementEmpty,
    LetterInvalid,
    LetterNotRoutable,
)
from letters.models import (
    Assignment,
    Direction,
    Endorsement,
    Letter,
    LetterStatus,
)
from letters.models.routing import ENDORSEMENT_MAX_LENGTH

from .letters import lock_letter

# A letter is routed while it is in the agency's hands: received, or registered.
ROUTABLE = (LetterStatus.RECEIVED, LetterStatus.REGISTERED)


def _routable(letter: Letter) -> Letter:
    locked = lock_letter(letter)
    if locked.direction != Direction.INCOMING or locked.status not in ROUTABLE:
        raise LetterNotRoutable()
    return locked


def endorsement_add(
    *, letter: Letter, actor: User, text: str, client_token: str | None = None
) -> Endorsement:
    """Write an endorsement on an incoming letter.

    A repeated ``client_token`` (the same form posted twice) returns the first endorsement.
    """
    text = text.strip()
    if not text:
        raise EndorsementEmpty()
    if len(text) > ENDORSEMENT_MAX_LENGTH:
        raise LetterInvalid(details={"text": f"At most {ENDORSEMENT_MAX_LENGTH} characters."})
    with transaction.atomic(durable=True):
        audit_chain_lock()
        # The row lock also queues a twin post behind this one, so it finds our row below.
        locked = _routable(letter)
        if client_token:
            existing = Endorsement.objects.filter(letter=locked, client_token=client_token).first()
            if existing is not None:
                return existing
        try:
            with transaction.atomic():
                endorsement = Endorsement.objects.create(
                    letter=locked, text=text, author=actor, client_token=client_token or None
                )
        except IntegrityError:
            existing = Endorsement.objects.filter(letter=locked, client_token=client_token).first()
            if client_token and existing is not None:
                return existing
            raise
        audit_record(
            action="letters.letter.endorsed",
            actor=actor,
            agency=locked.agency,
            target=locked,
            after={"endorsement": endorsement.pk, "text": text},
        )
    return endorsement


def letter_assign(
    *,
    letter: Letter,
    actor: User,
    assignee: User,
    note: str = "",
    client_token: str | None = None,
) -> Assignment:
    """Assign an incoming letter to a member of its agency; the latest assignment counts.

    A repeated ``client_token`` returns the first assignment.
    """
    note = note.strip()
    if len(note) > ENDORSEMENT_MAX_LENGTH:
        raise LetterInvalid(details={"note": f"At most {ENDORSEMENT_MAX_LENGTH} characters."})
    with transaction.atomic(durable=True):
        audit_chain_lock()
        locked = _routable(letter)
        if client_token:
            existing = Assignment.objects.filter(letter=locked, client_token=client_token).first()
            if existing is not None:
                return existing
        if not assignee.is_active or not assignee.memberships.filter(agency=locked.agency).exists():
            raise AssigneeNotMember()
        previous = Assignment.objects.filter(letter=locked).order_by("-created_at", "-id").first()
        try:
            with transaction.atomic():
                assignment = Assignment.objects.create(
                    letter=locked,
                    assignee=assignee,
                    note=note,
                    assigned_by=actor,
                    client_token=client_token or None,
                )
        except IntegrityError:
            existing = Assignment.objects.filter(letter=locked, client_token=client_token).first()
            if client_token and existing is not None:
                return existing
            raise
        audit_record(
            action="letters.letter.assigned",
            actor=actor,
            agency=locked.agency,
            target=locked,
            before={"assignee": previous.assignee.get_username()} if previous else None,
            after={"assignee": assignee.get_username(), "note": note},
        )
    return assignment
