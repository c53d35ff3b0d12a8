"""The clerk UI's views, one module per page or group of actions (docs/ui.md)."""

from .actions import letter_assign_view, letter_endorse, letter_refuse, letter_register
from .home import home
from .inbox import inbox
from .letter import attachment_file, letter_detail, stamp_sheet_pdf, stamped_main_pdf
from .preferences import display_preference

__all__ = [
    "attachment_file",
    "display_preference",
    "home",
    "inbox",
    "letter_assign_view",
    "letter_detail",
    "letter_endorse",
    "letter_refuse",
    "letter_register",
    "stamp_sheet_pdf",
    "stamped_main_pdf",
]
