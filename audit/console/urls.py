from django.urls import path

from . import views

urlpatterns = [
    path("", views.console_home, name="console"),
    path("events/", views.events, name="console-events"),
    path("letters/<int:letter_id>/", views.letter, name="console-letter"),
    path("letters/<int:letter_id>/evidence.zip", views.evidence, name="console-evidence"),
    path("letters/<int:letter_id>/break-glass/", views.break_glass, name="console-break-glass"),
    path("chain/", views.chain, name="console-chain"),
    path("operations/", views.operations, name="console-operations"),
    path("deliveries/<int:delivery_id>/redrive/", views.redrive, name="console-redrive"),
]
