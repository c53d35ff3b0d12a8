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
from .preferences import DisplayPreference
from .register import (
    RegisterCancellation,
    RegisterCounter,
    RegisterEntry,
    RegisterKind,
    RegisterSeries,
)
from .routing import Assignment, Endorsement
from .sealed import SealedContent

__all__ = [
    "Assignment",
    "Attachment",
    "AttachmentRole",
    "Direction",
    "DisplayPreference",
    "Endorsement",
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
    "SealedContent",
    "Secrecy",
    "Urgency",
]
