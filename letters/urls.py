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
    path("preferences/digits/", views.display_preference, name="display-preference"),
]
