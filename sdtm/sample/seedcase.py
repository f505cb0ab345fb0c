"""Values of the seed-case mirror (subject 101-011), synthetic, with the published shape.

Shape from the case report abstract (Ruemmele et al., Front. Oncol. 2025,
doi:10.3389/fonc.2025.1543622) as laid out in the domain brief section 4.3: IFN-gamma and CXCL10
fall by more than half within 24 h of the first emapalumab dose (Day 4 18:00) while IL-6 and
IL-10 do not; transgene copies peak on Day 7 and persist; PSA stays low. Every number below is
invented. Units are the canonical lab A units (cytokines pg/mL, ferritin ng/mL, CRP mg/L,
fibrinogen mg/dL, PSA ng/mL; transgene copies/ug gDNA; CAR+ cells/uL).
"""

from __future__ import annotations

from types import MappingProxyType

_LABELS = ("SCR", "DM5", "D0", "D1", "D2", "D3", "D4", "U4", "U5", "U6", "D7", "D10", "D14",
           "D21", "D28", "M2", "M3", "M6")  # fmt: skip
_N = None

# One tuple per analyte, one value per label above (None = use the generic model).
_SERIES = MappingProxyType({
    "IFNG": (_N, 2.1, 3.0, 45.0, 620.0, 1800.0, 2100.0, 2600.0, 620.0, 150.0, 60.0, 12.0, 5.0,
             3.0, 2.5, _N, _N, _N),
    "CXCL10": (_N, 170.0, 180.0, 900.0, 4100.0, 9500.0, 12500.0, 16000.0, 4200.0, 1600.0, 900.0,
               420.0, 260.0, 210.0, 190.0, _N, _N, _N),
    "INTLK6": (_N, 6.0, 8.0, 140.0, 950.0, 2900.0, 5200.0, 6800.0, 7400.0, 5100.0, 1400.0,
               180.0, 35.0, 12.0, 9.0, _N, _N, _N),
    "INTLK10": (_N, 6.0, 40.0, 65.0, 120.0, 180.0, 195.0, 210.0, 200.0, 150.0, 60.0, 20.0, 9.0,
                6.0, 5.0, _N, _N, _N),
    "INTLK2": (_N, 1.2, 1.4, 2.0, 4.5, 8.5, 12.0, 14.0, 13.0, 9.0, 4.0, 1.8, 1.5, 1.3, 1.2, _N,
               _N, _N),
    "TNF": (_N, 4.5, 4.0, 9.0, 18.0, 35.0, 48.0, 52.0, 50.0, 41.0, 22.0, 9.0, 6.0, 5.0, 4.5, _N,
            _N, _N),
    "GMCSF": (_N, 1.5, 1.6, 2.2, 3.8, 6.0, 9.0, 10.0, 9.5, 7.0, 3.5, 2.0, 1.6, 1.5, 1.5, _N, _N,
              _N),
    "FERRITIN": (380.0, 420.0, 450.0, 900.0, 3800.0, 12000.0, 15500.0, 17000.0, 18500.0,
                 14000.0, 10500.0, 6000.0, 2500.0, 1200.0, 800.0, 500.0, 420.0, 400.0),
    "CRP": (6.0, 5.0, 4.0, 40.0, 110.0, 180.0, 240.0, 255.0, 260.0, 120.0, 45.0, 20.0, 9.0, 6.0,
            5.0, 4.0, 3.5, 3.0),
    "FIBRINO": (340.0, 330.0, 320.0, 360.0, 300.0, 220.0, 170.0, 155.0, 140.0, 165.0, 200.0,
                260.0, 300.0, 310.0, 320.0, _N, _N, _N),
    "PSA": (48.5, 52.0, _N, _N, _N, _N, _N, _N, _N, _N, _N, _N, 18.0, _N, 2.1, 0.9, 0.6, 0.5),
})  # fmt: skip

SEED_LAB_VALUES: MappingProxyType[str, MappingProxyType[str, float]] = MappingProxyType({
    label: MappingProxyType({key: series[i] for key, series in _SERIES.items()
                             if series[i] is not None})
    for i, label in enumerate(_LABELS)
})  # fmt: skip
"""Seed-case lab values by draw label (visit code, or U4/U5/U6 for the unscheduled draws on
Day 4 16:00, Day 5 06:00, Day 6 06:00) and analyte key."""

SEED_KINETICS: MappingProxyType[str, tuple[float | None, float | None, float]] = MappingProxyType({
    "D0 PRE": (None, None, 800.0),
    "D0 1H": (120.0, 0.6, 800.0),
    "D1": (400.0, 1.2, 750.0),
    "D2": (1200.0, 3.5, 700.0),
    "D3": (5500.0, 12.0, 650.0),
    "D4": (14000.0, 35.0, 600.0),
    "D7": (62000.0, 160.0, 700.0),
    "D10": (40000.0, 95.0, 800.0),
    "D14": (21000.0, 48.0, 850.0),
    "D21": (9800.0, 20.0, 900.0),
    "D28": (6500.0, 12.0, 900.0),
    "M2": (1900.0, 3.1, 700.0),
    "M3": (750.0, 1.2, 600.0),
    "M6": (180.0, 0.6, 312.0),
})  # fmt: skip
"""Seed-case kinetics by nominal time point: (transgene copies/ug or None = BLQ, CAR+ cells/uL
or None = below LLOQ, DNA input ng)."""
