"""Letters, their parts, and the receive and dispatch registers."""

from .letter import (
    Attachment,
    AttachmentRole,
    Direction,
    Letter,
    LetterKind,
    LetterRecipient,
    LetterReference,
    LetterStatus,
    RecipientRole,
    Secrecy,
    Urgency,
)
from .register import (
    RegisterCancellation,
    RegisterCounter,
    RegisterEntry,
    RegisterKind,
    RegisterSeries,
)

__all__ = [
    "Attachment",
    "AttachmentRole",
    "Direction",
    "Letter",
    "LetterKind",
    "LetterRecipient",
    "LetterReference",
    "LetterStatus",
    "RecipientRole",
    "RegisterCancellation",
    "RegisterCounter",
    "RegisterEntry",
    "RegisterKind",
    "RegisterSeries",
    "Secrecy",
    "Urgency",
]
