"""Raw inputs beyond CSV/XLSX (issue 10): CDISC ODM 1.3, SAS7BDAT, SAS XPORT, Parquet.

The ODM fixture (fixtures/odm_clinical.xml) was written by hand for these tests; the expected
tables below are read off it. fixtures/kinetics.sas7bdat was written by ReadStat 1.1.8 from a
3-row table (SUBJID, ANALYTE, RESULT 1250 / 0.25 / missing, COLLDT 23447 / 23448 / 23450).
"""

import shutil
from pathlib import Path

import fastparquet
import pandas as pd
import pyreadstat
import pytest

from sdtm.read.odm import KEY_COLUMNS, OdmRefusedError, read_odm
from sdtm.read.options import ReadOptions
from sdtm.read.raw import read_raw_file
from sdtm.read.tables import read_study_tables

FIXTURES = Path(__file__).parent / "fixtures"


def _values(frame, columns):
    return frame[columns].astype(object).where(frame[columns].notna(), None).values.tolist()


def test_odm_reads_one_table_per_item_group_with_keys_items_and_decodes():
    tables = read_odm(FIXTURES / "odm_clinical.xml").tables
    assert sorted(tables) == ["IG.AE", "IG.VS"]
    ae = tables["IG.AE"]
    assert list(ae.columns) == [
        *KEY_COLUMNS,
        "IT.AETERM",
        "IT.AESTDAT",
        "IT.AESEV",
        "IT.AESEV_DECODE",
        "_src_row",
    ]
    # repeating group: two events of subject 001 (repeat keys 1, 2), one of 002; the partial
    # date 2024-03 is kept as delivered; line numbers of the ItemGroupData elements
    assert _values(
        ae, ["SubjectKey", "ItemGroupRepeatKey", "IT.AETERM", "IT.AESTDAT", "IT.AESEV_DECODE",
             "_src_row"]
    ) == [
        ["001", "1", "Cytokine release syndrome", "2024-03-12", "MODERATE", 39],
        ["001", "2", "Headache", "2024-03", "MILD", 46],
        ["002", "1", "Neutropenia", None, "SEVERE", 64],
    ]
    assert _values(tables["IG.VS"], ["SubjectKey", "StudyEventOID", "IT.TEMP"]) == [
        ["001", "SE.D1", "38.4"]
    ]


def test_odm_code_the_codelist_does_not_decode_stays_visible(tmp_path):
    text = (FIXTURES / "odm_clinical.xml").read_text(encoding="utf-8")
    changed = text.replace('ItemOID="IT.AESEV" Value="3"', 'ItemOID="IT.AESEV" Value="9"')
    assert changed != text
    (tmp_path / "odm.xml").write_text(changed, encoding="utf-8")
    ae = read_odm(tmp_path / "odm.xml").tables["IG.AE"]
    # no decode for 9: the code itself, which mapping then reports, not a silent null
    assert ae["IT.AESEV_DECODE"].tolist() == ["MODERATE", "MILD", "9"]


@pytest.mark.parametrize("kind", ["Remove", "Update", "Upsert", "Context"])
def test_odm_transactional_changes_are_refused_not_read_as_data(tmp_path, kind):
    text = (FIXTURES / "odm_clinical.xml").read_text(encoding="utf-8")
    changed = text.replace(
        '<ItemGroupData ItemGroupOID="IG.AE"',
        f'<ItemGroupData TransactionType="{kind}" ItemGroupOID="IG.AE"',
        1,
    )
    assert changed != text
    (tmp_path / "odm.xml").write_text(changed, encoding="utf-8")
    with pytest.raises(OdmRefusedError, match=f"TransactionType '{kind}'"):
        read_odm(tmp_path / "odm.xml")
    raw = read_raw_file(tmp_path, "odm.xml", ReadOptions(item_group="IG.AE"), key="odm.xml[IG.AE]")
    assert raw.frame is None
    assert raw.findings.rows(["rule_id"]) == [["RD0002"]]


def test_odm_inserts_are_data(tmp_path):
    text = (FIXTURES / "odm_clinical.xml").read_text(encoding="utf-8")
    changed = text.replace(
        '<ItemGroupData ItemGroupOID="IG.AE"',
        '<ItemGroupData TransactionType="Insert" ItemGroupOID="IG.AE"',
    )
    (tmp_path / "odm.xml").write_text(changed, encoding="utf-8")
    assert len(read_odm(tmp_path / "odm.xml").tables["IG.AE"]) == 3


def test_odm_audit_records_are_not_data():
    ae = read_odm(FIXTURES / "odm_clinical.xml").tables["IG.AE"]
    assert not any("Audit" in c or "DateTimeStamp" in c for c in ae.columns)
    assert "2024-03-13T09:00:00" not in ae.astype(str).to_numpy().ravel().tolist()


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE ODM [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><ClinicalData StudyOID="S" MetaDataVersionOID="M">
<SubjectData SubjectKey="&f;"/></ClinicalData></ODM>
"""


def test_odm_entity_expansion_bomb_is_refused(tmp_path):
    (tmp_path / "bomb.xml").write_bytes(BOMB)
    with pytest.raises(OdmRefusedError, match="entity-expansion"):
        read_odm(tmp_path / "bomb.xml")


def test_odm_bomb_in_a_study_is_a_finding_not_a_crash(tmp_path):
    (tmp_path / "bomb.xml").write_bytes(BOMB)
    plan = {"bomb.xml[IG.AE]": ("bomb.xml", ReadOptions(item_group="IG.AE"))}
    raw = read_study_tables(tmp_path, plan)
    assert list(raw) == ["bomb.xml[IG.AE]"]
    assert raw["bomb.xml[IG.AE]"].frame is None
    assert raw["bomb.xml[IG.AE]"].findings.rows(["rule_id"]) == [["RD0002"]]


def test_odm_item_groups_no_block_names_are_reported_with_their_rows(tmp_path):
    shutil.copy(FIXTURES / "odm_clinical.xml", tmp_path / "odm.xml")
    plan = {"odm.xml[IG.AE]": ("odm.xml", ReadOptions(item_group="IG.AE"))}
    raw = read_study_tables(tmp_path, plan)
    assert sorted(raw) == ["odm.xml[IG.AE]", "odm.xml[IG.VS]"]
    assert len(raw["odm.xml[IG.AE]"].frame) == 3
    assert raw["odm.xml[IG.AE]"].frame["_src_id"].tolist() == [
        "odm.xml[IG.AE]:39", "odm.xml[IG.AE]:46", "odm.xml[IG.AE]:64"
    ]
    unread = raw["odm.xml[IG.VS]"]
    assert (unread.frame, unread.rows_in, unread.rows_ignored) == (None, 1, 1)
    assert unread.findings.rows(["rule_id", "value"]) == [["RD0022", "IG.VS"]]


def test_odm_item_group_that_is_not_there_is_reported(tmp_path):
    shutil.copy(FIXTURES / "odm_clinical.xml", tmp_path / "odm.xml")
    raw = read_raw_file(tmp_path, "odm.xml", ReadOptions(item_group="IG.LB"), key="odm.xml[IG.LB]")
    assert raw.frame is None
    assert "found: IG.AE, IG.VS" in raw.findings.frame["message"].iloc[0]


def test_sas7bdat_values_as_text_dates_stay_sas_numbers(tmp_path):
    shutil.copy(FIXTURES / "kinetics.sas7bdat", tmp_path / "ck.sas7bdat")
    raw = read_raw_file(tmp_path, "ck.sas7bdat")
    assert raw.columns == ("SUBJID", "ANALYTE", "RESULT", "COLLDT")
    assert _values(raw.frame, ["SUBJID", "RESULT", "COLLDT", "_src_row"]) == [
        ["001", "1250", "23447", 1],
        ["001", "0.25", "23448", 2],
        ["002", None, "23450", 3],
    ]


def test_sas7bdat_that_is_not_one_is_reported(tmp_path):
    (tmp_path / "ck.sas7bdat").write_bytes(b"not a SAS dataset")
    raw = read_raw_file(tmp_path, "ck.sas7bdat")
    assert raw.frame is None
    assert raw.findings.rows(["rule_id"]) == [["RD0002"]]


def test_xport_raw_file_reads_like_a_sas_dataset(tmp_path):
    frame = pd.DataFrame({"USUBJ": ["001", "002"], "CONC": [12.5, float("nan")]})
    pyreadstat.write_xport(frame, str(tmp_path / "pk.xpt"), file_format_version=5)
    raw = read_raw_file(tmp_path, "pk.xpt")
    assert _values(raw.frame, ["USUBJ", "CONC", "_src_row"]) == [
        ["001", "12.5", 1],
        ["002", None, 2],
    ]


def test_xport_raw_file_cut_short_is_reported_not_read_in_part(tmp_path):
    frame = pd.DataFrame({"USUBJ": [f"{n:03d}" for n in range(40)], "CONC": [1.5] * 40})
    pyreadstat.write_xport(frame, str(tmp_path / "pk.xpt"), file_format_version=5)
    data = (tmp_path / "pk.xpt").read_bytes()
    # cut inside the records: pyreadstat alone reads the records before the cut, silently
    (tmp_path / "pk.xpt").write_bytes(data[: len(data) - 300])
    raw = read_raw_file(tmp_path, "pk.xpt")
    assert raw.frame is None
    assert raw.findings.rows(["rule_id"]) == [["RD0002"]]
    assert "byte" in raw.findings.frame["message"].iloc[0]


def test_parquet_values_as_text(tmp_path):
    frame = pd.DataFrame({"SUBJECT": ["001", None], "VALUE": [3.0, 0.125]})
    fastparquet.write(str(tmp_path / "lb.parquet"), frame)
    raw = read_raw_file(tmp_path, "lb.parquet")
    assert _values(raw.frame, ["SUBJECT", "VALUE", "_src_row"]) == [
        ["001", "3", 1],
        [None, "0.125", 2],
    ]


def test_numbers_are_written_as_a_reader_of_the_file_sees_them(tmp_path):
    frame = pd.DataFrame(
        {
            "ID": pd.array([2**60 + 1, -3, None], dtype="Int64"),
            "X": [0.1, 1e20, float("nan")],
            "Y": [2.0, -0.0, float("inf")],
        }
    )
    fastparquet.write(str(tmp_path / "n.parquet"), frame)
    raw = read_raw_file(tmp_path, "n.parquet")
    assert _values(raw.frame, ["ID", "X", "Y"]) == [
        ["1152921504606846977", "0.1", "2"],
        ["-3", "1e+20", "0"],
        [None, None, "inf"],
    ]


def test_parquet_that_is_not_one_is_reported(tmp_path):
    (tmp_path / "lb.parquet").write_bytes(b"PAR1 truncated")
    raw = read_raw_file(tmp_path, "lb.parquet")
    assert raw.frame is None
    assert raw.findings.rows(["rule_id"]) == [["RD0002"]]


def test_workbook_sheets_the_spec_does_not_name_are_reported(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "AE"
    book.active.append(["SUBJID", "AETERM"])
    book.active.append(["001", "Fever"])
    notes = book.create_sheet("Notes")
    notes.append(["NOTE"])
    notes.append(["data cut 2024-10-31"])
    book.save(tmp_path / "edc.xlsx")
    plan = {"edc.xlsx[AE]": ("edc.xlsx", ReadOptions(sheet="AE"))}
    raw = read_study_tables(tmp_path, plan)
    assert sorted(raw) == ["edc.xlsx[AE]", "edc.xlsx[Notes]"]
    assert raw["edc.xlsx[Notes]"].rows_ignored == 1
    assert raw["edc.xlsx[Notes]"].findings.rows(["rule_id", "value"]) == [["RD0008", "Notes"]]
