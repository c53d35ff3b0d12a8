from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/", views.inbox, name="inbox"),
    path("letters/<int:letter_id>/", views.letter_detail, name="letter-detail"),
    path(
        "letters/<int:letter_id>/files/<int:attachment_id>/",
        views.attachment_file,
        name="letter-attachment",
    ),
    path("letters/<int:letter_id>/stamped.pdf", views.stamped_main_pdf, name="letter-stamped"),
    path(
        "letters/<int:letter_id>/stamp-sheet.pdf", views.stamp_sheet_pdf, name="letter-stamp-sheet"
    ),
    path("letters/<int:letter_id>/register/", views.letter_register, name="letter-register"),
    path("letters/<int:letter_id>/refuse/", views.letter_refuse, name="letter-refuse"),
    path("letters/<int:letter_id>/endorse/", views.letter_endorse, name="letter-endorse"),
    path("letters/<int:letter_id>/assign/", views.letter_assign_view, name="letter-assign"),
    path("letters/new/", views.letter_compose, name="letter-compose"),
    path("letters/<int:letter_id>/edit/", views.letter_edit, name="letter-edit"),
    path("letters/<int:letter_id>/number/", views.letter_number, name="letter-number"),
    path("letters/<int:letter_id>/send/", views.letter_send_view, name="letter-send"),
    path("letters/<int:letter_id>/print/", views.letter_print, name="letter-print"),
    path("letters/<int:letter_id>/progress/", views.sending_progress, name="letter-progress"),
    path(
        "letters/<int:letter_id>/deliveries/<int:delivery_id>/redrive/",
        views.delivery_redrive_view,
        name="delivery-redrive",
    ),
    path(
        "letters/<int:letter_id>/deliveries/<int:delivery_id>/withdraw/",
        views.delivery_withdraw_view,
        name="delivery-withdraw",
    ),
    path(
        "letters/<int:letter_id>/deliveries/<int:delivery_id>/resend/",
        views.delivery_resend_view,
        name="delivery-resend",
    ),
    path("directory/search/", views.recipient_search, name="recipient-search"),
    path("break-glass/", views.break_glass_list, name="break-glass-list"),
    path("outbox/", views.outbox, name="outbox"),
    path("registers/<str:kind>/", views.register, name="register"),
    path("registers/<str:kind>/export.<str:fmt>", views.register_export, name="register-export"),
    path("preferences/digits/", views.display_preference, name="display-preference"),
]
