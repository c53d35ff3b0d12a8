"""Fixtures shared by the letters tests: a media folder of the test's own and a draft."""

from __future__ import annotations

from pathlib import Path

import pytest

from letters.services.letters import LetterFields, LetterParts, RecipientInput, letter_create_draft
from tests.exchange.conftest import hosted, pki  # noqa: F401  (fixtures: secret letters need keys)


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def draft(etda, soc, alice):
    return letter_create_draft(
        agency=etda,
        actor=alice,
        values=LetterFields(subject="ขอส่งรายชื่อผู้เข้าร่วมการประชุม"),
        parts=LetterParts(recipients=[RecipientInput(agency=soc)]),
    )
