"""Household-register import: headers in their variants, every row checked with its row number, a
preview that writes nothing, an all-or-nothing commit, and a second import of the same file that
changes nothing."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from linli.core import idcard
from linli.grids import imports, services
from linli.grids.models import RegisterImport
from linli.people.models import Household, Membership, Person

from .conftest import workbook


def ID(n, born=dt.date(1980, 5, 17)):
    return idcard.make("360724", born, n)


def family(grid="网格A1", address="东区1栋101室"):
    return [
        (grid, address, "王建国", "户主", ID(11), "男", "1980-05-17", "13807971234", "独居老人", "2015-06-01"),
        (grid, address, "李秀英", "配偶", ID(22), "女", dt.datetime(1980, 5, 17), "", "", dt.date(2015, 6, 1)),
        (grid, address, "王子涵", "子女", ID(31, dt.date(2012, 1, 8)), "男", "", "", "留守儿童", "2015年6月1日"),
    ]


@pytest.fixture
def keeper(users):
    return users["community_staff"]


def register_counts():
    return Household.objects.count(), Person.objects.count(), Membership.objects.count()


def start(user, data, name="ledger.xlsx"):
    return services.register_import_start(by=user, file_name=name, data=data)


def test_a_clean_file_previews_without_writing_then_commits_everything(keeper):
    before = register_counts()
    imp, preview = start(keeper, workbook(family()))
    assert preview.ok and register_counts() == before
    assert imp.summary["persons_new"] == 3 and imp.summary["households_new"] == 1
    services.register_import_commit(by=keeper, register_import=imp)
    assert register_counts() == (before[0] + 1, before[1] + 3, before[2] + 3)
    head = Person.objects.get(name="王建国")
    assert head.id_number == ID(11) and head.care_tags.get().code == "living_alone_elderly"
    m = head.memberships.get()
    assert m.relation == "head" and m.start_date == dt.date(2015, 6, 1) and m.household.division.name == "网格A1"
    imp.refresh_from_db()
    assert imp.status == RegisterImport.Status.COMMITTED and imp.payload_encrypted == ""


def test_reimporting_the_same_file_changes_nothing(keeper):
    data = workbook(family())
    imp, _ = start(keeper, data)
    services.register_import_commit(by=keeper, register_import=imp)
    after_first = register_counts()
    again, preview = start(keeper, data)
    assert preview.ok and again.summary["rows_unchanged"] == 3 and again.summary["persons_new"] == 0
    services.register_import_commit(by=keeper, register_import=again)
    assert register_counts() == after_first


def test_one_bad_row_means_nothing_is_saved(keeper):
    rows = family() + [("网格A1", "东区1栋102室", "赵六", "户主", ID(41)[:-1] + ("0" if ID(41)[-1] != "0" else "1"),
                        "", "", "", "", "")]
    before = register_counts()
    imp, preview = start(keeper, workbook(rows))
    assert not preview.ok
    assert [(e.row, e.column) for e in preview.errors] == [(5, "ID-card number")]
    assert "check digit" in preview.errors[0].message
    with pytest.raises(ValidationError):
        services.register_import_commit(by=keeper, register_import=imp)
    assert register_counts() == before


def test_commit_is_atomic_when_the_register_changed_after_the_preview(keeper, county):
    imp, preview = start(keeper, workbook(family()))
    assert preview.ok
    # Meanwhile somebody registers the spouse elsewhere: the commit re-checks and saves nothing at all.
    from linli.people import services as people_services

    people_services.person_create(by=keeper, name="李秀英", division=county["A2"], id_number=ID(22))
    before = register_counts()
    with pytest.raises(ValidationError):
        services.register_import_commit(by=keeper, register_import=imp)
    assert register_counts() == before
    imp.refresh_from_db()
    assert imp.status == RegisterImport.Status.PREVIEWED and imp.summary["error_rows"] == 1


def test_header_variants_and_a_title_row_are_understood(keeper):
    headers = ["所属网格", "家庭住址", "名字", "与户主的关系", "公民身份号码", "手机", "备注"]
    rows = [("网格A1", "西区2栋", "陈一", "户主", ID(51), "0797-8512345", "x")]
    imp, preview = start(keeper, workbook(rows, headers, before=[("东门社区户籍台账",)]))
    assert preview.ok, preview.errors
    assert preview.header_row == 2 and preview.columns["id_number"] == "公民身份号码"


def test_wrong_sheet_is_skipped_and_a_workbook_without_the_columns_is_refused(keeper):
    other = [("表", "说明"), ("随便", "什么")]
    _imp, preview = start(keeper, workbook(family(), extra_sheets=[("说明", other)]))
    assert preview.ok and preview.sheet == "户籍台账"
    _imp, preview = start(keeper, workbook([("a", "b")], ["姓名", "电话"]))
    assert not preview.ok and preview.errors[0].row == 0
    assert "ID-card number" in preview.errors[0].message


def test_a_file_that_is_not_xlsx_is_refused_clearly(keeper):
    _imp, preview = start(keeper, b"PK\x03\x04 not really a zip")
    assert not preview.ok and "not an Excel workbook" in preview.errors[0].message


def test_merged_address_cells_make_one_household(keeper):
    rows = [(g, a if i == 0 else None, *rest) for i, (g, a, *rest) in enumerate(family())]
    imp, preview = start(keeper, workbook(rows, merges=["B2:B4"]))
    assert preview.ok, preview.errors
    assert imp.summary["households_new"] == 1 and "B2:B4" in preview.notices[0]


def test_bad_dates_name_their_row_and_column(keeper):
    rows = family()
    rows[0] = rows[0][:6] + ("1980-02-30",) + rows[0][7:]
    rows[1] = rows[1][:9] + ("下个月",)
    rows[2] = rows[2][:9] + ((dt.date.today() + dt.timedelta(days=3)).isoformat(),)
    _imp, preview = start(keeper, workbook(rows))
    assert {(e.row, e.column) for e in preview.errors} == {(2, "Birth date"), (3, "Moved in on"), (4, "Moved in on")}


def test_a_thousand_bad_rows_are_each_reported(keeper):
    def wrong(i):  # a real-looking number with the wrong check character
        n = ID(i)
        return n[:17] + ("1" if n[17] != "1" else "2")

    rows = [("网格A1", f"北区{i}号", f"人{i}", "户主", wrong(i), "", "", "", "", "") for i in range(1000)]
    before = register_counts()
    imp, preview = start(keeper, workbook(rows))
    assert preview.error_rows == 1000 and imp.summary["error_rows"] == 1000
    assert len(imp.summary["error_list"]) == 1000
    assert register_counts() == before


def test_duplicates_in_the_file_and_against_the_register(keeper, homes):
    registered = homes["A2"][1].id_number
    rows = family() + [("网格A1", "东区9栋", "王建国", "户主", ID(11), "", "", "", "", ""),
                       ("网格A1", "东区9栋", "某某", "其他", registered, "", "", "", "", "")]
    _imp, preview = start(keeper, workbook(rows))
    msgs = {e.row: e.message for e in preview.errors}
    assert "row 2" in msgs[5]
    assert "already registered" in msgs[6]


def test_unknown_and_out_of_scope_grids_are_errors(keeper, users):
    rows = [("网格Z9", "a", "甲", "户主", ID(61), "", "", "", "", ""),
            ("网格B1", "b", "乙", "户主", ID(62), "", "", "", "", ""),  # B is not the staff member's community
            ("360724100001002", "c", "丙", "户主", ID(63), "", "", "", "", "")]  # A2 by its code: fine
    _imp, preview = start(keeper, workbook(rows))
    assert [(e.row, e.column) for e in preview.errors] == [(2, "Grid"), (3, "Grid")]


def test_numeric_id_relation_sex_phone_and_tags_are_checked(keeper):
    rows = [("网格A1", "a", "甲", "户主", 360724198005170011, "", "", "", "", ""),
            ("网格A1", "b", "乙", "表亲", ID(71), "男", "", "12345", "富豪", ""),
            ("网格A1", "c", "丙", "户主", ID(72), "男", "", "", "", "")]  # 72: even, a woman
    _imp, preview = start(keeper, workbook(rows))
    cols = {(e.row, e.column) for e in preview.errors}
    assert cols == {(2, "ID-card number"), (3, "Relation to the head"), (3, "Phone"), (3, "Care tags"), (4, "Sex")}


def test_a_second_head_is_refused(keeper, homes):
    household = homes["A1"][0]
    rows = [("网格A1", household.address, "新户主", "户主", ID(81), "", "", "", "", ""),
            ("网格A1", "新地址", "甲", "户主", ID(82), "", "", "", "", ""),
            ("网格A1", "新地址", "乙", "户主", ID(83), "", "", "", "", "")]
    _imp, preview = start(keeper, workbook(rows))
    assert [(e.row, e.column) for e in preview.errors] == [(2, "Relation to the head"), (4, "Relation to the head")]


def test_rows_join_an_existing_household_at_the_same_address(keeper, homes):
    household = homes["A1"][0]
    imp, preview = start(keeper, workbook([("网格A1", household.address, "孙女", "孙子女", ID(91, dt.date(2015, 1, 1)),
                                            "", "", "", "", "")]))
    assert preview.ok and imp.summary["households_joined"] == 1
    services.register_import_commit(by=keeper, register_import=imp)
    assert household.memberships.filter(end_date__isnull=True).count() == 2


def test_only_keepers_import_and_only_the_uploader_commits(users):
    with pytest.raises(PermissionDenied):
        start(users["volunteer"], workbook(family()))
    imp, _ = start(users["community_staff"], workbook(family()))
    with pytest.raises(PermissionDenied):
        services.register_import_commit(by=users["county_admin"], register_import=imp)


def test_the_downloadable_template_imports_cleanly(keeper):
    data = imports.template_workbook(grid_name="网格A1")
    imp, preview = start(keeper, data)
    assert preview.ok, preview.errors
    assert imp.summary["persons_new"] == 3 and imp.summary["households_new"] == 2


def test_dates_are_read_in_the_usual_forms():
    for value in ("2020-03-01", "2020/3/1", "2020.03.01", "2020年3月1日", "20200301", dt.datetime(2020, 3, 1),
                  43891):
        assert imports.parse_date(value) == dt.date(2020, 3, 1), value
    for value in ("3/1/2020", "明天", "2020-13-01"):
        with pytest.raises(ValueError):
            imports.parse_date(value)


@pytest.mark.parametrize("born", ["2999-01-01", "1890-01-01"])
def test_a_birth_date_in_the_future_or_over_120_years_ago_is_a_row_error(keeper, born):
    rows = [("网格A1", "东区1栋103室", "钱七", "户主", "", "男", born, "", "", "")]
    _imp, preview = start(keeper, workbook(rows))
    assert not preview.ok and (2, "Birth date") in [(e.row, e.column) for e in preview.errors]
