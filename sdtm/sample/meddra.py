"""Illustrative MedDRA-style coding for the synthetic AEs.

MedDRA is licensed: the term texts follow MedDRA's style, but every numeric code here is an
**illustrative placeholder** (8 digits starting with 9) and must not be read as a real code.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

MEDDRA_VERSION = "27.0"
"""Version the synthetic coding vendor reports."""


@dataclass(frozen=True, slots=True)
class Coding:
    """One coded hierarchy path (names and illustrative codes)."""

    llt: str
    """Lowest level term."""
    pt: str
    """Preferred term (AEDECOD)."""
    hlt: str
    """High level term."""
    hlgt: str
    """High level group term."""
    soc: str
    """Primary system organ class."""
    codes: tuple[str, str, str, str, str]
    """Illustrative codes for LLT, PT, HLT, HLGT, SOC."""


_SOC_CODES = MappingProxyType({
    "Immune system disorders": "91000010",
    "Nervous system disorders": "91000020",
    "Blood and lymphatic system disorders": "91000030",
    "General disorders and administration site conditions": "91000040",
    "Gastrointestinal disorders": "91000050",
    "Metabolism and nutrition disorders": "91000060",
    "Renal and urinary disorders": "91000070",
    "Investigations": "91000080",
})  # fmt: skip

# key: (LLT, PT, HLT, HLGT, SOC, serial); codes are derived from the serial and the SOC table.
_TERMS = (
    ("CRS", "Cytokine release syndrome", "Cytokine release syndrome",
     "Cytokine release syndromes", "Immune disorders NEC", "Immune system disorders", 1),
    ("ICANS", "Immune effector cell-associated neurotoxicity syndrome",
     "Immune effector cell-associated neurotoxicity syndrome", "Neurotoxicities NEC",
     "Neurological disorders NEC", "Nervous system disorders", 2),
    ("HLH", "HLH-like syndrome", "Haemophagocytic lymphohistiocytosis",
     "Histiocytoses", "Immune disorders NEC", "Immune system disorders", 3),
    ("CYSTITIS", "Cystitis noninfective", "Cystitis noninfective",
     "Bladder inflammations", "Bladder and bladder neck disorders (excl calculi)",
     "Renal and urinary disorders", 4),
    ("NEUTROPENIA", "Neutropenia", "Neutropenia", "Neutropenias",
     "White blood cell disorders", "Blood and lymphatic system disorders", 5),
    ("FEBNEUT", "Febrile neutropenia", "Febrile neutropenia", "Neutropenias",
     "White blood cell disorders", "Blood and lymphatic system disorders", 6),
    ("ANAEMIA", "Anaemia", "Anaemia", "Anaemias NEC",
     "Anaemias nonhaemolytic and marrow depression", "Blood and lymphatic system disorders", 7),
    ("THROMBOCYTOPENIA", "Thrombocytopenia", "Thrombocytopenia", "Thrombocytopenias",
     "Platelet disorders", "Blood and lymphatic system disorders", 8),
    ("FATIGUE", "Fatigue", "Fatigue", "Asthenic conditions", "General system disorders NEC",
     "General disorders and administration site conditions", 9),
    ("PYREXIA", "Fever", "Pyrexia", "Febrile disorders", "Body temperature conditions",
     "General disorders and administration site conditions", 10),
    ("NAUSEA", "Nausea", "Nausea", "Nausea and vomiting symptoms",
     "Gastrointestinal signs and symptoms", "Gastrointestinal disorders", 11),
    ("HYPOKALAEMIA", "Hypokalemia", "Hypokalaemia", "Potassium deficiency",
     "Electrolyte and fluid balance conditions", "Metabolism and nutrition disorders", 12),
    ("HYPOPHOS", "Hypophosphatemia", "Hypophosphataemia", "Phosphorus metabolism disorders",
     "Electrolyte and fluid balance conditions", "Metabolism and nutrition disorders", 13),
    ("HEADACHE", "Headache", "Headache", "Headaches NEC", "Headaches",
     "Nervous system disorders", 14),
    ("ALT", "ALT increased", "Alanine aminotransferase increased", "Liver function analyses",
     "Hepatobiliary investigations", "Investigations", 15),
    ("DETERIORATION", "General physical health deterioration",
     "General physical health deterioration", "General signs and symptoms NEC",
     "General system disorders NEC", "General disorders and administration site conditions", 16),
)  # fmt: skip


# HLT and HLGT names are shared between terms; number them by sorted name so each name has one
# code (the coded pairs must stay one-to-one).
_HLT_CODES = MappingProxyType(
    {name: str(93000010 + 10 * i) for i, name in enumerate(sorted({r[3] for r in _TERMS}))}
)
_HLGT_CODES = MappingProxyType(
    {name: str(94000010 + 10 * i) for i, name in enumerate(sorted({r[4] for r in _TERMS}))}
)


def _coding(row: tuple) -> Coding:
    _, llt, pt, hlt, hlgt, soc, serial = row
    base = 92000000 + serial * 100
    codes = (str(base + 1), str(base), _HLT_CODES[hlt], _HLGT_CODES[hlgt], _SOC_CODES[soc])
    return Coding(llt, pt, hlt, hlgt, soc, codes)


CODING: MappingProxyType[str, Coding] = MappingProxyType({row[0]: _coding(row) for row in _TERMS})
"""Coded hierarchy by internal term key (``CRS``, ``ICANS``, ``HLH`` ...)."""
