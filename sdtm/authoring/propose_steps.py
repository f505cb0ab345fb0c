"""Draft the steps of one block: which raw column fills which variable, by which algorithm.

Each step carries a ``confidence`` (0 to 1) and a ``rationale`` naming its evidence. The rules,
all generic:

- identifiers: STUDYID from a study column, USUBJID = STUDYID-SUBJID (``assign_concat``);
- a column whose name fits a variable (``sdtm.authoring.matching``) fills it; a variable with a
  codelist is recoded with ``assign_ct``, the confidence scaled by the share of rows the CT (and
  the study synonyms proposed here) can recode;
- dates: ``<stem>DAT`` (+ ``<stem>TIM``) fills the --DTC variable its stem names (``AESTDAT`` ->
  ``AESTDTC``, ``BRTHDAT`` -> ``BRTHDTC``; start/end/collection words), with the format the
  values fit; an ambiguous DD/MM vs MM/DD column gets a confidence of 0.2;
- a checkbox coded 1/0 for a Y/N variable proposes the study synonyms ``1 -> Y``, ``0 -> N``;
- ``--ENRTPT`` ONGOING when an "ongoing" box is ticked; ``--STAT`` NOT DONE where a status
  column says so; ``DTHFL`` Y where a death date is given; ``AGEU`` YEARS (AGE is derived in
  years);
- Findings test codes not in CT are recoded through their test names where those are CT terms,
  and ``--TEST`` follows from ``--TESTCD`` (same NCI C-code);
- a Req variable nothing fills gets a ``not_submitted`` step with a TODO reason (confidence 0),
  so the run reports the empty values; every raw column no step reads gets a ``not_submitted``
  candidate with a TODO reason.
"""

from __future__ import annotations

from sdtm.authoring.drafts import NOT_SUBMITTED_TARGET, TODO, BlockSource, Draft, clamp, flag_values
from sdtm.authoring.matching import IDENTIFIERS, Candidate, codelist_variables, name_candidates
from sdtm.authoring.names import RawNames, normalize_name
from sdtm.authoring.profile import ColumnProfile
from sdtm.authoring.propose_rules import (
    checkbox_drafts,
    date_drafts,
    early_conventions,
    late_conventions,
    test_code_drafts,
)
from sdtm.standards.model import Codelist, DomainSpec, Standards, VariableSpec
from sdtm.standards.search import MatchKind, TermIndex

VALUE_ONLY_EXCLUDED = ("NY",)
"""Codelists whose terms are too common to place a column by its values alone."""


class BlockBuilder:
    """Builds the draft steps of one block of one dataset."""

    def __init__(
        self,
        source: BlockSource,
        domain: DomainSpec,
        standards: Standards,
        index: TermIndex,
        names: RawNames,
        *,
        studyid: str,
        block_number: int,
        synonyms: dict[str, dict[str, str]],
    ) -> None:
        """Prepare a builder (``synonyms`` is shared by all blocks and filled in place)."""
        self.source = source
        self.domain = domain
        self.standards = standards
        self.index = index
        self.names = names
        self.studyid = studyid
        self.block_number = block_number
        self.synonyms = synonyms
        self.columns = dict(source.columns())
        self.used: set[str] = set()
        self.drafts: dict[str, list[Draft]] = {}

    def add(self, draft: Draft, *columns: str) -> None:
        """Keep a step; its raw columns count as read."""
        variable = self.domain.variable(draft.target)
        draft.order = variable.order if variable is not None else 10_000
        self.drafts.setdefault(draft.target, []).append(draft)
        self.used.update(c for c in columns if c)

    def filled(self, variable: str) -> bool:
        """True when a step already fills ``variable``."""
        return variable in self.drafts

    def build(self) -> list[Draft]:
        """Return every draft step of the block, in SDTMIG variable order."""
        self._identifiers()
        self._apply(date_drafts(self), only_new=True)
        self._apply(test_code_drafts(self))
        self._apply(early_conventions(self))
        self._by_name()
        self._apply(checkbox_drafts(self))
        self._apply(late_conventions(self))
        self._by_values()
        self._required_todo()
        steps = [d for drafts in self.drafts.values() for d in drafts]
        steps.sort(key=lambda d: d.order)
        return steps + self._unplaced()

    def _identifiers(self) -> None:
        study = self._named("STUDYID")
        subject = self._named("SUBJID")
        if study is not None:
            self.add(
                Draft(
                    "STUDYID",
                    "assign_no_ct",
                    clamp(study.strength),
                    study.how,
                    {"source": study.column},
                ),
                study.column,
            )
        else:
            self.add(
                Draft(
                    "STUDYID",
                    "hardcode_no_ct",
                    0.5,
                    f"no study column: the study identifier {self.studyid!r} is fixed",
                    {"value": self.studyid},
                )
            )
        if subject is None:
            return
        parts: dict[str, object] = {"separator": "-"}
        if study is not None:
            parts["sources"] = (study.column, subject.column)
        else:
            parts |= {"value": self.studyid, "sources": (subject.column,)}
        self.add(
            Draft(
                "USUBJID",
                "assign_concat",
                0.8,
                f"USUBJID = study identifier + '-' + subject identifier ({subject.column}), "
                "the usual convention; check the rule of the sponsor",
                parts,
            ),
            subject.column,
        )
        for variable in ("SUBJID", "SITEID"):
            if self.domain.variable(variable) is None:
                continue
            found = subject if variable == "SUBJID" else self._named(variable)
            if found is not None:
                self.add(
                    Draft(
                        variable,
                        "assign_no_ct",
                        clamp(found.strength),
                        found.how,
                        {"source": found.column},
                    ),
                    found.column,
                )

    def _named(self, variable: str) -> Candidate | None:
        """The strongest column for an identifier variable (any dataset has these)."""
        best: Candidate | None = None
        for name, column in self.columns.items():
            if not column.filled:
                continue
            norm = normalize_name(column.name)
            strength = 0.0
            if norm == variable:
                strength = 1.0
            elif norm in self.names.identifiers.get(variable, ()):
                strength = 0.85
            if strength and (best is None or strength > best.strength):
                how = (
                    f"column {name} is named as the variable"
                    if strength == 1.0
                    else f"{name} is a usual name of {variable}"
                )
                best = Candidate(variable, name, strength, how)
        return best

    def _candidates(self) -> list[Candidate]:
        out = []
        for name, column in self.columns.items():
            if name in self.used or not column.filled:
                continue
            for candidate in name_candidates(column.name, self.domain, self.names):
                if candidate.variable in IDENTIFIERS:
                    continue
                out.append(Candidate(candidate.variable, name, candidate.strength, candidate.how))
        order = {v.name: v.order for v in self.domain.variables}
        out.sort(key=lambda c: (-c.strength, order.get(c.variable, 0), c.column))
        return out

    def _by_name(self) -> None:
        taken: dict[str, float] = {}
        candidates = self._candidates()
        for candidate in candidates:
            if candidate.strength < 0.4 or self.filled(candidate.variable):
                continue
            if candidate.column in taken and min(taken[candidate.column], candidate.strength) < 0.8:
                continue  # one column feeds two variables only when both names say so clearly
            variable = self.domain.variable(candidate.variable)
            if variable is None:
                continue
            strength, how = candidate.strength, candidate.how
            rivals = sorted(
                {
                    c.column
                    for c in candidates
                    if c.variable == variable.name and c.column != candidate.column
                }
            )
            if rivals:
                strength = min(strength, 0.5)
                how += (
                    f"; other columns may hold {variable.name} too ({', '.join(rivals)}): "
                    "check which one it should carry"
                )
            self._assign(variable, candidate.column, strength, how)
            taken[candidate.column] = max(taken.get(candidate.column, 0.0), candidate.strength)

    def _by_values(self) -> None:
        for name, column in self.columns.items():
            if name in self.used or not column.filled:
                continue
            # Yes/No values fit every flag of a dataset: they alone never say which one.
            pairs = [
                (v, m)
                for v, m in codelist_variables(column, self.domain)
                if not self.filled(v) and m.short_name not in VALUE_ONLY_EXCLUDED
            ]
            if len(pairs) != 1:
                continue  # no variable, or several: the values alone do not decide
            variable, match = pairs[0]
            self._assign(
                self.domain.variable(variable),  # type: ignore[arg-type]
                name,
                0.6,
                f"the values of {name} are {match.short_name} terms ({match.share:.0%} of rows)",
            )

    def _assign(self, variable: VariableSpec, column: str, strength: float, how: str) -> None:
        profile = self.columns[column]
        if variable.codelists and variable.data_type == "Char":
            self._assign_ct(variable, column, profile, strength, how)
            return
        fields: dict[str, object] = {"source": column}
        rationale = how
        if profile.non_ascii and variable.data_type == "Char":
            fields["to_ascii"] = True
            rationale += (
                f"; {profile.non_ascii} value(s) hold non-ASCII characters, transliterated for "
                "XPT v5 (each change reported as MP0015)"
            )
        if (
            variable.data_type == "Num"
            and profile.numeric is not None
            and profile.numeric.share < 1
        ):
            strength *= 0.7
            rationale += (
                f"; not all values are numbers (e.g. {profile.numeric.non_numeric[0]!r}): "
                "MP0016 reports them"
            )
        self.add(Draft(variable.name, "assign_no_ct", clamp(strength), rationale, fields), column)

    def _unit_column(self, unit_variable: str) -> bool:
        """True when some column's name fits ``unit_variable`` (``EXDOSU``)."""
        unit = self.domain.variable(unit_variable)
        if unit is None:
            return False
        return any(
            c.variable == unit_variable and c.strength >= 0.4
            for column in self.columns.values()
            for c in name_candidates(column.name, self.domain, self.names)
        )

    def _codelist(self, variable: VariableSpec, profile: ColumnProfile) -> Codelist | None:
        choices = [
            self.standards.codelists[c] for c in variable.codelists if c in self.standards.codelists
        ]
        if not choices:
            return None
        shares = {m.code: m.share for m in profile.codelists}
        return max(choices, key=lambda c: (shares.get(c.code, 0.0), -choices.index(c)))

    def _assign_ct(
        self, variable: VariableSpec, column: str, profile: ColumnProfile, strength: float, how: str
    ) -> None:
        codelist = self._codelist(variable, profile)
        if codelist is None:
            self.add(
                Draft(variable.name, "assign_no_ct", clamp(strength), how, {"source": column}),
                column,
            )
            return
        total = profile.filled or 1
        recoded = 0
        study = self.synonyms.get(codelist.short_name, {})
        proposed: dict[str, str] = {}
        flags = flag_values(profile, self.names)
        # A checkbox coded 1/0 (also a column holding only 0): read as Y/N, to be confirmed.
        binary = bool(profile.counts) and set(profile.counts) <= {"0", "1"}
        unmatched = []
        for value, count in profile.counts.items():
            matches = {m.codelist: m for m in self.index.lookup(value)}
            match = matches.get(codelist.code)
            if value.upper() in {k.upper() for k in study} or (
                match is not None and match.kind != MatchKind.PREFERRED_TERM
            ):
                recoded += count
            elif match is not None:
                proposed[value] = match.term.submission_value
                recoded += count
            elif codelist.short_name == "NY" and binary and value in ("0", "1"):
                proposed[value] = "Y" if value == "1" else "N"
                recoded += count
            else:
                unmatched.append(value)
        share = recoded / total
        rationale = f"{how}; values recoded through {codelist.short_name} ({codelist.code})"
        confidence = strength * (0.5 + 0.5 * share)
        if proposed:
            self.synonyms.setdefault(codelist.short_name, {}).update(proposed)
            shown = ", ".join(f"{k} -> {v}" for k, v in sorted(proposed.items())[:6])
            rationale += f"; study synonyms proposed: {shown}"
            confidence = min(confidence, 0.6 if binary or flags else 0.7)
        if unmatched:
            confidence = min(confidence, 0.75)
            rationale += (
                f"; {len(unmatched)} value(s) not in the codelist (e.g. {unmatched[0]!r}): "
                "MP0010 will report them until synonyms.yaml maps them"
            )
        else:
            rationale += f" ({share:.0%} of rows)"
        self.add(
            Draft(
                variable.name,
                "assign_ct",
                clamp(confidence),
                rationale,
                {"source": column, "codelist": codelist.short_name},
            ),
            column,
        )

    def _apply(
        self, drafts: list[tuple[Draft, tuple[str, ...]]], *, only_new: bool = False
    ) -> None:
        """Keep drafts of a rule (``only_new``: not for a variable already filled)."""
        for draft, columns in drafts:
            if not (only_new and self.filled(draft.target)):
                self.add(draft, *columns)

    def _required_todo(self) -> None:
        """A TODO step for each Req or Exp variable nothing fills (derived ones excepted)."""
        visit = next(
            (
                name
                for name, column in self.columns.items()
                if name not in self.used and normalize_name(column.name) in self.names.visit
            ),
            None,
        )
        for variable in self.domain.variables:
            if variable.core not in ("Req", "Exp") or self.filled(variable.name):
                continue
            if self.names.is_derived(variable.name, self.domain.name):
                continue
            fields: dict[str, object] = {
                "reason": f"{TODO}: {variable.name} ({variable.label}) is {variable.core} and "
                "no raw column of this file was recognized for it; map it"
                + (" (the run reports it empty)" if variable.core == "Req" else ", or write why "
                   "it is not collected")
            }
            rationale = f"{variable.name} is {variable.core} but no raw column was recognized"
            if variable.name == "VISITNUM" and visit is not None:
                fields = {
                    "source": visit,
                    "reason": f"{TODO}: VISITNUM from the visit labels of {visit}: list the "
                    "planned visits with these labels in visits.yaml, then use assign_visit",
                }
                rationale = f"{visit} holds visit labels; VISITNUM needs the planned visits"
                self.used.add(visit)
            self.add(Draft(variable.name, "not_submitted", 0.0, rationale, fields))

    def _unplaced(self) -> list[Draft]:
        out = []
        for name, column in self.columns.items():
            if name in self.used:
                continue
            example = (
                f"e.g. {column.top[0][0]!r}, {column.fill_rate:.0%} filled"
                if column.top
                else "empty in this transfer"
            )
            out.append(
                Draft(
                    NOT_SUBMITTED_TARGET,
                    "not_submitted",
                    0.0,
                    f"no SDTM variable of {self.domain.name} recognized for {name}",
                    {
                        "source": name,
                        "reason": f"{TODO}: no variable recognized for {name} ({example}); map "
                        f"it, send it to SUPP{self.domain.name} with split_to_supp, or write why "
                        "it is not submitted",
                    },
                    order=20_000,
                )
            )
        return out
