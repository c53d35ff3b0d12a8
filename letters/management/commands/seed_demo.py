"""Load the directory, demo clerks and the ETDA sample letter; running it again changes nothing."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from agencies.models import Agency, AgencyRole, HubRole, HubRoleName
from agencies.services import membership_grant
from letters.models import Letter
from letters.services.letters import (
    LetterFields,
    LetterParts,
    RecipientInput,
    ReferenceInput,
    letter_create_draft,
)

SAMPLE = Path(__file__).resolve().parents[2] / "demo" / "etda-letter.json"
SAMPLE_TOKEN = "seed-demo:etda-letter"  # noqa: S105 (a form token, not a secret)

# (username, password, full name, [(agency key, role)], hub roles). Demo only: refused in prod.
DEMO_USERS: list[tuple[str, str, str, list[tuple[str, AgencyRole]], list[HubRoleName]]] = [
    ("etda", "etda-demo-2569", "สมศรี ใจดี", [("etda", AgencyRole.CLERK)], []),
    ("soc", "soc-demo-2569", "สมชาย รักงาน", [("soc", AgencyRole.CLERK)], []),
    ("dga", "dga-demo-2569", "วิภาวรรณ สุขใจ", [("dga", AgencyRole.CLERK)], []),
    (
        "multi",
        "multi-demo-2569",
        "ประเสริฐ ทองดี",
        [("etda", AgencyRole.SECRET_OFFICER), ("dga", AgencyRole.AGENCY_ADMIN)],
        [],
    ),
    ("auditor", "auditor-demo-2569", "ผู้ตรวจสอบ ระบบ", [], [HubRoleName.AUDITOR]),
]
DEMO_AGENCIES = ("etda", "soc", "dga")


class Command(BaseCommand):
    help = "Create demo agencies, clerk logins and a draft letter (idempotent; not in production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production", action="store_true", help="Seed even when DEBUG is off."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("seed_demo creates known passwords; it runs only with DEBUG on.")
        call_command("load_directory", stdout=self.stdout)
        missing = [key for key in DEMO_AGENCIES if not Agency.objects.filter(key=key).exists()]
        if missing:
            raise CommandError(f"The directory lacks the demo agencies {missing}.")
        for username, password, full_name, memberships, hub_roles in DEMO_USERS:
            user = self._user(username, password, full_name)
            for key, role in memberships:
                membership_grant(
                    user=user, agency=Agency.objects.get(key=key), role=role, actor="system:seed"
                )
            for hub_role in hub_roles:
                HubRole.objects.get_or_create(user=user, role=hub_role)
        self._sample_letter()
        pki_options = ["--allow-production"] if options["allow_production"] else []
        call_command(
            "pki_demo", "--out", str(settings.VAR_DIR / "pki"), *pki_options, stdout=self.stdout
        )
        self.stdout.write(self.style.SUCCESS("Demo data ready. Demo logins (username / password):"))
        for username, password, full_name, memberships, hub_roles in DEMO_USERS:
            where = ", ".join(f"{key}:{role}" for key, role in memberships) or ", ".join(hub_roles)
            self.stdout.write(f"  {username:<8} / {password:<18} {full_name} ({where})")

    def _user(self, username: str, password: str, full_name: str) -> User:
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=username)
            if created:
                # Only on creation: a demo user who changed the password keeps it.
                first, _, last = full_name.partition(" ")
                user.first_name, user.last_name = first, last
                user.set_password(password)
                user.save()
        return user

    def _sample_letter(self) -> Letter:
        sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
        etda = Agency.objects.get(key="etda")
        soc = Agency.objects.get(key="soc")
        number = sample["number"]
        return letter_create_draft(
            agency=etda,
            actor="system:seed",
            client_token=SAMPLE_TOKEN,
            values=LetterFields(
                kind=sample["kind"],
                subject=sample["subject"],
                ministry_code=number["ministry_code"],
                sub_agency_code=number["sub_agency_code"],
                unit_number=number["unit_number"],
                series=number["series"],
                letter_date=datetime.date.fromisoformat(sample["date"]),
                salutation=sample["salutation"],
                addressee=sample["addressee"]["position"],
                body=sample["body_summary_th"],
                closing=sample["closing"],
                signer_name=sample["signer"]["name"],
                signer_position=sample["signer"]["position"],
                owning_unit=sample["owning_unit"],
                phone=sample["phone"],
                email=sample["email"],
                urgency=sample["urgency"],
                secrecy=sample["secrecy"],
            ),
            parts=LetterParts(
                recipients=[RecipientInput(agency=soc, addressee=sample["addressee"]["position"])],
                references=[
                    ReferenceInput(
                        number_text=reference["number_display_thai"],
                        date=datetime.date.fromisoformat(reference["date"]),
                        subject=reference["subject"],
                    )
                    for reference in sample["references"]
                ],
            ),
        )
