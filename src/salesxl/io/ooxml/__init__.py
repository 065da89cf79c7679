"""The workbook-package layer: editing .xlsx/.xlsm packages in place, byte-exactly.

Everything salesxl writes into a user's workbook goes through this layer: :mod:`.package`
(the zip: members read lazily or streamed, untouched ones copied back raw), :mod:`.rels`
(namespaces, relationships, content types), :mod:`.styles` (fills, fonts, cell formats),
:mod:`.sheet` (the streaming sheet-XML patcher every sheet edit builds on), :mod:`.comments`
(comments and their VML notes), :mod:`.text` (escaping, column letters, display widths) and
:mod:`.saving` (where a write goes, and the atomic save with backups).  Each module's public
API is its ``__all__``; the marking of findings (:mod:`salesxl.io.marking`), the result sheets,
the column patches and the batch build on it and import nothing private.
"""
