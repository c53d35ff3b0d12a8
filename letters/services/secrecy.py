"""Who may open a secret letter's content, and the log of every opening.

ลับ and ลับมาก letters are readable only by the recipient agency's secret-registry officers,
and every view and download is logged (ระเบียบว่าด้วยการรักษาความลับของทางราชการ พ.ศ. 2544).
Clerks still see what the register shows (number, sender, subject, urgency), so they can
route the letter to the officers; the body and the files stay closed to them.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from agencies.models import AgencyRole
from agencies.selectors import user_has_agency_role
from audit.services import audit_chain_lock, audit_record
from letters.errors import SecretContentRefused
from letters.models import Attachment, Letter
from letters.selectors import letter_is_secret


def secret_content_allowed(*, letter: Letter, user: User) -> bool:
    """Say whether the user may open the letter's content (always, unless it is secret)."""
    if not letter_is_secret(letter):
        return True
    return user_has_agency_role(user=user, agency=letter.agency, roles={AgencyRole.SECRET_OFFICER})


def secret_content_open(
    *, letter: Letter, actor: User, attachment: Attachment | None = None
) -> None:
    """Let the user open the letter's content, or raise SecretContentRefused.

    For a secret letter, log the opening (the page, or one file) in the audit trail.
    """
    if not letter_is_secret(letter):
        return
    allowed = secret_content_allowed(letter=letter, user=actor)
    with transaction.atomic(durable=True):
        audit_chain_lock()
        # A refused attempt is logged too: the regulation's log is of who tried, not only
        # of who succeeded.
        audit_record(
            action=(
                "letters.attachment.secret_" if attachment is not None else "letters.letter.secret_"
            )
            + ("opened" if allowed else "refused"),
            actor=actor,
            agency=letter.agency,
            target=attachment if attachment is not None else letter,
            after={"letter": letter.pk, "secrecy": letter.secrecy},
        )
    if not allowed:
        raise SecretContentRefused()
