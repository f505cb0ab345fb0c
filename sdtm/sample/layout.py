"""File layout of the synthetic CART-PSCA-001 raw data: file names and column order.

This is the single source of truth for what the generator writes; the data dictionary in
``sample_data/cart-psca-001/README.md`` documents the same names (a test checks that every column
listed here is documented there).
"""

from __future__ import annotations

from dataclasses import dataclass

STUDY_ID = "CART-PSCA-001"
"""Protocol identifier written into every raw file."""

LAYOUT = "cart-psca-001"
"""Name of this layout (``sdtm sample --layout``, the default) and of its study folder."""

EDC_KEYS: tuple[str, ...] = ("STUDYID", "SITEID", "SUBJID", "FOLDER", "FORM", "INSTANCE", "LINE")
"""Record-key columns that open every EDC export."""

VENDOR_LAB_COLUMNS: tuple[str, ...] = (
    "STUDY", "SITE", "SUBJECT", "VISIT", "VISITCD", "ACCESSION", "COLLDATE", "COLLTIME",
    "RECVDATE", "TESTCODE", "TESTNAME", "SPECIMEN", "RESULT", "UNIT", "REFLO", "REFHI", "FLAG",
    "LLOQ", "ULOQ", "METHOD", "LABID", "STATUS", "SPECCOND", "COMMENT",
)  # fmt: skip
"""Columns of both central-lab transfers (the sponsor's data transfer agreement)."""

CK_COLUMNS: tuple[str, ...] = (
    "STUDY", "SITE", "SUBJECT", "SAMPLEID", "ANALYTE", "ASSAY", "MATRIX", "NOMTPT", "NOMDAY",
    "NOMHR", "COLLDATE", "COLLTIME", "RESULT", "UNIT", "LLOQ", "ULOQ", "DNAINPUT", "RUNID",
    "STATUS", "COMMENT",
)  # fmt: skip
"""Columns of the bioanalytical (cellular kinetics) transfer."""


@dataclass(frozen=True, slots=True)
class RawFile:
    """One raw file of the sample study."""

    key: str
    """Short name used inside the generator (``"ae"``, ``"lab_a"`` ...)."""
    path: str
    """Path relative to the study folder, with forward slashes."""
    columns: tuple[str, ...]
    """Header, in file order."""
    form: str = ""
    """EDC form OID for EDC files; empty for vendor files."""

    @property
    def is_xlsx(self) -> bool:
        """Whether the file is written as an Excel workbook."""
        return self.path.endswith(".xlsx")


def _edc(key: str, form: str, *fields: str) -> RawFile:
    return RawFile(key=key, path=f"edc/{key}.{'xlsx' if key == 'ld' else 'csv'}",
                   columns=EDC_KEYS + fields, form=form)  # fmt: skip


RAW_FILES: tuple[RawFile, ...] = (
    _edc("dm", "DM", "BRTHDAT", "SEX", "SEX_CD", "ETHNIC", "ETHNIC_CD", "RACE_AMIND",
         "RACE_ASIAN", "RACE_BLACK", "RACE_NHPI", "RACE_WHITE", "RACE_NR", "COUNTRY"),
    _edc("ic", "IC", "ICDAT", "ICTIM", "ICFVER", "RECONS"),
    _edc("enr", "ENR", "ELIGYN", "IENOTMET", "SFREASON", "ENRDAT", "COHORT", "DOSELVL",
         "DOSELVL_TXT"),
    _edc("aph", "APH", "APHDAT", "APHVOL", "MFGSTAT", "MFGFAILRSN", "LOTNO"),
    _edc("ld", "LD", "LDDAY", "LDTRT", "LDDAT", "LDSTTIM", "LDENTIM", "HEIGHT", "WEIGHT", "BSA",
         "PLDOSE", "ACTDOSE", "ACTDOSU", "ROUTE", "LDMOD", "LDMODRSN"),
    _edc("cart", "CART", "INFDAT", "WEIGHT", "TGTDOSE", "CARTOT", "CARDOSKG", "NBAGS", "BAGID",
         "LOTNO", "BAGVOL", "BAGSTTIM", "BAGENTIM", "INTERR", "INTERRSN", "PREMED", "DOSEADJ",
         "DOSEADJRSN"),
    _edc("ae", "AE", "AETERM", "AESTDAT", "AESTTIM", "AEENDAT", "AEENTIM", "AEONGO", "AEGRADE",
         "AECRS", "AECRSGR", "AEICANS", "AEICANSGR", "AEIECHS", "AEIECHSGR", "AEDLT", "AESER",
         "AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE", "AEOUT", "AEACN",
         "AEREL", "AERELLD", "AECONTRT", "AELLT", "AELLTCD", "AEPT", "AEPTCD", "AEHLT",
         "AEHLTCD", "AEHLGT", "AEHLGTCD", "AESOC", "AESOCCD", "MEDDRAV"),
    _edc("crs", "CRS", "CRSAENO", "SYNDROME", "ASMDAT", "ASMTIM", "TMAX", "HYPOTEN",
         "HYPOTEN_CD", "NVASO", "VASOPRSN", "O2SUP", "O2SUP_CD", "ICE", "LOC", "SEIZURE",
         "ASTCTGR"),
    _edc("cm", "CM", "CMTRT", "CMCAT", "CMINDC", "CMAENO", "CMDOSE", "CMDOSU", "CMROUTE",
         "CMFREQ", "CMSTDAT", "CMSTTIM", "CMENDAT", "CMENTIM", "CMONGO"),
    _edc("vp", "VP", "VPTRT", "VPAENO", "VPRATE", "VPRATEU", "VPSTDAT", "VPSTTIM", "VPENDAT",
         "VPENTIM"),
    _edc("ds", "DS", "DSSTAT", "DSREAS", "DSREAS_CD", "DSDAT", "LSTCONDAT"),
    _edc("dd", "DD", "DTHDAT", "DTHCAUSE", "DTHAENO", "AUTOPSY"),
    RawFile(key="lab_a", path="lab/lab_a.csv", columns=VENDOR_LAB_COLUMNS),
    RawFile(key="lab_b", path="lab/lab_b.csv", columns=VENDOR_LAB_COLUMNS),
    RawFile(key="ck", path="bioanalytical/ck.csv", columns=CK_COLUMNS),
)  # fmt: skip
"""Every raw file, in the order the generator writes them."""


def raw_file(key: str) -> RawFile:
    """Return the layout of the raw file named ``key``.

    Args:
        key: Short name, e.g. ``"ae"``.

    Returns:
        The matching :class:`RawFile`.

    Raises:
        KeyError: If no raw file has that key.
    """
    for item in RAW_FILES:
        if item.key == key:
            return item
    raise KeyError(key)
