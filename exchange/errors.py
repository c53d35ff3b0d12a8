"""Errors of the delivery engine (the envelope's own are in exchange/envelope/errors.py)."""

from django.utils.translation import gettext_lazy as _

from config.errors import AccessDenied, Conflict, InvalidInput, NotFound


class MessageTypeNotAccepted(InvalidInput):
    code = "exchange.message_type_not_accepted"
    default_message = _("This endpoint does not accept this message type.")


class UnknownAcknowledgedMessage(NotFound):
    code = "exchange.unknown_acknowledged_message"
    default_message = _("The acknowledged message was not sent by this hub to this agency.")


class AcknowledgementOutOfOrder(Conflict):
    code = "exchange.acknowledgement_out_of_order"
    default_message = _("The letter's delivery is not in a state this acknowledgement can follow.")


class NotSendable(Conflict):
    code = "exchange.not_sendable"
    default_message = _("Only a draft or numbered outgoing letter with recipients can be sent.")


class NoInboundRecord(Conflict):
    code = "exchange.no_inbound_record"
    default_message = _(
        "This letter did not arrive through the exchange; no acknowledgement can be sent."
    )


class NotRedrivable(Conflict):
    code = "exchange.not_redrivable"
    default_message = _("Only a failed or expired delivery can be tried again.")


class ReceiptMismatch(InvalidInput):
    code = "exchange.receipt_mismatch"
    default_message = _("The receipt does not acknowledge the envelope that was sent.")


class NotTheSigner(AccessDenied):
    code = "exchange.not_the_sender"
    default_message = _("An agency may only submit envelopes that it signed as the sender.")


class SubmittedTwice(Conflict):
    code = "exchange.submitted_twice"
    default_message = _("This letter was already submitted to this recipient under another id.")


class NotPullMode(Conflict):
    code = "exchange.not_pull_mode"
    default_message = _(
        "This agency does not fetch its letters from a pull queue: the hub delivers them "
        "to its inbox (or pushes them to its endpoint)."
    )


class NotAnEncryptedLetter(NotFound):
    code = "exchange.not_an_encrypted_letter"
    default_message = _("This letter did not arrive encrypted: there is nothing to decrypt.")


class BreakGlassRefused(AccessDenied):
    code = "exchange.break_glass_refused"
    default_message = _("Only a hub administrator may open an agency's secret letter this way.")


class BreakGlassReasonRequired(InvalidInput):
    code = "exchange.break_glass_reason_required"
    default_message = _(
        "Give the reason for opening this secret letter (at least 20 characters): the agency "
        "will see it."
    )


class SweepGraceTooShort(InvalidInput):
    code = "storage.sweep_grace_too_short"
    default_message = _(
        "Stored files younger than an hour are never swept: an upload or a transaction that "
        "has not committed yet may still need them."
    )
