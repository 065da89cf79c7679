"""Where a write goes and how it is saved: the checks and atomic save of a patched package.

Owns the call checks (exactly one of ``out`` / ``in_place``; an existing .xlsx/.xlsm), the
choice of target (a copy beside a workbook holding parts other tools lose, the extension that
follows the content: :func:`resolve_target`, :func:`risky_kinds`, :func:`is_macro_enabled`) and
:func:`save_package`, which writes a :class:`~salesxl.io.ooxml.package.Package` atomically with
the backups and lock checks of :mod:`salesxl.io.files`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import IO

from lxml import etree

from salesxl.errors import BadArguments, UnreadableWorkbook
from salesxl.io import files
from salesxl.io.ooxml import package as ooxml_package
from salesxl.io.ooxml.package import Package
from salesxl.io.ooxml.rels import ContentTypes, parse_xml, qname

__all__ = [
    "KINDS", "check_write_call", "resolve_target", "save_package",
]

def check_write_call(book: Path | str, out: Path | str | None, in_place: bool) -> tuple[Path, bool]:
    """Exactly one of ``out`` / ``in_place``; the book exists and is an .xlsx/.xlsm.  In place,
    the book is its real (link-resolved) file: the write replaces that, the link stays."""
    if in_place == (out is not None):
        raise BadArguments(
            "请指定输出文件或原地写入，二者选其一",
            "Give exactly one of an output file (out=) or in_place=True",
        )
    book = Path(book)
    _check_book(book)
    return (files.real_path(book) if in_place else book), in_place


def resolve_target(
    pkg: Package, book: Path, out: Path | str | None, in_place: bool, *, copy_tag: str, what_zh: str,
    what_en: str, force: bool = False,
) -> tuple[Path, str | None, str | None]:
    """Where a write really goes, and why (zh, en) when that is not where it was asked to.

    In place, a workbook holding parts other tools lose (charts, pictures, pivots …) is not
    rewritten: the write goes to ``<stem>.<copy_tag><suffix>`` beside it.  To ``out`` (see
    :func:`salesxl.io.files.resolve_out`: a folder gets ``<stem>.<copy_tag><suffix>`` inside
    it, the book itself is refused), the extension follows the content (a macro workbook must
    stay ``.xlsm``) and an existing file is refused without ``force``.  Open targets are refused.
    """
    copied_zh = copied_en = None
    macro = _is_macro_enabled(pkg)
    if in_place:
        files.refuse_open(book)
        target = book
        kinds = _risky_kinds(pkg)
        if kinds:
            target = book.with_name(f"{book.stem}.{copy_tag}{book.suffix}")
            copied_zh = (
                f"工作簿含有{'、'.join(k[0] for k in kinds)}，用其他工具改写原文件可能丢失这些内容；"
                f"为免丢失，原文件未改动，{what_zh}已写入副本 {target.name}"
            )
            copied_en = (
                f"The workbook contains {', '.join(k[1] for k in kinds)}, which rewriting it "
                f"could lose; the original was left untouched and {what_en} were written to "
                f"a copy, {target.name}"
            )
    else:
        assert out is not None
        wanted = ".xlsm" if macro else ".xlsx"
        target = files.resolve_out(out, book=book, default_name=f"{book.stem}.{copy_tag}{wanted}")
        if target.suffix.lower() != wanted:
            asked = target
            target = files.resolve_out(target.with_suffix(wanted), book=book, default_name=target.name)
            copied_zh = (
                f"{'含宏的工作簿须保存为 .xlsm' if macro else '不含宏的工作簿须保存为 .xlsx'}，"
                f"{what_zh}已写入 {target.name}（而非 {asked.name}）"
            )
            copied_en = (
                f"A {'macro-enabled workbook must be saved as .xlsm' if macro else 'workbook without macros must be saved as .xlsx'}; "
                f"{what_en} were written to {target.name} instead of {asked.name}"
            )
        if (target.exists() or target.is_symlink()) and not force:
            files.replace_existing(target, force=False)  # raises: says --force
    if target != book:
        files.refuse_open(target)
    return target, copied_zh, copied_en


def save_package(pkg: Package, book: Path, target: Path, lock: files.BookLock, *, force: bool = False,
          keep_replaced: bool = True) -> Path | None:
    """Write the package to ``target`` atomically.  In place: back the book up first, and
    replace it only if it is still the file read under ``lock``; the backup is returned.  To
    another file: an existing one is replaced only with ``force`` (backed up first, unless not
    ``keep_replaced``: a file salesxl itself rewrites each run), and its backup is returned."""
    write: Callable[[IO[bytes]], None] = pkg.write_to if pkg.dirty else (lambda fp: _copy_file(book, fp))
    if target == book:
        lock.check_unchanged()
        backup = files.backup(book) if pkg.dirty else None
        try:
            with files.atomic_write(book, before_replace=lock.check_unchanged) as fp:
                write(fp)
        except BaseException:
            if backup is not None:
                backup.unlink(missing_ok=True)  # the book is intact: its copy is not needed
            raise
        lock.refresh()
        return backup
    with files.book_lock(target) as out_lock:
        files.remove_stale_temps(out_lock.path)
        backup = files.replace_existing(target, force=force, keep=keep_replaced)
        with files.atomic_write(target) as fp:
            write(fp)
    return backup


# --------------------------------------------------------------------------------------------
# Files: the book's checks (writing itself is salesxl.io.files)


def _check_book(book: Path) -> None:
    if not book.is_file():
        raise UnreadableWorkbook(f"找不到工作簿：{book}", f"Workbook not found: {book}")
    suffix = book.suffix.lower()
    if suffix not in (".xlsx", ".xlsm"):
        raise UnreadableWorkbook(
            f"不支持 {suffix or '无扩展名'} 格式：只能在 .xlsx / .xlsm 工作簿中写入标记（{book.name}）",
            f"Unsupported format {suffix or '(no extension)'}: marks can only be written into .xlsx/.xlsm workbooks ({book.name})",
        )


def _copy_file(src: Path, fp: IO[bytes]) -> None:
    with open(src, "rb") as s:
        shutil.copyfileobj(s, fp, ooxml_package.CHUNK)



def _is_macro_enabled(pkg: Package) -> bool:
    ct = ContentTypes(pkg)
    return any("macroenabled" in (el.get("ContentType") or "").lower() for el in ct._overrides())


# --------------------------------------------------------------------------------------------
# Risky parts: what a rewriting tool such as openpyxl would lose

KINDS = {
    "chart": ("图表", "charts"),
    "picture": ("图片", "pictures"),
    "shape": ("形状/文本框", "shapes or text boxes"),
    "pivot": ("数据透视表", "pivot tables"),
    "slicer": ("切片器/日程表", "slicers or timelines"),
    "embedding": ("嵌入对象", "embedded objects"),
    "activex": ("ActiveX 控件", "ActiveX controls"),
    "threaded": ("新式批注（对话）", "threaded comments"),
    "model": ("数据模型", "a data model"),
    "query": ("外部数据查询", "external data queries"),
}
_NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_NS_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _risky_kinds(pkg: Package) -> list[tuple[str, str]]:
    ct = ContentTypes(pkg)
    found: set[str] = set()
    for name in pkg.names():
        low = name.lower()
        ctype = (ct.content_type(name) or "").lower()
        if low.startswith(("docprops/", "customxml/", "_rels/")) or low.endswith(".rels"):
            continue
        if low.startswith("xl/charts/") or "chart" in ctype:
            found.add("chart")
        elif low.startswith("xl/media/") or ctype.startswith("image/"):
            found.add("picture")
        elif "pivot" in low or "pivot" in ctype:
            found.add("pivot")
        elif "slicer" in low or "timeline" in low:
            found.add("slicer")
        elif low.startswith("xl/embeddings/"):
            found.add("embedding")
        elif low.startswith("xl/activex/"):
            found.add("activex")
        elif "threadedcomment" in low or low.startswith("xl/persons/"):
            found.add("threaded")
        elif low.startswith("xl/model/"):
            found.add("model")
        elif "querytable" in low:
            found.add("query")
        elif ctype == "application/vnd.openxmlformats-officedocument.drawing+xml":
            found |= _drawing_kinds(pkg, name)
    return [KINDS[k] for k in KINDS if k in found]


def _drawing_kinds(pkg: Package, name: str) -> set[str]:
    """Pictures, charts and shapes in a DrawingML part; form-control stand-ins do not count."""
    try:
        root = parse_xml(pkg.read(name), name)
    except UnreadableWorkbook:
        return {"shape"}
    kinds: set[str] = set()
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith(f"{{{_NS_XDR}}}"):
            continue
        local = etree.QName(el).localname
        if local not in ("pic", "sp", "grpSp", "cxnSp", "graphicFrame", "contentPart"):
            continue
        # Excel writes form controls (buttons…) as VML plus a shape inside mc:AlternateContent.
        if any(a.tag == qname("AlternateContent", _NS_MC) for a in el.iterancestors()):
            continue
        kinds.add({"pic": "picture", "graphicFrame": "chart"}.get(local, "shape"))
    return kinds


