""":func:`inspect_workbook`: the cheap check of a whole file, run once before any sheet is read.

Sniffs the format, opens the zip within its limits, parses the small package parts
(relationships, workbook, content types) safely, checks every non-sheet part's CRC, and lists
the worksheets (:class:`~salesxl.io.safety.limits.SheetPart`: name, member, size, tables) in a
:class:`~salesxl.io.safety.limits.WorkbookInfo`.  It never inflates a big worksheet: that is
:func:`salesxl.io.safety.sheet_scan.scan_sheet`'s job, per sheet.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path
from typing import Any

from salesxl.io.safety.limits import (
    SAFETY_LIMITS,
    SheetPart,
    WorkbookInfo,
    clean_text,
    damaged_file,
    unreadable_file,
    unreadable_os_error,
)
from salesxl.io.safety.package import (
    SNIFF_BYTES,
    ZIP_MAGICS,
    check_zip_bomb,
    iter_member,
    local_name,
    member_key,
    open_zip,
    parse_xml,
    probe_xml,
    read_member,
    reject_non_zip,
    relationships,
    workbook_kind,
    workbook_part,
    xml_attr,
)

# --------------------------------------------------------------------------------------------
# inspect_workbook
# --------------------------------------------------------------------------------------------


def is_date1904(workbook_root: Any) -> bool:
    """Whether a parsed ``workbook.xml`` root (ElementTree or lxml) counts dates from 1904.

    Only the root's own ``workbookPr`` counts: Excel also writes an ``x15:workbookPr`` deep in
    ``extLst``, which says nothing about dates."""
    return any(local_name(str(child.tag)) == "workbookPr"
               and (child.get("date1904") or "").strip().lower() in ("1", "true")
               for child in workbook_root)


def inspect_workbook(path: str | Path) -> WorkbookInfo:
    """Check a file cheaply and list its worksheets; raise :class:`UnreadableWorkbook` if bad.

    Order matters: the format is sniffed from the first bytes (a CSV renamed ``.xlsx`` must
    not reach a zip reader), the zip is judged from its central directory before anything is
    inflated, and every XML part is probed for entity declarations before any XML parser sees
    it.  Worksheets themselves are not inflated here; see :func:`scan_sheet`.
    """
    p = Path(path)
    name = clean_text(p.name or str(p))
    try:
        st = p.stat()
    except FileNotFoundError as exc:
        raise unreadable_file(name, "文件不存在，请检查路径", "file not found; check the path") from exc
    except OSError as exc:
        raise unreadable_os_error(name, exc) from exc
    if stat.S_ISDIR(st.st_mode):
        raise unreadable_file(name, "这是一个文件夹，不是文件", "it is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise unreadable_file(name, "不是普通文件（可能是设备或管道）", "it is not a regular file")
    try:
        with p.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise unreadable_os_error(name, exc) from exc
    if not head:
        raise unreadable_file(name, "文件是空的（0 字节）", "the file is empty (0 bytes)")
    if not head.startswith(ZIP_MAGICS):
        raise reject_non_zip(name, p, head)

    zf = open_zip(name, p, st.st_size)
    with zf:
        infos = zf.infolist()
        check_zip_bomb(name, infos)
        by_lower = {member_key(info.filename): info.filename for info in infos}

        probe = SAFETY_LIMITS.xml_probe_bytes
        for info in infos:
            lower = info.filename.lower()
            if lower.endswith((".xml", ".rels", ".vml")) and not info.is_dir():
                head_bytes = read_member(name, zf, info, probe, whole=False)
                probe_xml(name, clean_text(info.filename), head_bytes, info.file_size <= probe)

        def read(member: str) -> bytes:
            return read_member(name, zf, zf.getinfo(member), SAFETY_LIMITS.max_part_bytes, whole=True)

        main_member, main_xml = workbook_part(name, by_lower, read)
        main = member_key(main_member)  # relationships resolve against the normalised name
        kind = workbook_kind(name, zf, by_lower, main)
        wb_root = parse_xml(name, clean_text(main_member), main_xml)
        if local_name(wb_root.tag) != "workbook":
            raise damaged_file(name, f"「{clean_text(main_member)}」不是工作簿部件",
                           f"'{clean_text(main_member)}' is not a workbook part")
        rels = {rid: (rtype, target) for rid, rtype, target in
                relationships(name, zf, by_lower, main)}
        date1904 = is_date1904(wb_root)
        sheets: list[SheetPart] = []
        skipped: list[str] = []
        for elem in wb_root.iter():
            if local_name(elem.tag) != "sheet":
                continue
            sheet_name = elem.get("name") or ""
            rid = xml_attr(elem, "id", "relationships")
            if not rid:
                # Excel 4 macro sheets and VBA module sheets kept by old files have no part
                # (r:id=""): nothing to read there, and the rest of the book is fine.
                skipped.append(sheet_name)
                continue
            if rid not in rels:
                raise damaged_file(name, f"工作表「{clean_text(sheet_name)}」缺少关系定义",
                               f"sheet '{clean_text(sheet_name)}' has no relationship")
            rtype, target = rels[rid]
            if not rtype.endswith("/worksheet"):
                continue  # chartsheet, dialogsheet, macro sheet
            member = by_lower.get(target.lower())
            if member is None:
                raise damaged_file(name, f"工作表「{clean_text(sheet_name)}」对应的「{clean_text(target)}」"
                               "不存在", f"the part '{clean_text(target)}' of sheet "
                               f"'{clean_text(sheet_name)}' is missing")
            sheet_info = zf.getinfo(member)
            if not member.lower().endswith(".xml"):  # not probed above
                probe_xml(name, clean_text(member),
                           read_member(name, zf, sheet_info, probe, whole=False),
                           sheet_info.file_size <= probe)
            tables = _sheet_tables(name, zf, by_lower, member_key(member))
            sheets.append(SheetPart(sheet_name, member, tuple(t for t, _ in tables), tables,
                                    sheet_info.file_size))
        _check_crcs(name, zf, infos, {s.part for s in sheets})
    return WorkbookInfo(path=p, kind=kind, sheets=tuple(sheets), date1904=date1904,
                        skipped=tuple(skipped), main=main)


def _check_crcs(name: str, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], sheets: set[str]) -> None:
    """Inflate every XML part not yet read whole and check its CRC-32.

    The parts the readers parse besides worksheets (shared strings, styles, tables,
    relationships) and the drawings, charts and comments every writer copies are XML, and
    small next to the sheets; worksheets are checked by :func:`scan_sheet` as they are read.
    Pictures and other binary parts are checked by the writers, which copy them.
    """
    probe = SAFETY_LIMITS.xml_probe_bytes
    for info in infos:
        if info.is_dir() or info.filename in sheets or info.file_size < probe:
            continue  # smaller parts were read whole, CRC included, by the probe
        if info.filename.lower().endswith((".xml", ".rels", ".vml")):
            for _ in iter_member(name, zf, info, SAFETY_LIMITS.scan_chunk_bytes):
                pass


def _sheet_tables(
    name: str, zf: zipfile.ZipFile, by_lower: dict[str, str], sheet_member: str
) -> tuple[tuple[str, str], ...]:
    """(name, ref) of the Excel Tables (ListObjects) a sheet's rels point to."""
    names: list[tuple[str, str]] = []
    for _rid, rtype, target in relationships(name, zf, by_lower, sheet_member):
        if not rtype.endswith("/table"):
            continue
        member = by_lower.get(target.lower())
        if member is None:
            continue  # a dangling table relationship; the sheet itself is still readable
        info = zf.getinfo(member)
        data = read_member(name, zf, info, SAFETY_LIMITS.max_part_bytes, whole=True)
        probe_xml(name, clean_text(member), data[: SAFETY_LIMITS.xml_probe_bytes], True)
        root = parse_xml(name, member, data)
        table_name = root.get("displayName") or root.get("name")
        if table_name:
            names.append((table_name, root.get("ref") or ""))
    return tuple(names)
