"""Errors of letters and registers, each with a stable code (see config/errors.py)."""

from django.utils.translation import gettext_lazy as _

from config.errors import AccessDenied, Conflict, InvalidInput


class TopSecretRefused(InvalidInput):
    code = "letters.top_secret_refused"
    default_message = _(
        "Top secret (ลับที่สุด) letters must not be sent electronically. "
        "Send them by hand through the secret registry."
    )


class LetterNotEditable(Conflict):
    code = "letters.not_editable"
    default_message = _("Only a draft can be changed.")


class LetterNotNumberable(Conflict):
    code = "letters.not_numberable"
    default_message = _("Only a draft outgoing letter can be given a number.")


class LetterNotRegistrable(Conflict):
    code = "letters.not_registrable"
    default_message = _("Only a received incoming letter can be registered.")


class LetterInvalid(InvalidInput):
    code = "letters.invalid"


class AttachmentInvalid(InvalidInput):
    code = "letters.attachment_invalid"
    default_message = _("The file cannot be attached.")


class AttachmentContentMismatch(InvalidInput):
    code = "letters.attachment_content_mismatch"
    default_message = _(
        "The file's content is not what its type or name says (a PDF must be a PDF)."
    )


class AttachmentTypeForbidden(InvalidInput):
    code = "letters.attachment_type_forbidden"
    default_message = _("Web pages, scripts and programs cannot be attached to a letter.")


class AttachmentTooLarge(InvalidInput):
    code = "letters.attachment_too_large"
    default_message = _("The file is larger than the hub accepts.")


class AttachmentNotPdf(AttachmentContentMismatch):
    code = "letters.attachment_not_pdf"
    default_message = _("The file is called a PDF but its content is not a PDF document.")


class AttachmentTypeNotAllowed(InvalidInput):
    code = "letters.attachment_type_not_allowed"
    default_message = _("The hub does not accept files of this type.")


class IdempotencyConflict(Conflict):
    code = "registers.idempotency_conflict"
    default_message = _("This request key was already used for a different entry.")


class RegisterEntryAlreadyCancelled(Conflict):
    code = "registers.already_cancelled"
    default_message = _("This number is already cancelled.")


class RegisterEntryNotOriginal(InvalidInput):
    code = "registers.not_original"
    default_message = _("Cancel or correct the original line of a number, not a correction.")


class LetterNotRoutable(Conflict):
    code = "letters.not_routable"
    default_message = _(
        "Only an incoming letter that was received or registered can be endorsed or assigned."
    )


class AssigneeNotMember(InvalidInput):
    code = "letters.assignee_not_member"
    default_message = _("The person to assign must be a member of your agency.")


class EndorsementEmpty(InvalidInput):
    code = "letters.endorsement_empty"
    default_message = _("Write the endorsement before saving it.")


class SecretContentRefused(AccessDenied):
    code = "letters.secret_content_refused"
    default_message = _(
        "This letter is secret: only the agency's secret-registry officers may open its content."
    )


class SecretHoldingUnavailable(Conflict):
    code = "letters.secret_holding_unavailable"
    default_message = _(
        "Your agency has no valid encryption certificate with its key on this hub, so a secret "
        "letter (ลับ, ลับมาก) cannot be kept here encrypted. Ask the hub administrator to "
        "import one."
    )


class SecretContentUnreadable(Conflict):
    code = "letters.secret_content_unreadable"
    default_message = _(
        "The secret letter's encrypted content could not be opened: it was altered, or the key "
        "it was sealed to is gone."
    )


class SecretContentSealed(Conflict):
    code = "letters.secret_content_sealed"
    default_message = _(
        "This secret letter's content is kept encrypted; it is shown only to the agency's "
        "secret-registry officers, in the hub."
    )
