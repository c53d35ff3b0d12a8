"""The clerk UI's views, one module per page or group of actions (docs/ui.md)."""

from .actions import letter_assign_view, letter_endorse, letter_refuse, letter_register
from .break_glass import break_glass_list
from .compose import letter_compose, letter_edit, letter_number, letter_send_view, recipient_search
from .home import home
from .inbox import inbox
from .letter import attachment_file, letter_detail, stamp_sheet_pdf, stamped_main_pdf
from .outbox import (
    delivery_redrive_view,
    delivery_resend_view,
    delivery_withdraw_view,
    outbox,
    sending_progress,
)
from .preferences import display_preference
from .printing import letter_print
from .registers import register, register_export

__all__ = [
    "attachment_file",
    "break_glass_list",
    "delivery_redrive_view",
    "delivery_resend_view",
    "delivery_withdraw_view",
    "display_preference",
    "home",
    "inbox",
    "letter_assign_view",
    "letter_compose",
    "letter_detail",
    "letter_edit",
    "letter_endorse",
    "letter_number",
    "letter_print",
    "letter_refuse",
    "letter_register",
    "letter_send_view",
    "outbox",
    "recipient_search",
    "register",
    "register_export",
    "sending_progress",
    "stamp_sheet_pdf",
    "stamped_main_pdf",
]
