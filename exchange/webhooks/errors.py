"""Errors of the webhook services; codes are part of the API contract (docs/webhooks.md)."""

from django.utils.translation import gettext_lazy as _

from config.errors import Conflict, HubError, InvalidInput, NotFound


class WebhookUrlInvalid(InvalidInput):
    code = "webhook.url_invalid"
    default_message = _("The webhook URL is not a valid web address.")


class WebhookUrlNotHttps(InvalidInput):
    code = "webhook.url_not_https"
    default_message = _("The webhook URL must start with https://.")


class WebhookUrlNotPublic(InvalidInput):
    code = "webhook.url_not_public"
    default_message = _(
        "The webhook URL must reach a public internet address, not a private, loopback or "
        "reserved one."
    )


class WebhookUrlHasCredentials(InvalidInput):
    code = "webhook.url_has_credentials"
    default_message = _(
        "The webhook URL must not contain a user name or password; "
        "check the signature of each delivery instead."
    )


class WebhookEventsInvalid(InvalidInput):
    code = "webhook.events_invalid"
    default_message = _("Choose at least one known webhook event.")


class WebhookNotFound(NotFound):
    code = "webhook.not_found"
    default_message = _("No such webhook subscription or delivery for this agency.")


class WebhookNotRedrivable(Conflict):
    code = "webhook.not_redrivable"
    default_message = _(
        "Only a failed webhook delivery of an active subscription can be tried again."
    )


class WebhookSecretUnreadable(HubError):
    code = "webhook.secret_unreadable"
    http_status = 500
    default_message = _(
        "The webhook secret cannot be decrypted (wrong master key, or the data was altered)."
    )
