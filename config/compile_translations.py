"""Compile every ``locale/*/LC_MESSAGES/*.po`` into its ``.mo``, in pure Python.

Django's compilemessages needs GNU gettext's msgfmt, which a fresh machine may lack; polib
does the same job with nothing but the Python packages `make` already installs.
Run: ``python -m config.compile_translations``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def compile_all(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write a .mo beside each .po; refuse a catalogue with fuzzy or untranslated entries."""
    written = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        catalogue = polib.pofile(str(po_path))
        untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
        fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
        if untranslated or fuzzy:
            raise SystemExit(
                f"{po_path}: {len(untranslated)} untranslated and {len(fuzzy)} fuzzy entries, "
                f"e.g. {(untranslated + fuzzy)[:3]}"
            )
        mo_path = po_path.with_suffix(".mo")
        catalogue.save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


if __name__ == "__main__":
    for path in compile_all():
        sys.stdout.write(f"compiled {path}\n")
