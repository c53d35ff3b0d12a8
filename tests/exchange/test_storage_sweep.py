"""Sweeping stored files no row names (exchange.services.storage_sweep).

Alice (ETDA's clerk) attaches files to drafts and sends secret letters to Bob's agency (SOC).
What a crash or a rolled-back send leaves in storage is deleted once it is older than the grace
period; a file a row names, or a file still fresh, never is.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import os
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from agencies.models import AgencyRole
from agencies.pki.errors import NoEncryptionCertificate
from audit.models import AuditEvent
from exchange.errors import SweepGraceTooShort
from exchange.models import Delivery, SealedDeliveryFile
from exchange.services import storage_sweep
from exchange.services.sending import letter_send
from exchange.services.storage_sweep import orphan_files_sweep, stored_file_fields
from letters.models import Attachment, AttachmentRole, Letter, LetterStatus, Secrecy
from letters.services.attachments import attachment_add
from letters.services.letters import LetterFields, LetterParts, RecipientInput, letter_create_draft
from tests.conftest import make_agency, make_user

from .test_delivery_flow import PDF, draft_to

DAY = datetime.timedelta(days=1)
LEFT_BEHIND = "บันทึกข้อความ ค้างจากการอัปโหลดที่ล้มเหลว".encode()
SECRET_ENCLOSURE = "รายงานผลการตรวจสอบระบบสารบรรณ ฉบับลับ\n".encode()


@pytest.fixture
def alice(hosted, etda):
    """ETDA's clerk; ETDA and SOC are hosted here with their keys, files under tmp_path."""
    return make_user("alice", (etda, AgencyRole.CLERK))


def aged(name: str, age: datetime.timedelta) -> None:
    """Set a stored file's modification time ``age`` ago, as if it had been written then."""
    then = (timezone.now() - age).timestamp()
    os.utime(default_storage.path(name), (then, then))


def left_behind(name: str, *, age: datetime.timedelta, data: bytes = LEFT_BEHIND) -> str:
    """Store a file no row names (what a crash between storage and commit leaves)."""
    saved = default_storage.save(name, ContentFile(data))
    aged(saved, age)
    return saved


def stored_names(folder: str) -> set[str]:
    return set(storage_sweep._walk(default_storage, folder))


def sweep_events():
    return AuditEvent.objects.filter(action="storage.orphans_swept").order_by("sequence")


def secret_draft(etda, alice, *recipients) -> Letter:
    letter = letter_create_draft(
        agency=etda,
        actor=alice,
        values=LetterFields(
            subject="ผลการตรวจสอบความมั่นคงปลอดภัยระบบสารบรรณกลาง",
            body="ด้วยสำนักงานฯ ได้ตรวจพบช่องโหว่ จึงเรียนมาเพื่อโปรดพิจารณา",
            secrecy=Secrecy.SECRET,
            signer_name="นายชัยชนะ มิตรพันธ์",
            signer_position="ผู้อำนวยการ",
        ),
        parts=LetterParts(recipients=[RecipientInput(agency=agency) for agency in recipients]),
    )
    attachment_add(
        letter=letter,
        actor=alice,
        stream=io.BytesIO(SECRET_ENCLOSURE),
        name="รายงานผลการตรวจสอบ ลับ.txt",
        media_type="text/plain",
        role=AttachmentRole.ENCLOSURE,
    )
    return letter


def test_an_orphan_past_the_grace_period_is_deleted_and_the_sweep_audited(alice):
    orphan = left_behind("attachments/2026/01/หนังสือเชิญประชุม ฉบับร่าง.pdf", age=2 * DAY)
    sealed = left_behind("sealed/2026/01/สำเนาเข้ารหัส.bin", age=3 * DAY, data=b"\x00" * 64)

    result = orphan_files_sweep(older_than=DAY, dry_run=False, limit=100)

    assert not default_storage.exists(orphan)
    assert not default_storage.exists(sealed)
    assert {o.name for o in result.deleted} == {orphan, sealed}
    assert result.deleted_bytes == len(LEFT_BEHIND) + 64
    [event] = sweep_events()
    assert (event.actor_user, event.actor_label, event.agency) == (
        None,
        "system:storage_sweep",
        None,
    )
    assert event.after == {
        "deleted": 2,
        "deleted_bytes": len(LEFT_BEHIND) + 64,
        "claimed_meanwhile": 0,
        "scanned": 2,
        "kept_recent": 0,
        "kept_referenced": 0,
        "older_than_seconds": 86400,
        "limit": 100,
        "limit_reached": False,
    }


def test_files_that_rows_name_are_kept_however_old(alice, etda, soc):
    draft = draft_to(etda, soc, alice)  # Alice's draft with its main PDF
    [delivery] = letter_send(letter=secret_draft(etda, alice, soc), actor=alice)
    kept = [a.file.name for a in Attachment.objects.all()] + [
        f.file.name for f in SealedDeliveryFile.objects.filter(delivery=delivery)
    ]
    assert len(kept) == 3  # two attachments (one per letter) and one sealed copy
    for name in kept:
        aged(name, 30 * DAY)

    result = orphan_files_sweep(older_than=DAY, dry_run=False, limit=100)

    assert (result.scanned, result.kept_referenced, result.deleted) == (3, 3, ())
    assert all(default_storage.exists(name) for name in kept)
    with draft.attachments.get().file.open("rb") as stream:
        assert stream.read() == PDF
    assert not sweep_events().exists()  # nothing changed, nothing to record


def test_a_fresh_orphan_is_kept_for_the_grace_period(alice):
    uploading = left_behind("attachments/2026/05/คำสั่งแต่งตั้งคณะทำงาน.pdf", age=DAY * 0.9)

    result = orphan_files_sweep(older_than=DAY, dry_run=False, limit=100)

    assert default_storage.exists(uploading)
    assert (result.kept_recent, result.orphans, result.deleted) == (1, (), ())
    assert not sweep_events().exists()


def test_a_dry_run_reports_the_orphans_and_deletes_nothing(alice):
    orphan = left_behind("attachments/2026/02/สิ่งที่ส่งมาด้วย ๑.pdf", age=2 * DAY)

    result = orphan_files_sweep(older_than=DAY, dry_run=True, limit=100)

    assert default_storage.exists(orphan)
    assert [o.name for o in result.orphans] == [orphan]
    assert (result.orphan_bytes, result.deleted) == (len(LEFT_BEHIND), ())
    assert not sweep_events().exists()


def test_one_run_deletes_at_most_the_limit_and_the_next_the_rest(alice):
    orphans = [
        left_behind(f"attachments/2025/12/เอกสารแนบ ฉบับที่ {number}.pdf", age=(10 - n) * DAY)
        for n, number in enumerate("๑๒๓")
    ]

    first = orphan_files_sweep(older_than=DAY, dry_run=False, limit=2)

    assert (len(first.deleted), first.limit_reached) == (2, True)
    assert sum(default_storage.exists(name) for name in orphans) == 1
    second = orphan_files_sweep(older_than=DAY, dry_run=False, limit=2)
    assert (len(second.deleted), second.limit_reached) == (1, False)
    assert not any(default_storage.exists(name) for name in orphans)
    assert [e.after["deleted"] for e in sweep_events()] == [2, 1]


def test_a_rolled_back_secret_send_leaves_sealed_copies_that_the_sweep_removes(alice, etda, soc):
    # DGA has no encryption certificate: the send encrypts and stores SOC's copy first, then
    # is refused at DGA's and rolls back; SOC's sealed copy stays on disk with no row.
    dga = make_agency("dga", name_th="สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)")
    letter = secret_draft(etda, alice, soc, dga)

    with pytest.raises(NoEncryptionCertificate):
        letter_send(letter=letter, actor=alice)

    letter.refresh_from_db()
    assert letter.status == LetterStatus.DRAFT
    assert not Delivery.objects.exists() and not SealedDeliveryFile.objects.exists()
    [stranded] = stored_names("sealed")
    # Within the grace period the sweep cannot tell it from a send still in progress.
    assert orphan_files_sweep(older_than=DAY, dry_run=False, limit=100).deleted == ()
    assert default_storage.exists(stranded)

    aged(stranded, 2 * DAY)
    [draft_file] = [a.file.name for a in letter.attachments.all()]
    aged(draft_file, 2 * DAY)
    result = orphan_files_sweep(older_than=DAY, dry_run=False, limit=100)

    assert [o.name for o in result.deleted] == [stranded]
    assert stored_names("sealed") == set()
    assert default_storage.exists(draft_file)  # Alice's draft still has its file
    [event] = sweep_events()
    assert event.after["deleted"] == 1 and event.after["kept_referenced"] == 1


def test_a_file_a_row_names_by_deletion_time_is_kept(alice, etda, soc, monkeypatch):
    # A clerk's draft commits its row for a file between the sweep's listing and its deletion
    # (possible only for a file written before its transaction, and older than the grace).
    draft = draft_to(etda, soc, alice)
    late = left_behind("attachments/2026/03/หนังสือตอบรับ.pdf", age=2 * DAY, data=PDF)
    listing = storage_sweep.orphan_files_find

    def listing_then_commit(**kwargs):
        found = listing(**kwargs)
        Attachment.objects.create(
            letter=draft,
            role=AttachmentRole.ENCLOSURE,
            file=late,
            name="หนังสือตอบรับ.pdf",
            media_type="application/pdf",
            size=len(PDF),
            sha256=hashlib.sha256(PDF).hexdigest(),
            position=1,
        )
        return found

    monkeypatch.setattr(storage_sweep, "orphan_files_find", listing_then_commit)

    result = orphan_files_sweep(older_than=DAY, dry_run=False, limit=100)

    assert [o.name for o in result.orphans] == [late]
    assert (result.deleted, result.claimed_meanwhile) == ((), 1)
    assert default_storage.exists(late)


def test_a_grace_period_under_an_hour_is_refused(alice):
    orphan = left_behind("attachments/2026/04/ร่างหนังสือ.pdf", age=2 * DAY)

    with pytest.raises(SweepGraceTooShort) as refusal:
        orphan_files_sweep(older_than=datetime.timedelta(minutes=5), dry_run=False, limit=100)

    assert refusal.value.code == "storage.sweep_grace_too_short"
    assert default_storage.exists(orphan)


def test_every_file_field_of_the_hub_is_swept(db):
    fields = {(f.model._meta.label, f.field_name, f.folder) for f in stored_file_fields()}

    assert fields == {
        ("letters.Attachment", "file", "attachments"),
        ("exchange.SealedDeliveryFile", "file", "sealed"),
    }


def test_the_command_lists_on_a_dry_run_and_deletes_otherwise(alice):
    orphan = left_behind("attachments/2026/01/หนังสือเวียน ว ๑๒.pdf", age=3 * DAY)
    out = StringIO()

    call_command("storage_sweep", "--dry-run", "--older-than-hours", "48", stdout=out)

    assert orphan in out.getvalue()
    assert f"would delete 1 orphan files ({len(LEFT_BEHIND)} bytes)" in out.getvalue()
    assert default_storage.exists(orphan)
    out = StringIO()
    call_command("storage_sweep", "--limit", "10", stdout=out)
    assert f"deleted 1 orphan files ({len(LEFT_BEHIND)} bytes)" in out.getvalue()
    assert not default_storage.exists(orphan)


def test_beat_sweeps_daily_through_a_thin_idempotent_task(alice, settings):
    from exchange.tasks import storage_sweep as task

    schedule = settings.CELERY_BEAT_SCHEDULE["storage-sweep"]
    assert (schedule["task"], schedule["schedule"]) == ("exchange.storage_sweep", 86400.0)
    left_behind("sealed/2026/01/สำเนาเข้ารหัส.bin", age=2 * DAY, data=b"\x01" * 10)

    assert task() == "deleted 1 orphan files (10 bytes)"
    assert task() == "deleted 0 orphan files (0 bytes)"
    assert sweep_events().count() == 1
