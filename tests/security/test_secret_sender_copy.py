"""The sender's own copy of a secret letter is sealed too, from its first save.

Acceptance of issue 8, item 1, on ETDA's (the sender's) side: a ลับมาก letter ETDA drafts, numbers
and sends to SOC leaves nothing readable anywhere in the hub's database (every table, ETDA's
rows, SOC's, the envelopes, the audit trail) or storage (every file under MEDIA_ROOT); ETDA's
secret-registry officer opens ETDA's copy (audited), ETDA's clerks do not; editing, making a
draft ordinary and secret again, rotating the key and the API all keep it that way.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from agencies.models import Agency, AgencyRole
from agencies.pki.issuing import issue_certificate
from agencies.pki.services import agency_encryption_key_import
from audit.models import AuditEvent
from exchange.models import Delivery
from exchange.services.secret_letters import secret_letter_open
from exchange.services.sending import letter_send
from letters.errors import SecretContentRefused, SecretContentUnreadable, SecretHoldingUnavailable
from letters.models import (
    Attachment,
    Letter,
    LetterReference,
    LetterStatus,
    SealedContent,
    Secrecy,
)
from letters.models.sealed import SECRET_PLACEHOLDER_SUBJECT
from letters.sealing import FileSealer, file_associated_data, file_open
from letters.services.letters import (
    LetterFields,
    letter_allocate_number,
    letter_change_draft,
    letter_create_draft,
    letter_register_incoming,
    letter_update_draft,
)
from letters.services.sealed import sealed_read
from tests.api.conftest import api_key_for, client_with
from tests.conftest import make_user
from tests.security.secret_support import Stored, stored_everywhere, stored_rows
from tests.security.test_secret_letters import (
    BODY,
    ENCLOSURE,
    ENCLOSURE_NAME,
    MAIN_NAME,
    MAIN_PDF,
    REFERENCE_SUBJECT,
    SECRET_BYTES,
    SECRETS,
    SIGNER,
    SUBJECT,
    draft_secret,
    send_secret,
)


@pytest.fixture
def etda_officer(etda: Agency) -> User:
    """ETDA's secret-registry officer: the one who may open ETDA's own secret letters."""
    return make_user("pranee", (etda, AgencyRole.CLERK), (etda, AgencyRole.SECRET_OFFICER))


def _files_in_storage() -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def _assert_unreadable(stored: Stored) -> None:
    assert stored.found([*SECRETS, *SECRET_BYTES]) == []


# --- nothing readable, anywhere ------------------------------------------------------------------


def test_nothing_of_a_sent_secret_letter_is_readable_in_the_whole_database_or_storage(
    hosted, etda, soc, alice, somsri, settings
):
    delivery, copy = send_secret(etda, soc, alice)
    letter_register_incoming(letter=copy, actor=somsri)
    sent = Letter.objects.get(pk=delivery.letter_id)

    _assert_unreadable(stored_everywhere())
    # ETDA's two sealed files, the ciphertext travelling to SOC, and SOC's two copies.
    assert len(_files_in_storage()) == 6

    assert sent.subject == SECRET_PLACEHOLDER_SUBJECT
    assert (sent.body, sent.signer_name, sent.addressee, sent.owning_unit) == ("", "", "", "")
    assert [r.subject for r in sent.references.all()] == [""]
    assert all(a.sealed and a.name.endswith(".bin") for a in sent.attachments.all())
    assert {a.media_type for a in sent.attachments.all()} == {"application/octet-stream"}
    # ETDA's dispatch register line: the number, the date, the recipient; no subject.
    entry = sent.register_entries.get()
    assert (entry.series, entry.subject) == ("secret", SECRET_PLACEHOLDER_SUBJECT)
    # And what SOC received is the letter ETDA wrote, word for word and byte for byte.
    opened = secret_letter_open(letter=copy, user=somsri)
    assert (opened.letter.subject, opened.letter.body, opened.letter.signer_name) == (
        SUBJECT,
        BODY,
        SIGNER,
    )
    assert [(f.name, f.data) for f in opened.files] == [
        (MAIN_NAME, MAIN_PDF),
        (ENCLOSURE_NAME, ENCLOSURE),
    ]


def test_a_secret_draft_with_files_given_at_compose_is_sealed_before_its_first_write(
    hosted, etda, soc, alice, settings
):
    from letters.services.attachments import AttachmentUpload
    from letters.services.letters import LetterParts, RecipientInput

    draft = letter_create_draft(
        agency=etda,
        actor=alice,
        values=LetterFields(subject=SUBJECT, body=BODY, secrecy=Secrecy.CONFIDENTIAL),
        parts=LetterParts(recipients=[RecipientInput(agency=soc)]),
        attachments=[
            AttachmentUpload(
                stream=io.BytesIO(MAIN_PDF),
                name=MAIN_NAME,
                media_type="application/pdf",
                role="main",
            )
        ],
    )

    _assert_unreadable(stored_everywhere())
    payload = sealed_read(draft)
    assert (payload.fields["subject"], payload.fields["body"]) == (SUBJECT, BODY)
    [(storage_name, facts)] = payload.files.items()
    assert (facts.name, facts.media_type, facts.size) == (
        MAIN_NAME,
        "application/pdf",
        len(MAIN_PDF),
    )
    assert draft.attachments.get().file.name == storage_name


# --- who opens ETDA's own copy -------------------------------------------------------------------


def test_only_etdas_secret_officer_opens_etdas_own_copy_and_each_try_is_logged(
    hosted, etda, soc, alice, etda_officer, somsri
):
    delivery, _copy = send_secret(etda, soc, alice)
    sent = Letter.objects.get(pk=delivery.letter_id)

    # Alice wrote it, but she is a clerk: the content is for the secret registry only.
    for persona in (alice, somsri):
        with pytest.raises(SecretContentRefused):
            secret_letter_open(letter=sent, user=persona)
    opened = secret_letter_open(letter=sent, user=etda_officer)
    [main] = secret_letter_open(
        letter=sent, user=etda_officer, attachment=sent.attachments.get(role="main")
    ).files

    assert (opened.letter.subject, opened.letter.body) == (SUBJECT, BODY)
    assert [r.subject for r in opened.references] == [REFERENCE_SUBJECT]
    assert [(f.name, f.media_type, f.description, f.data) for f in opened.files] == [
        (MAIN_NAME, "application/pdf", "", MAIN_PDF),
        (ENCLOSURE_NAME, "text/plain", "สิ่งที่ส่งมาด้วย ๑", ENCLOSURE),
    ]
    assert (main.name, main.data) == (MAIN_NAME, MAIN_PDF)
    refused = AuditEvent.objects.filter(action="letters.letter.secret_refused", agency=etda)
    assert [e.actor_user for e in refused.order_by("id")] == [alice, somsri]
    assert AuditEvent.objects.filter(
        action="letters.letter.secret_opened", agency=etda, actor_user=etda_officer
    ).exists()
    assert AuditEvent.objects.filter(
        action="letters.attachment.secret_opened", agency=etda, actor_user=etda_officer
    ).exists()


# --- editing keeps it sealed ---------------------------------------------------------------------


def test_changing_one_field_of_a_secret_draft_keeps_its_sealed_content(hosted, etda, soc, alice):
    draft = draft_secret(etda, soc, alice)
    box_before = bytes(SealedContent.objects.get(letter=draft).ciphertext)

    letter_change_draft(letter=draft, actor=alice, changes={"urgency": "004"})

    draft.refresh_from_db()
    assert (draft.urgency, draft.subject, draft.body) == ("004", SECRET_PLACEHOLDER_SUBJECT, "")
    payload = sealed_read(draft)
    assert (payload.fields["subject"], payload.fields["signer_name"]) == (SUBJECT, SIGNER)
    assert payload.reference_subjects == (REFERENCE_SUBJECT,)
    assert len(payload.files) == 2
    # A new box, under a new key: the old ciphertext is not reused.
    assert bytes(SealedContent.objects.get(letter=draft).ciphertext) != box_before


def test_a_secret_draft_made_ordinary_comes_back_in_the_clear_and_secret_again_is_resealed(
    hosted, etda, soc, alice, settings, django_capture_on_commit_callbacks
):
    draft = draft_secret(etda, soc, alice)
    values = LetterFields(subject=SUBJECT, body=BODY, signer_name=SIGNER, urgency="003")

    with django_capture_on_commit_callbacks(execute=True):
        letter_update_draft(letter=draft, actor=alice, values=values)

    draft.refresh_from_db()
    assert (draft.subject, draft.body, draft.secrecy) == (SUBJECT, BODY, Secrecy.NONE)
    assert not SealedContent.objects.filter(letter=draft).exists()
    assert [r.subject for r in draft.references.all()] == [REFERENCE_SUBJECT]
    files = list(draft.attachments.order_by("position"))
    assert [(a.name, a.media_type, a.sealed) for a in files] == [
        (MAIN_NAME, "application/pdf", False),
        (ENCLOSURE_NAME, "text/plain", False),
    ]
    assert [Path(a.file.path).read_bytes() for a in files] == [MAIN_PDF, ENCLOSURE]
    # The ciphertext files went when the change committed: only the clear ones are left.
    assert len(_files_in_storage()) == 2

    with django_capture_on_commit_callbacks(execute=True):
        letter_update_draft(
            letter=draft, actor=alice, values=LetterFields(**{**values.__dict__, "secrecy": "003"})
        )

    draft.refresh_from_db()
    assert draft.subject == SECRET_PLACEHOLDER_SUBJECT
    assert [r.subject for r in draft.references.all()] == [""]
    assert sealed_read(draft).reference_subjects == (REFERENCE_SUBJECT,)
    # The letter's rows are sealed again. (The audit rows written while it was ordinary keep
    # what they said then: the trail is append-only; docs/security.md says so.)
    _assert_unreadable(
        stored_rows(
            Letter.objects.all(),
            LetterReference.objects.all(),
            Attachment.objects.all(),
            SealedContent.objects.all(),
        )
    )
    assert len(_files_in_storage()) == 2
    for path in _files_in_storage():
        _assert_unreadable(Stored(text="", data=path.read_bytes()))


# --- refusals and damage -------------------------------------------------------------------------


def test_an_agency_without_its_own_encryption_key_cannot_keep_a_secret_draft(
    etda, soc, alice, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path

    with pytest.raises(SecretHoldingUnavailable) as refusal:
        draft_secret(etda, soc, alice)

    assert refusal.value.code == "letters.secret_holding_unavailable"
    assert refusal.value.http_status == 409
    assert not Letter.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_an_altered_box_is_refused_when_opened_and_nothing_is_sent(
    hosted, etda, soc, alice, etda_officer
):
    draft = draft_secret(etda, soc, alice)
    box = SealedContent.objects.get(letter=draft)
    altered = bytearray(bytes(box.ciphertext))
    altered[5] ^= 0x01
    SealedContent.objects.filter(pk=box.pk).update(ciphertext=bytes(altered))

    with pytest.raises(SecretContentUnreadable):
        secret_letter_open(letter=draft, user=etda_officer)
    with pytest.raises(SecretContentUnreadable):
        letter_send(letter=draft, actor=alice)

    [failed] = AuditEvent.objects.filter(action="letters.letter.secret_open_failed")
    assert failed.after["code"] == "letters.secret_content_unreadable"
    draft.refresh_from_db()
    assert (draft.status, draft.running_number) == (LetterStatus.DRAFT, None)
    assert not Delivery.objects.exists()


def test_a_box_moved_to_another_letter_does_not_open(hosted, etda, soc, alice, etda_officer):
    first = draft_secret(etda, soc, alice)
    second = draft_secret(etda, soc, alice)
    box = SealedContent.objects.get(letter=first)
    SealedContent.objects.filter(letter=second).update(
        wrapped_key=box.wrapped_key, ciphertext=box.ciphertext
    )

    with pytest.raises(SecretContentUnreadable):
        sealed_read(second)
    assert sealed_read(first).fields["subject"] == SUBJECT


def test_a_sealed_file_altered_at_rest_is_refused(hosted, etda, soc, alice, etda_officer):
    draft = draft_secret(etda, soc, alice)
    stored = draft.attachments.get(role="enclosure")
    path = Path(stored.file.path)
    data = bytearray(path.read_bytes())
    data[0] ^= 0x01
    path.write_bytes(bytes(data))

    with pytest.raises(SecretContentUnreadable):
        secret_letter_open(letter=draft, user=etda_officer, attachment=stored)


# --- keys ----------------------------------------------------------------------------------------


def test_after_a_key_rotation_an_old_draft_still_opens_and_is_resealed_to_the_new_key(
    hosted, pki, etda, soc, alice
):
    draft = draft_secret(etda, soc, alice)
    old = SealedContent.objects.get(letter=draft).certificate_sha256
    renewed = issue_certificate(
        pki.ca, common_name="สพธอ. secret letters ๒๕๗๐", organization=etda.name_th, encryption=True
    )
    agency_encryption_key_import(
        agency=etda,
        key_data=renewed.private_key_pem(),
        certificate_data=renewed.certificate_pem(),
        password=None,
        actor="test",
    )

    assert sealed_read(draft).fields["subject"] == SUBJECT
    letter_change_draft(letter=draft, actor=alice, changes={"urgency": "002"})

    new = SealedContent.objects.get(letter=draft).certificate_sha256
    assert new != old
    payload = sealed_read(draft)
    assert payload.fields["subject"] == SUBJECT and len(payload.files) == 2
    letter_allocate_number(letter=draft, actor=alice)
    [delivery] = letter_send(letter=draft, actor=alice)
    assert delivery.recipient == soc


# --- the API and the clerk's pages ---------------------------------------------------------------


def test_the_api_shows_etdas_system_the_clear_facts_only_and_keeps_the_content_on_a_patch(
    hosted, etda, soc, alice
):
    draft = draft_secret(etda, soc, alice)
    client = client_with(api_key_for(etda))

    detail = client.get(f"/api/v1/letters/{draft.pk}").json()
    patched = client.patch(f"/api/v1/letters/{draft.pk}", {"urgency": "004"}, format="json")
    main = draft.attachments.get(role="main")
    download = client.get(f"/api/v1/letters/{draft.pk}/attachments/{main.pk}")

    assert detail["content_sealed"] is True
    assert (detail["subject"], detail["body"], detail["secrecy"]) == (
        SECRET_PLACEHOLDER_SUBJECT,
        "",
        "003",
    )
    assert all(a["name"].endswith(".bin") for a in detail["attachments"])
    text = str(detail)
    for secret_text in (SUBJECT, BODY, SIGNER, REFERENCE_SUBJECT, MAIN_NAME, ENCLOSURE_NAME):
        assert secret_text not in text
    assert patched.status_code == 200 and patched.json()["urgency"] == "004"
    assert sealed_read(draft).fields["subject"] == SUBJECT
    assert download.status_code == 409
    assert download.json()["code"] == "letters.secret_content_sealed"


def test_etdas_officer_edits_the_secret_draft_in_the_form_and_a_clerk_is_turned_away(
    hosted, etda, soc, alice, etda_officer, client
):
    draft = draft_secret(etda, soc, alice)

    client.force_login(alice)
    turned_away = client.get(f"/letters/{draft.pk}/edit/")
    clerks_pages = [client.get(f"/letters/{draft.pk}/"), client.get(f"/letters/{draft.pk}/print/")]
    client.force_login(etda_officer)
    form = client.get(f"/letters/{draft.pk}/edit/")
    page = client.get(f"/letters/{draft.pk}/")

    assert turned_away.status_code == 302
    assert turned_away["Location"] == f"/letters/{draft.pk}/"
    assert form.status_code == 200
    text = form.content.decode()
    assert SUBJECT in text and BODY in text and REFERENCE_SUBJECT in text and MAIN_NAME in text
    assert SUBJECT in page.content.decode() and REFERENCE_SUBJECT in page.content.decode()
    assert "นร ๐๕๐๖/ล ๑๒" in page.content.decode()
    # Alice sees that there is a secret letter, not what it says or what it cites.
    for clerks_page in clerks_pages:
        assert clerks_page.status_code == 200
        text = clerks_page.content.decode()
        assert SUBJECT not in text and BODY not in text and "นร ๐๕๐๖/ล ๑๒" not in text
    assert (
        AuditEvent.objects.filter(
            action="letters.letter.secret_opened", actor_user=etda_officer
        ).count()
        == 2
    )


# --- streaming encryption ------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [1, 7, 16, 4096, 65536, -1])
def test_a_file_is_encrypted_as_it_streams_whatever_the_reader_asks_for(chunk):
    plaintext = ("ไฟล์ลับ ๑๒๓ " * 3000).encode()
    aad = file_associated_data(agency_key="etda")
    sealer = FileSealer(io.BytesIO(plaintext), associated_data=aad)

    pieces = []
    while piece := sealer.read(chunk):
        pieces.append(piece)
        if chunk > 0:
            assert len(piece) <= chunk
    ciphertext = b"".join(pieces)

    assert len(ciphertext) == len(plaintext) + 16
    assert file_open(ciphertext, key=sealer.key, associated_data=aad) == plaintext


def test_a_secret_file_exactly_at_the_size_cap_is_accepted(hosted, etda, soc, alice, settings):
    from letters.services.attachments import attachment_add

    draft = draft_secret(etda, soc, alice)
    settings.HUB_MAX_ATTACHMENT_BYTES = 2048
    data = ("ก" * 682 + "\n\n").encode()
    assert len(data) == 2048

    attachment_add(
        letter=draft,
        actor=alice,
        stream=io.BytesIO(data),
        name="ภาคผนวก.txt",
        media_type="text/plain",
        role="enclosure",
    )

    facts = {f.name: f for f in sealed_read(draft).files.values()}
    assert facts["ภาคผนวก.txt"].size == 2048
    assert Attachment.objects.filter(letter=draft).count() == 3


def test_a_secret_letter_kept_in_the_clear_before_sealing_existed_still_travels_encrypted(
    hosted, etda, soc, alice, somsri
):
    from exchange.services.outbox import delivery_attempt
    from letters.models import LetterRecipient

    # A row as written before the sender's copy was sealed (no box, content in the clear).
    older = Letter.objects.create(
        agency=etda,
        sender_agency=etda,
        direction="outgoing",
        subject=SUBJECT,
        body=BODY,
        secrecy=Secrecy.CONFIDENTIAL,
        ministry_code="ดศ",
        unit_number="511.04",
    )
    LetterRecipient.objects.create(letter=older, agency=soc)

    [delivery] = letter_send(letter=older, actor=alice)
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"

    assert b"<EncryptedLetter>" in bytes(Delivery.objects.get(pk=delivery.pk).envelope)
    copy = Letter.objects.get(agency=soc)
    assert secret_letter_open(letter=copy, user=somsri).letter.subject == SUBJECT
