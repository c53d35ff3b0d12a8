from django.urls import path

from . import outgoing, views

urlpatterns = [
    path("codes/urgency", views.UrgencyCodesView.as_view(), name="api-codes-urgency"),
    path("codes/secrecy", views.SecrecyCodesView.as_view(), name="api-codes-secrecy"),
    path("codes/media-types", views.MediaTypeCodesView.as_view(), name="api-codes-media-types"),
]

# --- Incoming side: inbox and registers (letters/api/inbox.py, letters/api/registers.py) ---
from . import inbox, registers  # noqa: E402  (kept beside its block to ease merging)

urlpatterns += [
    path("inbox", inbox.InboxListView.as_view(), name="api-inbox-list"),
    path("inbox/<int:letter_id>", inbox.InboxLetterView.as_view(), name="api-inbox-detail"),
    path(
        "inbox/<int:letter_id>/envelope",
        inbox.InboxEnvelopeView.as_view(),
        name="api-inbox-envelope",
    ),
    path(
        "inbox/<int:letter_id>/attachments/<int:attachment_id>",
        inbox.InboxAttachmentView.as_view(),
        name="api-inbox-attachment",
    ),
    path(
        "inbox/<int:letter_id>/register",
        inbox.InboxRegisterView.as_view(),
        name="api-inbox-register",
    ),
    path("inbox/<int:letter_id>/reject", inbox.InboxRejectView.as_view(), name="api-inbox-reject"),
    path(
        "inbox/<int:letter_id>/wrong-recipient",
        inbox.InboxWrongRecipientView.as_view(),
        name="api-inbox-wrong-recipient",
    ),
    path("registers/<str:register>", registers.RegisterView.as_view(), name="api-register"),
]
# --- end of the incoming side ---
# -- Outgoing letters (letters/api/outgoing.py) ------------------------------------------------
urlpatterns += [
    path("letters", outgoing.LetterCreateView.as_view(), name="api-letter-create"),
    path("letters/<int:letter_id>", outgoing.LetterDetailView.as_view(), name="api-letter-detail"),
    path(
        "letters/<int:letter_id>/attachments",
        outgoing.LetterAttachmentAddView.as_view(),
        name="api-letter-attachments",
    ),
    path(
        "letters/<int:letter_id>/attachments/<int:attachment_id>",
        outgoing.LetterAttachmentDownloadView.as_view(),
        name="api-letter-attachment",
    ),
    path(
        "letters/<int:letter_id>/number",
        outgoing.LetterNumberView.as_view(),
        name="api-letter-number",
    ),
    path("letters/<int:letter_id>/send", outgoing.LetterSendView.as_view(), name="api-letter-send"),
    path(
        "letters/<int:letter_id>/deliveries",
        outgoing.LetterDeliveriesView.as_view(),
        name="api-letter-deliveries",
    ),
    path("outbox", outgoing.OutboxView.as_view(), name="api-outbox"),
]
# -- end of outgoing letters -------------------------------------------------------------------
