"""Reading a household-register workbook (.xlsx) into a preview: the sheet and header row are found,
headers are mapped from the variants communities use, every row is checked, and each error names its
row. Nothing is written here; `services_import.register_import_commit` writes through people.services.

The checks are the register's own (people.services.normalize_phone, core.idcard.validate, the blind
index), applied to the whole file with a handful of bulk queries so 10,000 rows preview in seconds.
"""

import datetime as dt
import io
import re
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import from_excel

from linli.core import crypto, idcard
from linli.core.dates import birth_date_error
from linli.core.masking import mask_id_number
from linli.divisions.models import Division
from linli.people import selectors as people_selectors
from linli.people.models import CareTag, Household, Membership, Person
from linli.people.services import normalize_phone

MAX_ROWS = 20_000
HEADER_SEARCH_ROWS = 10
CHUNK = 500

# field → (label, header variants). Variants are compared without spaces, asterisks and case.
COLUMNS = OrderedDict([
    ("grid", (gettext_lazy("Grid"), ["网格", "所属网格", "网格名称", "网格编码", "网格代码", "grid"])),
    ("address", (gettext_lazy("Address"), ["地址", "住址", "家庭住址", "居住地址", "现住址", "户地址", "门牌地址", "address"])),
    ("name", (gettext_lazy("Name"), ["姓名", "名字", "户员姓名", "成员姓名", "name"])),
    ("relation", (gettext_lazy("Relation to the head"), ["与户主关系", "与户主的关系", "关系", "家庭关系", "relation"])),
    ("id_number", (gettext_lazy("ID-card number"), ["身份证号", "公民身份号码", "身份证号码", "身份证", "证件号码",
                                                    "idnumber", "id_number"])),
    ("sex", (gettext_lazy("Sex"), ["性别", "sex"])),
    ("birth_date", (gettext_lazy("Birth date"), ["出生日期", "出生年月日", "出生年月", "birthdate", "birth_date"])),
    ("phone", (gettext_lazy("Phone"), ["联系电话", "手机", "手机号", "手机号码", "电话", "联系方式", "phone"])),
    ("care_tags", (gettext_lazy("Care tags"), ["关怀标签", "特殊人群", "人群类别", "重点人群", "caretags", "care_tags"])),
    ("start_date", (gettext_lazy("Moved in on"), ["迁入日期", "入户日期", "登记日期", "入住日期", "startdate", "start_date"])),
])
REQUIRED = ("grid", "address", "name", "relation", "id_number")
TEMPLATE_HEADERS = ["网格", "地址", "姓名", "与户主关系", "身份证号", "性别", "出生日期", "联系电话", "关怀标签", "迁入日期"]

RELATIONS = {
    Membership.Relation.HEAD: ["户主", "本人", "head"],
    Membership.Relation.SPOUSE: ["配偶", "妻", "妻子", "夫", "丈夫", "spouse"],
    Membership.Relation.CHILD: ["子女", "子", "女", "儿子", "女儿", "长子", "次子", "长女", "次女", "养子", "养女", "child"],
    Membership.Relation.PARENT: ["父母", "父亲", "母亲", "父", "母", "parent"],
    Membership.Relation.GRANDCHILD: ["孙子女", "孙子", "孙女", "外孙", "外孙子", "外孙女", "grandchild"],
    Membership.Relation.GRANDPARENT: ["祖父母", "祖父", "祖母", "外祖父", "外祖母", "grandparent"],
    Membership.Relation.SIBLING: ["兄弟姐妹", "兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐", "妹妹", "sibling"],
    Membership.Relation.OTHER: ["其他", "其它", "儿媳", "女婿", "other"],
}
_RELATION = {v.lower(): code for code, variants in RELATIONS.items() for v in variants}
_SEX = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}
_HEADER_NOISE = re.compile(r"[\s\u3000*＊]|[（(]必填[）)]")
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_SPLIT_TAGS = re.compile(r"[、,，;；/\s]+")
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _norm_header(value) -> str:
    return _HEADER_NOISE.sub("", str(value)).lower() if value is not None else ""


_HEADER_FIELD = {_norm_header(v): f for f, (_label, variants) in COLUMNS.items() for v in variants}


def label(field_name: str) -> str:
    return str(COLUMNS[field_name][0]) if field_name in COLUMNS else ""


@dataclass
class RowError:
    row: int  # the spreadsheet's row number; 0 for an error about the whole file
    column: str
    message: str


@dataclass
class Row:
    row: int
    grid: Division
    address: str
    name: str
    relation: str
    id_number: str
    index: str
    sex: str = ""
    birth_date: dt.date | None = None
    phone: str = ""
    care_tags: list = field(default_factory=list)
    start_date: dt.date | None = None
    unchanged: bool = False
    household: Household | None = None  # an existing household the row joins

    @property
    def household_key(self):
        return (self.grid.pk, self.address)


@dataclass
class Preview:
    sheet: str = ""
    header_row: int = 0
    columns: dict = field(default_factory=dict)  # field → header text as written
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    notices: list = field(default_factory=list)
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def error(self, row: int, column: str, message) -> None:
        self.errors.append(RowError(row, label(column) if column in COLUMNS else column, str(message)))

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors if e.row})

    def summary(self) -> dict:
        new = [r for r in self.rows if not r.unchanged]
        new_households = {r.household_key for r in new if r.household is None}
        joined = {r.household.pk for r in new if r.household is not None}
        return {
            "sheet": self.sheet, "header_row": self.header_row, "columns": self.columns,
            "rows": self.rows_read, "valid_rows": len(self.rows), "error_rows": self.error_rows,
            "errors": len(self.errors), "persons_new": len(new), "rows_unchanged": len(self.rows) - len(new),
            "households_new": len(new_households), "households_joined": len(joined), "notices": self.notices,
        }


# Cells ----------------------------------------------------------------------------------------------

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()


def parse_date(value) -> dt.date:
    """A date cell, an Excel serial number, or text like 2020-01-02, 2020/1/2, 2020年1月2日, 20200102."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return from_excel(value).date()
        raise ValueError
    text = _text(value)
    m = _DATE_TEXT.match(text)
    if m:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if re.fullmatch(r"\d{8}", text):
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    raise ValueError


# Workbook -------------------------------------------------------------------------------------------

def _merged_ranges(data: bytes, sheet) -> list[tuple[int, int, int, int]]:
    """The merged ranges of a read-only sheet (read-only mode does not parse them), as
    (min_row, min_col, max_row, max_col)."""
    try:
        xml = zipfile.ZipFile(io.BytesIO(data)).read(sheet._worksheet_path)
    except (KeyError, AttributeError, zipfile.BadZipFile):
        return []
    return [(int(r1), column_index_from_string(c1.decode()), int(r2), column_index_from_string(c2.decode()))
            for c1, r1, c2, r2 in _MERGE.findall(xml)]


def _iter_rows(data: bytes, sheet, preview: Preview):
    """Rows as lists of values, numbered as in the spreadsheet; a merged range reads as its first cell."""
    merges = _merged_ranges(data, sheet)
    fill_by_row, origin = {}, {}
    for r1, c1, r2, c2 in merges:
        origin[(r1, c1)] = None
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    fill_by_row.setdefault(r, []).append((c, (r1, c1)))
    origin_by_row = {}
    for r1, c1 in origin:
        origin_by_row.setdefault(r1, []).append(c1)
    if merges:
        shown = "、".join(f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}" for r1, c1, r2, c2 in merges[:5])
        preview.notices.append(_("Merged cells (%(ranges)s%(more)s) were read as if every cell held the value of "
                                 "the first one.") % {"ranges": shown, "more": " …" if len(merges) > 5 else ""})
    for r, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        values = list(values)
        for c in origin_by_row.get(r, ()):
            origin[(r, c)] = values[c - 1] if c <= len(values) else None
        fills = fill_by_row.get(r)
        if fills:
            width = max(len(values), *(c for c, _o in fills))
            values += [None] * (width - len(values))
            for c, o in fills:
                values[c - 1] = origin.get(o)
        yield r, values


def _find_header(data, wb, preview):
    """The first sheet with a header row naming every required column, within its first rows."""
    lacking = []
    for sheet in wb.worksheets:
        rows = []
        for r, values in _iter_rows(data, sheet, Preview()):
            rows.append((r, values))
            if r >= HEADER_SEARCH_ROWS:
                break
        best = None
        for r, values in rows:
            mapping = {}
            for c, v in enumerate(values):
                f = _HEADER_FIELD.get(_norm_header(v))
                if f is not None:
                    mapping.setdefault(f, []).append((c, _text(v)))
            if best is None or len(mapping) > len(best[1]):
                best = (r, mapping)
        if best and all(f in best[1] for f in REQUIRED):
            return sheet, best[0], best[1], rows
        missing = [label(f) for f in REQUIRED if not best or f not in best[1]]
        lacking.append(_("sheet “%(sheet)s” lacks %(columns)s") % {"sheet": sheet.title, "columns": "、".join(missing)})
    preview.error(0, "", _("No sheet has the register's columns (%(required)s): %(why)s.") % {
        "required": "、".join(label(f) for f in REQUIRED), "why": "; ".join(lacking)})
    return None, 0, {}, []


def read(data: bytes, *, user) -> Preview:
    """Check a workbook row by row for `user` (whose grids the rows must name); never writes."""
    preview = Preview()
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a file that is not an .xlsx workbook
        preview.error(0, "", _("This is not an Excel workbook (.xlsx). Save it as .xlsx and upload it again."))
        return preview
    try:
        sheet, header_row, mapping, _first = _find_header(data, wb, preview)
        if sheet is None:
            return preview
        twice = [f for f, cols in mapping.items() if len(cols) > 1]
        if twice:
            for f in twice:
                preview.error(header_row, f, _("Columns %(cols)s both mean “%(field)s”; keep one.") % {
                    "cols": "、".join(get_column_letter(c + 1) for c, _h in mapping[f]), "field": label(f)})
            return preview
        preview.sheet, preview.header_row = sheet.title, header_row
        preview.columns = {f: cols[0][1] for f, cols in mapping.items()}
        index = {f: cols[0][0] for f, cols in mapping.items()}
        raw = []
        for r, values in _iter_rows(data, sheet, preview):
            if r <= header_row:
                continue
            cells = {f: (values[c] if c < len(values) else None) for f, c in index.items()}
            if all(v is None or _text(v) == "" for v in cells.values()):
                continue
            raw.append((r, cells))
            if len(raw) > MAX_ROWS:
                preview.error(0, "", _("The file has more than %(n)s rows; split it.") % {"n": f"{MAX_ROWS:,}"})
                return preview
    finally:
        wb.close()
    preview.rows_read = len(raw)
    if not raw:
        preview.error(0, "", _("The sheet “%(sheet)s” has a header but no rows.") % {"sheet": preview.sheet})
        return preview
    _check_rows(raw, preview, user=user)
    return preview


# Rows -----------------------------------------------------------------------------------------------

def _grid_lookup(user):
    """Grids and communities the user keeps, by code and by name (a name two of them share is ambiguous)."""
    by_code, by_name = {}, {}
    for d in people_selectors.keeper_divisions(user=user).only("pk", "name", "code", "path", "level"):
        by_code[d.code] = d
        by_name.setdefault(d.name, []).append(d)
    return by_code, by_name


def _tag_lookup():
    out = {}
    for t in CareTag.objects.all():
        for key in (t.code, t.name, t.name_en):
            if key:
                out[key.lower()] = t
    return out


def _check_rows(raw, preview: Preview, *, user) -> None:
    by_code, by_name = _grid_lookup(user)
    tags = _tag_lookup()
    today = dt.date.today()
    seen_index = {}
    rows = []
    for r, cells in raw:
        bad = False

        def err(column, message, r=r):
            nonlocal bad
            bad = True
            preview.error(r, column, message)

        name = _text(cells.get("name"))
        if not name:
            err("name", _("The name is missing."))
        elif len(name) > 50:
            err("name", _("A name has at most 50 characters."))
        address = _text(cells.get("address"))
        if not address:
            err("address", _("The address is missing."))
        elif len(address) > 200:
            err("address", _("An address has at most 200 characters."))
        grid_text = _text(cells.get("grid"))
        grid = by_code.get(grid_text)
        if grid is None:
            named = by_name.get(grid_text, [])
            if not grid_text:
                err("grid", _("The grid is missing."))
            elif len(named) > 1:
                err("grid", _("Several grids are called “%(name)s”; write the grid's code instead.") % {"name": grid_text})
            elif not named:
                err("grid", _("No grid “%(name)s” among the grids you keep.") % {"name": grid_text})
            else:
                grid = named[0]
        relation_text = _text(cells.get("relation"))
        relation = _RELATION.get(relation_text.lower())
        if relation is None:
            err("relation", _("“%(value)s” is not a relation to the head we know (e.g. 户主, 配偶, 子女, 父母).")
                % {"value": relation_text} if relation_text else _("The relation to the head is missing."))
        raw_id = cells.get("id_number")
        number = ""
        if isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
            err("id_number", _("The ID-card number is stored as a number, which loses its last digits; format the "
                               "column as text and type it again."))
        elif not _text(raw_id):
            err("id_number", _("The ID-card number is missing."))
        else:
            try:
                number = idcard.validate(_text(raw_id))
            except ValidationError as exc:
                err("id_number", " ".join(exc.messages))
        sex = ""
        sex_text = _text(cells.get("sex"))
        if sex_text:
            sex = _SEX.get(sex_text.lower(), "?")
            if sex == "?":
                err("sex", _("Write the sex as 男 or 女."))
            elif number and sex != (Person.Sex.MALE if idcard.is_male(number) else Person.Sex.FEMALE):
                err("sex", _("The sex does not match the ID-card number."))
        birth = None
        if cells.get("birth_date") not in (None, ""):
            try:
                birth = parse_date(cells["birth_date"])
            except (ValueError, OverflowError):
                err("birth_date", _("“%(value)s” is not a date; write it as 1980-05-17.") % {"value": _text(cells["birth_date"])})
            else:
                if error := birth_date_error(birth):
                    err("birth_date", error)
                elif number and birth != idcard.birth_date(number):
                    err("birth_date", _("The birth date does not match the ID-card number (%(date)s).")
                        % {"date": idcard.birth_date(number).isoformat()})
        start = None
        if cells.get("start_date") not in (None, ""):
            try:
                start = parse_date(cells["start_date"])
            except (ValueError, OverflowError):
                err("start_date", _("“%(value)s” is not a date; write it as 2020-03-01.") % {"value": _text(cells["start_date"])})
            else:
                if start > today:
                    err("start_date", _("The moving-in date is in the future."))
                elif start.year < 1900:
                    err("start_date", _("The moving-in date is before 1900."))
        phone = ""
        try:
            phone = normalize_phone(_text(cells.get("phone")))
        except ValidationError as exc:
            err("phone", " ".join(exc.messages))
        care = []
        for part in _SPLIT_TAGS.split(_text(cells.get("care_tags"))):
            if not part:
                continue
            tag = tags.get(part.lower())
            if tag is None:
                err("care_tags", _("“%(value)s” is not a care tag (known: %(known)s).") % {
                    "value": part, "known": "、".join(sorted({t.name for t in tags.values()}))})
            elif tag not in care:
                care.append(tag)
        index = crypto.blind_index(number) if number else ""
        if index:
            if index in seen_index:
                err("id_number", _("The same ID-card number is on row %(row)s.") % {"row": seen_index[index]})
            else:
                seen_index[index] = r
        if not bad:
            rows.append(Row(row=r, grid=grid, address=address, name=name, relation=relation, id_number=number,
                            index=index, sex=sex, birth_date=birth, phone=phone, care_tags=care, start_date=start))
    _check_against_register(rows, preview, user=user)


def _chunks(items, n=CHUNK):
    items = list(items)
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _check_against_register(rows: list[Row], preview: Preview, *, user) -> None:
    """Persons already registered (same number: unchanged if they already live at that address, else an
    error), households that already exist at the address, and one head per household."""
    existing = {}
    for chunk in _chunks(r.index for r in rows):
        for p in Person.objects.filter(id_number_index__in=chunk).only("pk", "name", "id_number_index", "division"):
            existing[p.id_number_index] = p
    homes = {}
    if existing:
        for chunk in _chunks(p.pk for p in existing.values()):
            for m in (Membership.objects.filter(person_id__in=chunk, end_date__isnull=True)
                      .values("person_id", "household_id", "household__division_id", "household__address")):
                homes[m["person_id"]] = m
    households = {}
    grid_ids = sorted({r.grid.pk for r in rows})
    for chunk in _chunks(sorted({r.address for r in rows})):
        for h in (Household.objects.filter(division_id__in=grid_ids, address__in=chunk)
                  .order_by("pk").only("pk", "address", "division_id")):
            households.setdefault((h.division_id, h.address), h)
    heads = {}
    for chunk in _chunks(h.pk for h in households.values()):
        for m in (Membership.objects.filter(household_id__in=chunk, end_date__isnull=True, relation="head")
                  .values("household_id", "person__name", "person__id_number_index")):
            heads[m["household_id"]] = m
    visible = set(Person.objects.visible_to(user).filter(pk__in=[p.pk for p in existing.values()])
                  .values_list("pk", flat=True)) if existing else set()
    kept = []
    for r in rows:
        r.household = households.get(r.household_key)
        person = existing.get(r.index)
        if person is not None:
            home = homes.get(person.pk)
            if home and (home["household__division_id"], home["household__address"]) == r.household_key \
                    and person.name == r.name:
                r.unchanged = True
                kept.append(r)
                continue
            if person.pk in visible and home:
                preview.error(r.row, "id_number", _("%(name)s with this ID-card number is already registered at "
                                                    "%(address)s; change them on their own page.")
                              % {"name": person.name, "address": home["household__address"]})
            else:
                preview.error(r.row, "id_number", _("A person with this ID-card number is already registered."))
            continue
        kept.append(r)
    # One current head per household: the register's own, or the first in the file.
    head_row = {}
    for r in kept:
        if r.relation != Membership.Relation.HEAD or r.unchanged:
            continue
        current = heads.get(r.household.pk) if r.household else None
        if current is not None and current["person__id_number_index"] != r.index:
            preview.error(r.row, "relation", _("This household already has a head (%(name)s).") % {"name": current["person__name"]})
        elif r.household_key in head_row:
            preview.error(r.row, "relation", _("Row %(row)s already names the head of this household.")
                          % {"row": head_row[r.household_key]})
        else:
            head_row[r.household_key] = r.row
    bad_rows = {e.row for e in preview.errors}
    preview.rows = [r for r in kept if r.row not in bad_rows]


def sample(preview: Preview, n: int = 20) -> list[dict]:
    """The first rows as the preview page shows them (ID-card numbers masked)."""
    return [{"row": r.row, "grid": r.grid.name, "address": r.address, "name": r.name,
             "relation": str(Membership.Relation(r.relation).label), "id_number": mask_id_number(r.id_number),
             "status": "unchanged" if r.unchanged else ("joins" if r.household else "new")}
            for r in preview.rows[:n]]


def template_workbook(*, grid_name: str = "东门社区第1网格") -> bytes:
    """The documented template: the columns, three example rows and a sheet explaining each column."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "户籍台账"
    ws.append(TEMPLATE_HEADERS)
    examples = [
        (grid_name, "东区3栋2单元501室", "王建国", "户主", idcard.make("360724", dt.date(1958, 3, 12), 11), "男",
         "1958-03-12", "13807971234", "独居老人", "2015-06-01"),
        (grid_name, "东区3栋2单元502室", "李秀英", "户主", idcard.make("360724", dt.date(1962, 9, 30), 22), "女",
         "", "0797-8512345", "", ""),
        (grid_name, "东区3栋2单元502室", "张子涵", "孙子女", idcard.make("360724", dt.date(2015, 1, 8), 31), "男",
         "", "", "留守儿童", "2015-01-20"),
    ]
    for row in examples:
        ws.append(list(row))
    for col in range(1, len(TEMPLATE_HEADERS) + 1):
        ws.column_dimensions[get_column_letter(col)].width = 16 if col != 2 else 24
        ws.cell(row=1, column=col).number_format = "@"
    for r in range(2, 5):
        ws.cell(row=r, column=5).number_format = "@"
    notes = wb.create_sheet("说明")
    notes.append(["列", "必填", "也可写作", "说明"])
    for f, (lab, variants) in COLUMNS.items():
        notes.append([variants[0], "是" if f in REQUIRED else "", "、".join(variants[1:-1]), str(lab)])
    notes.append([])
    notes.append(["同一网格、同一地址的行是同一户；身份证号请设为文本格式；日期写作 2020-03-01；"
                  "与户主关系：户主、配偶、子女、父母、孙子女、祖父母、兄弟姐妹、其他；"
                  "关怀标签用顿号分隔。全部行无误才会导入；同一文件再次导入不会重复登记。"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
