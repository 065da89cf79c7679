"""Errors that stop a command before it can run (exit status 2).

Problems *inside* a workbook are never exceptions: they are :class:`salesxl.core.findings.Finding`
records, collected and returned.  An exception here means the command as a whole cannot run:
a missing path, a file that is not an .xlsx/.xlsm, a password-protected or hostile workbook, bad
arguments.  Each carries a one-line message in Chinese and English so the command line can print
exactly one clear line in the user's language.
"""

from __future__ import annotations


class SalesxlError(Exception):
    """A command cannot run.  ``zh`` and ``en`` are single-line messages for the user."""

    def __init__(self, zh: str, en: str | None = None) -> None:
        super().__init__(zh)
        self.zh = zh
        self.en = en or zh

    def message(self, lang: str = "zh") -> str:
        """The one-line message in ``lang`` (``"zh"`` or ``"en"``)."""
        return (self.en if lang == "en" else self.zh).replace("\n", " ")


class UnreadableWorkbook(SalesxlError):
    """The file cannot be read as a workbook: missing, wrong format, encrypted, or hostile."""


class BadArguments(SalesxlError):
    """The command line or the API call itself is wrong (a bad date, an unknown option)."""


class WriteFailed(SalesxlError):
    """A file could not be written (disk full, no permission, read-only folder …); whatever
    was there before is unchanged and nothing half-written was left behind."""
