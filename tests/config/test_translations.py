"""Thai is complete: every UI string has a translation, compiled without GNU gettext."""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest

from config.compile_translations import LOCALE_DIR, compile_all

CATALOGUE = LOCALE_DIR / "th" / "LC_MESSAGES" / "django.po"


def test_the_thai_catalogue_has_no_untranslated_or_fuzzy_entry():
    catalogue = polib.pofile(str(CATALOGUE))

    assert catalogue.percent_translated() == 100
    assert not catalogue.fuzzy_entries()
    assert catalogue.metadata["Language"] == "th"


def test_compiling_writes_a_catalogue_django_can_read(tmp_path: Path):
    target = tmp_path / "th" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(CATALOGUE, target / "django.po")

    written = compile_all(tmp_path)

    assert written == [target / "django.mo"]
    compiled = polib.mofile(str(written[0]))
    assert compiled.find("Sign in").msgstr == "เข้าสู่ระบบ"


def test_an_incomplete_catalogue_is_refused(tmp_path: Path):
    target = tmp_path / "th" / "LC_MESSAGES"
    target.mkdir(parents=True)
    catalogue = polib.pofile(str(CATALOGUE))
    catalogue.append(polib.POEntry(msgid="A new button", msgstr=""))
    catalogue.save(str(target / "django.po"))

    with pytest.raises(SystemExit, match="1 untranslated"):
        compile_all(tmp_path)
    assert not (target / "django.mo").exists()
