"""The proposal rules that are more than a name match: dates, test codes, SDTM conventions.

Each function takes the ``BlockBuilder`` of one block and returns draft steps with the raw
columns they read. Every rule is a general SDTM or CDASH convention, cited in its rationale.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sdtm.authoring.drafts import (
    AMBIGUOUS_DATE_CONFIDENCE,
    NOT_SUBMITTED_TARGET,
    Draft,
    clamp,
    flag_values,
    loose_text,
    term_by_code,
)
from sdtm.authoring.matching import name_candidates
from sdtm.authoring.names import normalize_name
from sdtm.authoring.profile import ColumnProfile
from sdtm.standards.model import Codelist, Term
from sdtm.standards.search import MatchKind

if TYPE_CHECKING:
    from sdtm.authoring.propose_steps import BlockBuilder

Drafts = list[tuple[Draft, tuple[str, ...]]]


def _strip(norm: str, endings: tuple[str, ...]) -> str | None:
    """``norm`` without the longest of ``endings`` it ends with, or ``None``."""
    for ending in sorted(endings, key=len, reverse=True):
        if norm.endswith(ending) and len(norm) > len(ending):
            return norm[: -len(ending)]
    return None


def _role(stem: str, b: BlockBuilder) -> str:
    """``start``, ``end``, ``collection``, ``other`` or ``plain`` from a date/time stem."""
    names = b.names
    rest = stem[len(b.domain.name) :] if stem.startswith(b.domain.name) else stem
    if any(rest.startswith(word) or rest.endswith(word) for word in names.other_dates):
        return "other"
    if _strip(rest, names.start) is not None or rest in names.start:
        return "start"
    if _strip(rest, names.end) is not None or rest in names.end:
        return "end"
    if any(rest.endswith(word) or rest.startswith(word) for word in names.collection):
        return "collection"
    return "plain"


def _target(stem: str, role: str, b: BlockBuilder) -> tuple[str | None, str]:
    """The --DTC variable a date stem names, and how."""
    domain = b.domain
    prefix = domain.name
    named = b.names.date_stem_variable(stem, prefix)
    for name in (stem + "DTC", prefix + stem + "DTC", named):
        if name is None or domain.variable(name) is None:
            continue
        if not b.names.is_derived(name, prefix):
            return name, "direct"
    by_role = {
        "start": (prefix + "STDTC", prefix + "DTC"),
        "end": (prefix + "ENDTC",),
        "collection": (prefix + "DTC", prefix + "STDTC"),
        "plain": (prefix + "DTC",)
        if domain.observation_class == "Findings"
        else (prefix + "STDTC",),
    }.get(role, ())
    for name in by_role:
        if domain.variable(name) is not None and domain.name != "DM":
            return name, role
    return None, role


def date_drafts(b: BlockBuilder) -> Drafts:
    """Date (and time) columns -> ``assign_datetime`` steps for the --DTC variables they name.

    ``<stem>DAT`` pairs with ``<stem>TIM``. The stem names the variable (``AESTDAT`` ->
    ``AESTDTC``, ``BRTHDAT`` -> ``BRTHDTC``) or its role does (start, end, collection words);
    a file with one plain date and start/end times (a one-day infusion) gives both --STDTC
    and --ENDTC from that date.
    """
    names = b.names
    dates: list[tuple[str, ColumnProfile, str]] = []
    times: dict[str, tuple[str, str]] = {}
    for name, column in b.columns.items():
        if name in b.used or not column.filled:
            continue
        norm = normalize_name(column.name)
        if column.kind in ("date", "datetime") and column.date is not None:
            dates.append((name, column, _strip(norm, names.date_suffixes) or norm))
        elif column.kind == "time":
            stem = _strip(norm, names.time_suffixes)
            if stem is not None:
                times[stem] = (name, _role(stem, b))
    plain = [d for d in dates if _role(d[2], b) == "plain"]
    out: list[tuple[int, Draft, tuple[str, ...]]] = []
    for name, column, stem in dates:
        role = _role(stem, b)
        target, how = _target(stem, role, b)
        if role == "other" and how != "direct":
            continue
        time = times.get(stem)
        pairs: list[tuple[str | None, str | None, str]] = [(target, time[0] if time else None, how)]
        if target is not None and time is None and role == "plain" and len(plain) == 1:
            starts = [t for t in times.values() if t[1] == "start"]
            ends = [t for t in times.values() if t[1] == "end"]
            end_target = b.domain.name + "ENDTC"
            if len(starts) == 1 and len(ends) == 1 and b.domain.variable(end_target) is not None:
                pairs = [(target, starts[0][0], "one-day"), (end_target, ends[0][0], "one-day")]
        for variable, time_column, why in pairs:
            if variable is None:
                continue
            draft = _date_draft(variable, name, column, time_column, why, stem)
            rank = {"direct": 0, "start": 1, "end": 1, "collection": 1}.get(why, 2)
            out.append((rank, draft, (name, time_column or "")))
    out.sort(key=lambda item: item[0])
    chosen: Drafts = []
    seen: set[str] = set()
    for _, draft, columns in out:
        if draft.target in seen:
            continue
        seen.add(draft.target)
        chosen.append((draft, columns))
    return chosen


def _date_draft(
    variable: str, name: str, column: ColumnProfile, time: str | None, why: str, stem: str
) -> Draft:
    date = column.date
    assert date is not None
    fmt = date.chosen or date.formats[0]
    evidence = {
        "direct": f"the stem {stem} of {name} names {variable}",
        "start": f"{name} is a start date",
        "end": f"{name} is an end date",
        "collection": f"{name} is a collection date",
        "plain": f"{name} is the date of the file",
        "one-day": f"{name} is the one date of the file, with start and end times",
    }[why]
    confidence = {"direct": 0.9, "start": 0.8, "end": 0.8, "collection": 0.8}.get(why, 0.6)
    rationale = f"{evidence}; values fit {fmt}"
    if date.partial:
        rationale += f" ({date.partial} partial date(s) kept at their precision)"
    if date.unreadable:
        rationale += f"; {len(date.unreadable)} value(s) fit no format (RD0102 reports them)"
        confidence *= 0.8
    if date.ambiguous:
        rationale = (
            f"AMBIGUOUS: every value of {name} fits DD/MM/YYYY and MM/DD/YYYY; {fmt} is only a "
            f"placeholder, ask the data provider ({evidence})"
        )
        confidence = AMBIGUOUS_DATE_CONFIDENCE
    fields: dict[str, object] = {"date": name, "format": fmt}
    if time is not None:
        fields["time"] = time
        rationale += f"; time from {time}"
    return Draft(variable, "assign_datetime", clamp(confidence), rationale, fields)


def _resolve_code(
    code: str, label: str | None, b: BlockBuilder, testcd: Codelist, test: Codelist | None
) -> tuple[Term | None, str]:
    """The --TESTCD term a vendor code (and its test name) stands for, and how it was found."""
    accepted = (MatchKind.EXACT, MatchKind.CASE_INSENSITIVE, MatchKind.SYNONYM)
    for match in b.index.lookup(code):
        if match.codelist == testcd.code and match.kind in accepted:
            return match.term, "ct"
    loose = {loose_text(t.submission_value): t for t in testcd.terms}
    if loose_text(code) in loose:
        return loose[
            loose_text(code)
        ], f"{code} spelled like {loose[loose_text(code)].submission_value}"
    if label is None:
        return None, ""
    for text in (label,):
        for match in b.index.lookup(text):
            if match.codelist == testcd.code:
                return match.term, f"its name {label!r} is the code {match.term.submission_value}"
            if test is not None and match.codelist == test.code:
                term = term_by_code(testcd, match.term.code)
                if term is not None:
                    return term, f"its name {label!r} is the CT test {match.term.submission_value}"
        if test is not None:
            wanted = loose_text(text)
            for term in test.terms:
                spellings = (term.submission_value, term.preferred_term, *term.synonyms)
                if any(loose_text(s) == wanted for s in spellings if s):
                    paired = term_by_code(testcd, term.code)
                    if paired is not None:
                        return paired, f"its name {label!r} is the CT test {term.submission_value}"
    return None, ""


def test_code_drafts(b: BlockBuilder) -> Drafts:
    """Findings: --TESTCD from the code column, --TEST from --TESTCD.

    Vendor codes that are not CT terms are recoded through their test names where those are
    CT tests (a study synonym is proposed for each); --TEST is the CT term with the same NCI
    C-code as --TESTCD (a study synonym map keyed by --TESTCD, as ``assign_ct`` reads it).
    """
    domain = b.domain
    if domain.observation_class != "Findings":
        return []
    prefix = domain.name
    best: dict[str, tuple[float, str]] = {}
    for name, column in b.columns.items():
        if name in b.used or not column.filled:
            continue
        for candidate in name_candidates(column.name, domain, b.names):
            if candidate.variable in (prefix + "TESTCD", prefix + "TEST"):
                current = best.get(candidate.variable)
                if current is None or candidate.strength > current[0]:
                    best[candidate.variable] = (candidate.strength, name)
    code = best.get(prefix + "TESTCD")
    label = best.get(prefix + "TEST")
    testcd_var = domain.variable(prefix + "TESTCD")
    test_var = domain.variable(prefix + "TEST")
    if code is None or testcd_var is None or test_var is None:
        return []
    codelists = b.standards.codelists
    testcd = codelists.get(testcd_var.codelists[0]) if testcd_var.codelists else None
    test = codelists.get(test_var.codelists[0]) if test_var.codelists else None
    if testcd is None:
        return []
    frame = b.source.frames.get(b.source.file.path)
    pairs: dict[tuple[str, str | None], int] = {}
    if frame is not None:
        columns = [code[1]] + ([label[1]] if label else [])
        for key, count in frame[columns].astype("string").fillna("").value_counts().items():
            values = key if isinstance(key, tuple) else (key,)
            code_value = str(values[0]).strip()
            if code_value:
                name_value = str(values[1]).strip() if len(values) > 1 else None
                pairs[(code_value, name_value)] = pairs.get((code_value, name_value), 0) + count
    total = sum(pairs.values()) or 1
    resolved: dict[str, str] = {}
    via: list[str] = []
    unresolved: list[str] = []
    rows = 0
    for (value, name_value), count in sorted(pairs.items()):
        term, how = _resolve_code(value, name_value, b, testcd, test)
        if term is None:
            unresolved.append(value)
            continue
        rows += count
        if how != "ct":
            resolved[value] = term.submission_value
            via.append(f"{value} -> {term.submission_value} ({how})")
        b.synonyms.setdefault("_codes", {})[term.submission_value] = term.code
    share = rows / total
    rationale = f"{code[1]} holds the test codes; recoded through {testcd.short_name}"
    confidence = code[0] * (0.5 + 0.5 * share)
    if resolved:
        b.synonyms.setdefault(testcd.short_name, {}).update(resolved)
        rationale += "; study synonyms proposed: " + "; ".join(via[:8])
        confidence = min(confidence, 0.7)
    if unresolved:
        unique = sorted(set(unresolved))
        rationale += (
            f"; {len(unique)} code(s) not recognized ({', '.join(unique[:8])}): add them to "
            f"synonyms.yaml under {testcd.short_name} (MP0010 reports them until then)"
        )
    drafts: Drafts = [
        (
            Draft(
                testcd_var.name,
                "assign_ct",
                clamp(confidence),
                rationale,
                {"source": code[1], "codelist": testcd.short_name},
            ),
            (code[1],),
        )
    ]
    codes = b.synonyms.pop("_codes", {})
    if test is not None:
        paired = {
            cd: t.submission_value
            for cd, c_code in sorted(codes.items())
            if (t := term_by_code(test, c_code)) is not None
        }
        b.synonyms.setdefault(test.short_name, {}).update(paired)
        drafts.append(
            (
                Draft(
                    test_var.name,
                    "assign_ct",
                    clamp(min(confidence, 0.8)),
                    f"{test_var.name} is the {test.short_name} term paired with "
                    f"{testcd_var.name} (same NCI C-code); study synonyms keyed by "
                    f"{testcd_var.name} proposed for {len(paired)} code(s)",
                    {"source": testcd_var.name, "codelist": test.short_name},
                ),
                (),
            )
        )
        if label is not None:
            drafts.append(
                (
                    Draft(
                        NOT_SUBMITTED_TARGET,
                        "not_submitted",
                        0.6,
                        f"{label[1]} holds the test names of the vendor",
                        {
                            "source": label[1],
                            "reason": f"vendor test name: {test_var.name} comes from the CT "
                            f"term of {testcd_var.name}",
                        },
                        order=20_000,
                    ),
                    (label[1],),
                )
            )
    return drafts


def early_conventions(b: BlockBuilder) -> Drafts:
    """--STAT NOT DONE where a status column says so; --SPID of a second file of a dataset."""
    domain = b.domain
    prefix = domain.name
    out: Drafts = []
    stat = domain.variable(prefix + "STAT")
    for name, column in b.columns.items():
        if stat is None or name in b.used or not column.filled:
            continue
        if not any(c.variable == stat.name for c in name_candidates(column.name, domain, b.names)):
            continue
        done = [v for v in column.counts if v.strip().upper() == "NOT DONE"]
        if done:
            out.append(
                (
                    Draft(
                        stat.name,
                        "hardcode_ct",
                        0.7,
                        f"{name} says NOT DONE on {column.counts[done[0]]} row(s); its other "
                        f"values ({', '.join(v for v in column.counts if v not in done)[:60]}) "
                        "are not completion statuses",
                        {
                            "value": "NOT DONE",
                            "codelist": "ND",
                            "when": {"column": name, "op": "eq", "value": done[0]},
                        },
                    ),
                    (name,),
                )
            )
            break
    if b.block_number > 0:
        spid = prefix + "SPID"
        for name, column in b.columns.items():
            if name in b.used or not column.filled or domain.variable(spid) is None:
                continue
            if any(
                c.variable == spid and c.strength >= 0.8
                for c in name_candidates(column.name, domain, b.names)
            ):
                stem = normalize_name(b.source.file.path.rsplit("/", 1)[-1].rsplit(".", 1)[0])
                out.append(
                    (
                        Draft(
                            spid,
                            "assign_concat",
                            0.5,
                            f"several files feed {prefix}: the line number {name} is prefixed "
                            f"with the name {stem} of this file so that {spid} stays unique per "
                            "subject",
                            {"value": stem, "sources": (name,), "separator": "-"},
                        ),
                        (name,),
                    )
                )
                break
    return out


def late_conventions(b: BlockBuilder) -> Drafts:
    """--ENRTPT ONGOING from an "ongoing" box; DM DTHFL from a death date; DM AGEU."""
    domain = b.domain
    prefix = domain.name
    out: Drafts = []
    enrtpt = domain.variable(prefix + "ENRTPT")
    if enrtpt is not None and not b.filled(enrtpt.name):
        for name, column in b.columns.items():
            norm = normalize_name(column.name)
            ticked = flag_values(column, b.names)
            if name in b.used or not ticked:
                continue
            if any(norm.endswith(word) for word in b.names.ongoing):
                when: dict[str, object] = (
                    {"column": name, "op": "eq", "value": ticked[0]}
                    if len(ticked) == 1
                    else {"column": name, "op": "in", "value": ticked}
                )
                out.append(
                    (
                        Draft(
                            enrtpt.name,
                            "hardcode_ct",
                            0.6,
                            f"{name} is an 'ongoing' box (CDASH --ONGO): ticked means the "
                            f"event is ongoing at the reference time point; set "
                            f"{prefix}ENTPT to that time point (e.g. the data cut-off)",
                            {"value": "ONGOING", "codelist": "STENRF", "when": when},
                        ),
                        (name,),
                    )
                )
                break
    if domain.name == "DM":
        death = b.drafts.get("DTHDTC")
        if death and not b.filled("DTHFL"):
            column = str(death[0].fields["date"])
            out.append(
                (
                    Draft(
                        "DTHFL",
                        "hardcode_ct",
                        0.6,
                        f"SDTMIG DM: DTHFL is Y when the subject died ({column} holds a death "
                        "date)",
                        {
                            "value": "Y",
                            "codelist": "NY",
                            "when": {"column": column, "op": "not_null"},
                        },
                    ),
                    (),
                )
            )
        if b.filled("BRTHDTC") and not b.filled("AGEU"):
            out.append(
                (
                    Draft(
                        "AGEU",
                        "hardcode_ct",
                        0.6,
                        "AGE is derived from BRTHDTC in years (docs/derive.md)",
                        {"value": "YEARS", "codelist": "AGEU"},
                    ),
                    (),
                )
            )
    return out


_STOP_WORDS = frozenset({"OR", "OTHER", "AND", "OF", "THE"})


def _abbreviates(code: str, words: list[str]) -> bool:
    """True when ``code`` is made of leading parts of consecutive ``words`` (AM + IND)."""
    if not code:
        return True
    if not words:
        return False
    first = words[0]
    return any(
        code.startswith(first[:n]) and _abbreviates(code[n:], words[1:])
        for n in range(min(len(first), len(code)), 0, -1)
    )


def _term_for_suffix(suffix: str, terms: tuple[Term, ...]) -> Term | None:
    """The one term a checkbox suffix names: a word, initials or word starts of the term."""
    found = []
    for term in terms:
        words = re.findall(r"[A-Z]+", term.submission_value.upper())
        content = [w for w in words if w not in _STOP_WORDS]
        if suffix in words or _abbreviates(suffix, content) or _abbreviates(suffix, words):
            found.append(term)
    return found[0] if len(found) == 1 else None


def checkbox_drafts(b: BlockBuilder) -> Drafts:
    """A group of ticked boxes ``<VAR>_<term>`` for a CT variable (CDASH RACE checkboxes).

    One box ticked gives its term; several give ``MULTIPLE`` (SDTMIG 3.4 DM assumptions on
    multiple races; the same convention holds for other such variables), with each ticked term
    in SUPP-- as ``<VAR>1``, ``<VAR>2``, ... (``split_to_supp`` with a numbered target). A box
    whose suffix names no single term stays a TODO.
    """
    out: Drafts = []
    for variable in b.domain.variables:
        if not variable.codelists or b.filled(variable.name) or variable.data_type != "Char":
            continue
        codelist = b.standards.codelists.get(variable.codelists[0])
        if codelist is None:
            continue
        boxes: list[tuple[str, str, Term]] = []
        for name, column in b.columns.items():
            norm = normalize_name(column.name)
            ticked = flag_values(column, b.names)
            suffix = norm[len(variable.name) :]
            if name in b.used or not norm.startswith(variable.name) or not suffix or not ticked:
                continue
            term = _term_for_suffix(suffix, codelist.terms)
            if term is not None:
                boxes.append((name, ticked[0], term))
        if len(boxes) < 2:
            continue
        columns = tuple(name for name, _, _ in boxes)
        listed = ", ".join(f"{n} = {t.submission_value}" for n, _, t in boxes)
        why = f"checkbox columns of {variable.name} ({listed})"
        for name, ticked, term in boxes:
            others = [
                {"column": other, "op": "ne", "value": value}
                for other, value, _ in boxes
                if other != name
            ]
            out.append(
                (
                    Draft(variable.name, "hardcode_ct", 0.6,
                          f"{why}: only {name} ticked gives {term.submission_value}",
                          {"value": term.submission_value, "codelist": codelist.short_name,
                           "when": {"all": [{"column": name, "op": "eq", "value": ticked},
                                            *others]}}),
                    columns,
                )
            )
        out.append(
            (
                Draft(variable.name, "hardcode_no_ct", 0.6,
                      f"{why}: several ticked give MULTIPLE, the races go to SUPP{b.domain.name}",
                      {"value": "MULTIPLE",
                       "when": {"any": [{"column": n, "op": "eq", "value": v}
                                        for n, v, _ in boxes]}}),
                    columns,
            )
        )
        for name, ticked, term in boxes:
            out.append(
                (
                    Draft(variable.name + "#", "split_to_supp", 0.6,
                          f"{why}: with MULTIPLE, each ticked one is kept in SUPP{b.domain.name}",
                          {"value": term.submission_value, "qlabel": variable.label,
                           "qorig": "CRF",
                           "when": {"all": [{"column": variable.name, "op": "eq",
                                             "value": "MULTIPLE"},
                                            {"column": name, "op": "eq", "value": ticked}]}},
                          order=15_000),
                    columns,
                )
            )
    return out
