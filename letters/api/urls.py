from django.urls import path

from . import outgoing, views

urlpatterns = [
    path("codes/urgency", views.UrgencyCodesView.as_view(), name="api-codes-urgency"),
    path("codes/secrecy", views.SecrecyCodesView.as_view(), name="api-codes-secrecy"),
    path("codes/media-types", views.MediaTypeCodesView.as_view(), name="api-codes-media-types"),
]

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
