"""Write the synthetic CART-CD19-002 raw files: a second sponsor's layout, deliberately different.

CART-CD19-002 is an invented single-arm phase 1/2 study of a CD19-directed CAR-T product in
relapsed or refractory large B-cell lymphoma: one flat dose (100 x 10^6 CAR+ T cells), infusion
on protocol Day 1, follow-up from Day 22. Its files differ from CART-PSCA-001 in the ordinary
ways vendors differ, so that it maps with YAML alone only if the spec language can say so:

- ``edc/DM.csv``, ``edc/AE.csv``: Medidata Rave-style exports (UTF-8 with BOM, every field
  quoted, CRLF, Rave's own key columns, date pairs ``AESTDAT`` + ``AESTDAT_RAW`` with
  ``UN``/``UNK`` partials as entered);
- ``edc/EX.xlsx``: one workbook, one form per sheet; dates as Excel serial numbers on one
  sheet, date-time cells ``2024/03/12 14:05`` and a banner row above the header on the other,
  and a notes sheet nobody maps;
- ``edc/CM_DS.xml``: the medication and disposition forms as CDISC ODM 1.3 (repeating item
  groups, codelist decodes, audit records, a partial date);
- ``lab/central_lab.csv``: semicolon-delimited ISO-8859-1 with three banner lines, LOINC codes
  instead of test codes, decimal commas, reference ranges as one text, ``20240312`` + ``0830``
  dates and times;
- ``bioanalytical/ck_cd19.xpt``: SAS transport file of the cellular kinetics, dates as SAS
  date numbers.

Every value is invented. The planted problems are listed in ``PLANTED`` and in the study
folder's README; the same (N, seed) always gives byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import pyreadstat

from sdtm.export.xpt import patch_header_datetimes
from sdtm.sample.workbook import write_workbook
from sdtm.sample.writer import FIXED_TIMESTAMP

LAYOUT = "cart-cd19-002"
"""Name of the layout (``sdtm sample --layout cart-cd19-002``) and of its study folder."""
STUDY_ID = "CART-CD19-002"
DEFAULT_SUBJECTS = 10
DEFAULT_SEED = 20240501

_START = dt.date(2024, 1, 8)
_SAS_EPOCH = dt.date(1960, 1, 1)
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

RAVE_KEYS = ("projectid", "project", "subject", "SiteNumber", "InstanceName", "FolderName",
             "DataPageName", "RecordPosition")  # fmt: skip
DM_COLUMNS = (*RAVE_KEYS, "BRTHDAT", "BRTHDAT_RAW", "SEX", "RACE", "ETHNIC", "COUNTRY", "ICDAT",
              "ICDAT_RAW", "ICTIM", "ENRYN", "ARMCD")  # fmt: skip
AE_COLUMNS = (*RAVE_KEYS, "AETERM", "AEDECOD", "AESOC", "AESTDAT", "AESTDAT_RAW", "AESTTIM",
              "AEENDAT", "AEENDAT_RAW", "AEONGO", "AETOXGR", "AESER", "AESHOSP", "AEREL", "AEOUT",
              "AEACN")  # fmt: skip
LAB_COLUMNS = ("PATIENT", "VISIT", "COLL_DATE", "COLL_TIME", "LOINC", "TEST_NAME", "RESULT",
               "UNIT", "REF_RANGE", "COMMENT")  # fmt: skip
LAB_BANNER = (
    "EUROLAB CENTRAL LABORATORY - DATA TRANSFER",
    f"Protocol {STUDY_ID}; transfer 7; cut-off 31.10.2024",
    "Encoding ISO-8859-1; decimal separator comma",
)
VISITS = MappingProxyType(
    {"Screening": -25, "Day 1": 0, "Day 4": 3, "Day 8": 7, "Day 15": 14, "Day 29": 28}
)
"""Lab visit label -> days after the infusion day."""
TESTS = (
    # LOINC, name, unit, range, low, high (of the invented values)
    ("26881-3", "Interleukin 6", "pg/mL", "<7,0", 2.0, 400.0),
    ("1988-5", "C reactive protein", "mg/L", "<5,0", 1.0, 180.0),
    ("2276-4", "Ferritin", "ug/L", "30-400", 80.0, 4000.0),
    ("751-8", "Neutrophils", "10^9/L", "1,8-7,5", 0.1, 6.0),
    ("777-3", "Platelets", "10^9/L", "150-400", 40.0, 300.0),
    ("1975-2", "Bilirubin", "\u00b5mol/L", "3,4-20,5", 4.0, 30.0),
    ("2532-0", "Lactate dehydrogenase", "U/L", "135-225", 150.0, 600.0),
)
CK_POINTS = (("D1 PRE", 0, "1330"), ("D1 1H", 0, "1505"), ("D2", 1, "0900"), ("D4", 3, "0900"),
             ("D8", 7, "0900"), ("D15", 14, "0900"), ("D29", 28, "0900"),
             ("M3", 89, "0900"))  # fmt: skip
CK_VISIT = MappingProxyType({"D1 PRE": "DAY 1", "D1 1H": "DAY 1", "D2": "DAY 2", "D4": "DAY 4",
                             "D8": "DAY 8", "D15": "DAY 15", "D29": "DAY 29",
                             "M3": "MONTH 3"})  # fmt: skip
SCREEN_FAILURE = 3
"""Subject index of the screen failure (consented, not eligible, never dosed)."""

PLANTED = MappingProxyType(
    {
        "ae-partial-start": "subject 001: AESTDAT_RAW UN/<MON>/<YYYY> (day unknown) -> AESTDTC "
        "YYYY-MM, kept partial",
        "ae-impossible-date": "subject 002: AESTDAT_RAW 31/FEB/2024 -> RD0102, AESTDTC null",
        "dm-partial-birth": "subject 006: BRTHDAT_RAW UN/JUN/<YYYY> -> BRTHDTC <YYYY>-06",
        "cm-partial-start": "subject 001: acyclovir CMSTDAT <YYYY-MM> (ODM partial date)",
        "lab-unknown-loinc": "subject 002, Day 8: LOINC 33959-8 (procalcitonin) not in the "
        "study's lookup table -> MP0052",
        "lab-range-text": "subject 004, Screening, CRP: REF_RANGE 'see report' -> MP0050",
        "lab-not-done": "subject 005, Day 4, CRP: RESULT '.' with a comment -> LBSTAT NOT DONE",
        "lab-duplicate": "subject 001, Screening, CRP: the row is delivered twice -> RD0005",
        "ex-notes-sheet": "edc/EX.xlsx sheet Notes holds a data manager's note: read as its "
        "own table and skipped with the reason (MP0002)",
        "screen-failure": "subject 003: consented, not eligible, never dosed (DS SCREEN FAILURE)",
    }
)
"""Planted source problems and edge cases, by name (documented in the study's README)."""


def _rave_date(day: dt.date) -> str:
    return f"{day.day:02d}/{_MONTHS[day.month - 1]}/{day.year}"


def _subject_id(index: int) -> tuple[str, str]:
    site = "201" if index % 2 else "202"
    return site, f"{site}-{index:03d}"


def _comma(value: float, decimals: int = 1) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


class _Subject:
    """Dates and random stream of one subject."""

    def __init__(self, index: int, seed: int) -> None:
        self.index = index
        self.site, self.subjid = _subject_id(index)
        self.rng = random.Random(seed * 1000 + index)
        self.consent = _START + dt.timedelta(days=11 * (index - 1))
        self.infusion = self.consent + dt.timedelta(days=30)
        self.treated = index != SCREEN_FAILURE

    def day(self, offset: int) -> dt.date:
        return self.infusion + dt.timedelta(days=offset)


def _rave_keys(subject: _Subject, folder: str, page: str, position: int) -> list[str]:
    return ["2417", STUDY_ID, subject.subjid, subject.site, folder, folder, page, str(position)]


def _dm_row(subject: _Subject) -> list[str]:
    rng = subject.rng
    birth = dt.date(1950 + rng.randrange(20), 1 + rng.randrange(12), 1 + rng.randrange(28))
    raw_birth = _rave_date(birth)
    full_birth = birth.isoformat()
    if subject.index == 6:
        raw_birth, full_birth = f"UN/JUN/{birth.year}", ""
    sex = rng.choice(("Male", "Female"))
    race = rng.choice(("White", "White", "Asian", "Black or African American"))
    ethnic = rng.choice(("Not Hispanic or Latino", "Not Hispanic or Latino", "Hispanic or Latino"))
    eligible = subject.treated
    return [
        *_rave_keys(subject, "Screening", "Demographics", 0),
        full_birth, raw_birth, sex, race, ethnic, "USA",
        subject.consent.isoformat(), _rave_date(subject.consent), "09:15",
        "Yes" if eligible else "No", "CD19" if eligible else "",
    ]  # fmt: skip


def _ae_rows(subject: _Subject) -> list[list[str]]:
    if not subject.treated:
        return []
    rng = subject.rng
    events = [
        ("Cytokine release syndrome", "Cytokine release syndrome", "Immune system disorders",
         rng.randrange(0, 3), rng.randrange(2, 6), str(rng.choice((1, 2, 2, 3)))),
        ("Neutropenia", "Neutrophil count decreased", "Investigations",
         rng.randrange(2, 6), rng.randrange(6, 20), str(rng.choice((3, 4)))),
        ("Fever", "Pyrexia", "General disorders and administration site conditions",
         rng.randrange(0, 2), rng.randrange(1, 3), "1"),
    ]  # fmt: skip
    if rng.random() < 0.4:
        events.append(("ICANS", "Immune effector cell-associated neurotoxicity syndrome",
                       "Nervous system disorders", rng.randrange(4, 8), rng.randrange(2, 5),
                       str(rng.choice((1, 2)))))  # fmt: skip
    rows = []
    for position, (term, decod, soc, start, length, grade) in enumerate(events, start=1):
        begin = subject.day(start)
        end = begin + dt.timedelta(days=length)
        start_raw, start_full = _rave_date(begin), begin.isoformat()
        if subject.index == 1 and position == 3:
            start_raw, start_full = f"UN/{_MONTHS[begin.month - 1]}/{begin.year}", ""
        if subject.index == 2 and position == 2:
            start_raw, start_full = "31/FEB/2024", ""
        ongoing = subject.index == 5 and position == 2
        severe = grade in ("3", "4") or (term.startswith("Cyto") and grade == "2")
        serious = "Yes" if severe else "No"
        rows.append([
            *_rave_keys(subject, "Log", "Adverse Events", position),
            term, decod, soc, start_full, start_raw,
            f"{8 + rng.randrange(10):02d}:{rng.randrange(60):02d}",
            "" if ongoing else end.isoformat(), "" if ongoing else _rave_date(end),
            "Yes" if ongoing else "No", grade, serious, serious, "Related",
            "NOT RECOVERED/NOT RESOLVED" if ongoing else "RECOVERED/RESOLVED", "NOT APPLICABLE",
        ])  # fmt: skip
    return rows


def _write_rave(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> int:
    """Rave-style CSV: UTF-8 with BOM, every field quoted, CRLF line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)


def _excel_serial(day: dt.date) -> int:
    return (day - _EXCEL_EPOCH).days


def _ex_workbook(subjects: list[_Subject], path: Path) -> dict[str, int]:
    ld: list[list[object]] = [["Subject", "Treatment", "Dose Date", "Start Time", "Dose",
                               "Unit", "Route"]]  # fmt: skip
    cart: list[list[object]] = [
        ["CAR-T infusion log - exported from the cell-therapy portal 01NOV2024"],
        ["Subject", "Infusion Start", "Infusion End", "Total Dose", "Dose Unit", "Lot"],
    ]
    for subject in subjects:
        if not subject.treated:
            continue
        for offset in (-5, -4, -3):
            day = subject.day(offset)
            ld.append([subject.subjid, "FLUDARABINE", _excel_serial(day), "09:00", 30, "mg/m2",
                       "IV"])  # fmt: skip
            ld.append([subject.subjid, "CYCLOPHOSPHAMIDE", _excel_serial(day), "10:30", 500,
                       "mg/m2", "IV"])  # fmt: skip
        start = dt.datetime.combine(subject.infusion, dt.time(14, 5))
        end = start + dt.timedelta(minutes=20 + subject.rng.randrange(15))
        cart.append([subject.subjid, start.strftime("%Y/%m/%d %H:%M"),
                     end.strftime("%Y/%m/%d %H:%M"), 100, "x10^6 CAR+ T cells",
                     f"CD19-{subject.index:04d}-A"])  # fmt: skip
    notes = [["Note", "Entered by"], ["Lot CD19-0004-A relabelled after QA review", "DM"]]
    write_workbook(path, {"Lymphodepletion": ld, "CAR-T Infusion": cart, "Notes": notes})
    return {"Lymphodepletion": len(ld) - 1, "CAR-T Infusion": len(cart) - 2, "Notes": 1}


_ODM_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" ODMVersion="1.3.2" FileType="Snapshot"
     FileOID="CD19-002.CM_DS" CreationDateTime="2024-11-01T00:00:00">
  <Study OID="CART-CD19-002">
    <GlobalVariables><StudyName>CART-CD19-002</StudyName>
      <StudyDescription>synthetic</StudyDescription><ProtocolName>CART-CD19-002</ProtocolName>
    </GlobalVariables>
    <MetaDataVersion OID="MDV.3" Name="Version 3">
      <ItemGroupDef OID="IG.CM" Name="Concomitant medications" Repeating="Yes">
        <ItemRef ItemOID="CMTRT" Mandatory="Yes"/><ItemRef ItemOID="CMINDC" Mandatory="No"/>
        <ItemRef ItemOID="CMROUTE" Mandatory="No"/><ItemRef ItemOID="CMSTDAT" Mandatory="No"/>
        <ItemRef ItemOID="CMENDAT" Mandatory="No"/><ItemRef ItemOID="CMONGO" Mandatory="No"/>
      </ItemGroupDef>
      <ItemGroupDef OID="IG.DS" Name="End of study" Repeating="No">
        <ItemRef ItemOID="DSDECOD" Mandatory="Yes"/><ItemRef ItemOID="DSSTDAT" Mandatory="Yes"/>
      </ItemGroupDef>
      <ItemDef OID="CMTRT" Name="CMTRT" DataType="text"/>
      <ItemDef OID="CMINDC" Name="CMINDC" DataType="text"/>
      <ItemDef OID="CMROUTE" Name="CMROUTE" DataType="integer">
        <CodeListRef CodeListOID="CL.ROUTE"/></ItemDef>
      <ItemDef OID="CMSTDAT" Name="CMSTDAT" DataType="partialDate"/>
      <ItemDef OID="CMENDAT" Name="CMENDAT" DataType="partialDate"/>
      <ItemDef OID="CMONGO" Name="CMONGO" DataType="text"/>
      <ItemDef OID="DSDECOD" Name="DSDECOD" DataType="text">
        <CodeListRef CodeListOID="CL.DSDECOD"/></ItemDef>
      <ItemDef OID="DSSTDAT" Name="DSSTDAT" DataType="date"/>
      <CodeList OID="CL.ROUTE" Name="Route" DataType="integer">
        <CodeListItem CodedValue="1"><Decode>
          <TranslatedText xml:lang="en">INTRAVENOUS</TranslatedText></Decode></CodeListItem>
        <CodeListItem CodedValue="2"><Decode>
          <TranslatedText xml:lang="en">ORAL</TranslatedText></Decode></CodeListItem>
      </CodeList>
      <CodeList OID="CL.DSDECOD" Name="Disposition" DataType="text">
        <CodeListItem CodedValue="SF"><Decode>
          <TranslatedText xml:lang="en">SCREEN FAILURE</TranslatedText></Decode></CodeListItem>
        <CodeListItem CodedValue="CO"><Decode>
          <TranslatedText xml:lang="en">COMPLETED</TranslatedText></Decode></CodeListItem>
      </CodeList>
    </MetaDataVersion>
  </Study>
  <ClinicalData StudyOID="CART-CD19-002" MetaDataVersionOID="MDV.3">
"""


def _item(oid: str, value: str) -> str:
    return f'            <ItemData ItemOID="{oid}" Value="{value}"/>\n' if value else ""


def _odm(subjects: list[_Subject], path: Path) -> dict[str, int]:
    parts = [_ODM_HEAD]
    counts = {"IG.CM": 0, "IG.DS": 0}
    for subject in subjects:
        parts.append(f'    <SubjectData SubjectKey="{subject.subjid}">\n')
        meds = []
        if subject.treated:
            acyclovir = subject.day(-6).isoformat()
            if subject.index == 1:
                acyclovir = acyclovir[:7]
            meds.append(("ACYCLOVIR", "HERPES PROPHYLAXIS", "2", acyclovir, "", "Y"))
            meds.append(("LEVETIRACETAM", "ICANS PROPHYLAXIS", "2", subject.day(0).isoformat(),
                         subject.day(29).isoformat(), ""))  # fmt: skip
            if subject.rng.random() < 0.6:
                meds.append(("TOCILIZUMAB", "CYTOKINE RELEASE SYNDROME", "1",
                             subject.day(2).isoformat(), subject.day(2).isoformat(), ""))
        if meds:
            parts.append('      <StudyEventData StudyEventOID="SE.LOGS" StudyEventRepeatKey="1">\n'
                         '        <FormData FormOID="F.CM" FormRepeatKey="1">\n')  # fmt: skip
            for key, (trt, indc, route, start, end, ongoing) in enumerate(meds, start=1):
                parts.append('          <ItemGroupData ItemGroupOID="IG.CM" '
                             f'ItemGroupRepeatKey="{key}">\n')
                parts.append(_item("CMTRT", trt) + _item("CMINDC", indc) + _item("CMROUTE", route)
                             + _item("CMSTDAT", start) + _item("CMENDAT", end)
                             + _item("CMONGO", ongoing))  # fmt: skip
                if key == 1:
                    parts.append("            <AuditRecord><UserRef UserOID=\"CRA.1\"/>"
                                 "<LocationRef LocationOID=\"SITE\"/><DateTimeStamp>"
                                 "2024-06-01T10:00:00</DateTimeStamp><ReasonForChange>"
                                 "transcription</ReasonForChange></AuditRecord>\n")  # fmt: skip
                parts.append("          </ItemGroupData>\n")
                counts["IG.CM"] += 1
            parts.append("        </FormData>\n      </StudyEventData>\n")
        if not subject.treated:
            parts.append('      <StudyEventData StudyEventOID="SE.EOS" StudyEventRepeatKey="1">\n'
                         '        <FormData FormOID="F.DS" FormRepeatKey="1">\n'
                         '          <ItemGroupData ItemGroupOID="IG.DS" ItemGroupRepeatKey="1">\n'
                         + _item("DSDECOD", "SF")
                         + _item("DSSTDAT", (subject.consent + dt.timedelta(days=10)).isoformat())
                         + "          </ItemGroupData>\n        </FormData>\n"
                         "      </StudyEventData>\n")  # fmt: skip
            counts["IG.DS"] += 1
        parts.append("    </SubjectData>\n")
    parts.append("  </ClinicalData>\n</ODM>\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(parts), encoding="utf-8")
    return counts


def _lab_rows(subject: _Subject) -> list[list[str]]:
    if not subject.treated:
        return []
    rows = []
    for visit, offset in VISITS.items():
        day = subject.day(offset)
        for loinc, name, unit, ref_range, low, high in TESTS:
            value = low + (high - low) * subject.rng.random()
            row = [subject.subjid, visit, day.strftime("%Y%m%d"), "0830", loinc, name,
                   _comma(value, 0 if high >= 100 else 1), unit, ref_range, ""]  # fmt: skip
            if subject.index == 4 and visit == "Screening" and loinc == "1988-5":
                row[8] = "see report"
            if subject.index == 5 and visit == "Day 4" and loinc == "1988-5":
                row[6], row[9] = ".", "sample haemolysed, not analysed"
            rows.append(row)
            if subject.index == 1 and visit == "Screening" and loinc == "1988-5":
                rows.append(list(row))
        if subject.index == 2 and visit == "Day 8":
            rows.append([subject.subjid, visit, day.strftime("%Y%m%d"), "0830", "33959-8",
                         "Procalcitonin", "0,4", "ug/L", "<0,5", ""])  # fmt: skip
    return rows


def _write_lab(path: Path, rows: list[list[str]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [*LAB_BANNER, ";".join(LAB_COLUMNS), *(";".join(row) for row in rows)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return len(rows)


def _ck(subjects: list[_Subject], path: Path) -> int:
    records = []
    for subject in subjects:
        if not subject.treated:
            continue
        peak = 10 ** (4 + 1.5 * subject.rng.random())
        for label, offset, time in CK_POINTS:
            day = subject.day(offset)
            if offset == 0 and label == "D1 PRE":
                result = "BLQ"
            else:
                level = peak * min(1.0, (offset + 1) / 8) / (1 + max(0, offset - 7) / 6)
                result = f"{level:.0f}"
            records.append({
                "SUBJID": subject.subjid, "VISIT": CK_VISIT[label], "TPT": label,
                "COLLDT": float((day - _SAS_EPOCH).days), "COLLTM": time,
                "ANALYTE": "CD19 CAR TRANSGENE", "RESULT": result, "UNIT": "copies/ug gDNA",
                "LLOQ": 50.0,
            })  # fmt: skip
    frame = pd.DataFrame.from_records(records)
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_xport(frame, str(path), file_format_version=5, table_name="CK")
    # pyreadstat stamps the clock into the header: fixed, so that reruns give the same bytes.
    patch_header_datetimes(path, FIXED_TIMESTAMP)
    return len(frame)


def write_cd19_sample(
    out_dir: Path, n_subjects: int = DEFAULT_SUBJECTS, seed: int = DEFAULT_SEED
) -> dict[str, int]:
    """Write the raw files of CART-CD19-002 into ``out_dir``.

    Args:
        out_dir: Study folder to write (``edc/``, ``lab/``, ``bioanalytical/``).
        n_subjects: Subjects to generate (subject 3 is the screen failure).
        seed: Random seed; the same N and seed give byte-identical files.

    Returns:
        Data rows per raw table (``file`` or ``file[sheet]``), in the order written.
    """
    subjects = [_Subject(index, seed) for index in range(1, n_subjects + 1)]
    counts: dict[str, int] = {}
    counts["edc/DM.csv"] = _write_rave(
        out_dir / "edc" / "DM.csv", DM_COLUMNS, [_dm_row(s) for s in subjects]
    )
    counts["edc/AE.csv"] = _write_rave(
        out_dir / "edc" / "AE.csv", AE_COLUMNS, [row for s in subjects for row in _ae_rows(s)]
    )
    for sheet, rows in _ex_workbook(subjects, out_dir / "edc" / "EX.xlsx").items():
        counts[f"edc/EX.xlsx[{sheet}]"] = rows
    for group, rows in _odm(subjects, out_dir / "edc" / "CM_DS.xml").items():
        counts[f"edc/CM_DS.xml[{group}]"] = rows
    counts["lab/central_lab.csv"] = _write_lab(
        out_dir / "lab" / "central_lab.csv", [row for s in subjects for row in _lab_rows(s)]
    )
    counts["bioanalytical/ck_cd19.xpt"] = _ck(subjects, out_dir / "bioanalytical" / "ck_cd19.xpt")
    return counts
