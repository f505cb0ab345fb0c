"""Look values up in the CT package: which codelists a raw column's values belong to, and search.

Two questions a mapper asks of the controlled terminology:

- "Which codelist do the values of this column come from?" (:func:`match_codelists`): each
  distinct value is looked up, case-insensitively, among the submission values, the CDISC
  synonyms and the NCI preferred terms of every codelist, and the share of rows matched is
  reported per codelist and per kind of match. ``assign_ct`` accepts the first three kinds
  (submission value in any case, CDISC synonym); a preferred-term match needs a study synonym.
- "Which term means this text?" (:func:`search_ct`, ``sdtm ct search``): a case-insensitive
  search over submission values, synonyms, preferred terms and C-codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from sdtm.standards.model import Codelist, Standards, Term


class MatchKind(StrEnum):
    """How a raw value matched a term, strongest first."""

    EXACT = "exact"
    """The value is the submission value as written."""
    CASE_INSENSITIVE = "case-insensitive"
    """The value is the submission value in another case (``assign_ct`` accepts it)."""
    SYNONYM = "synonym"
    """The value is a CDISC synonym of the term, in any case (``assign_ct`` accepts it)."""
    PREFERRED_TERM = "preferred-term"
    """The value is the NCI preferred term (``assign_ct`` needs a study synonym for it)."""


_RANK = MappingProxyType({kind: rank for rank, kind in enumerate(MatchKind)})


@dataclass(frozen=True, slots=True)
class TermMatch:
    """One term a value matched."""

    codelist: str
    """C-code of the codelist."""
    term: Term
    """The term."""
    kind: MatchKind
    """How the value matched."""


@dataclass(frozen=True, slots=True)
class TermIndex:
    """Every submission value, CDISC synonym and preferred term of a CT package, upper-cased."""

    entries: Mapping[str, tuple[tuple[str, Term, str], ...]]
    """Upper-case text -> (codelist C-code, term, ``submission``/``synonym``/``preferred``)."""
    codelists: Mapping[str, Codelist]
    """Codelists by C-code."""

    @classmethod
    def build(cls, codelists: Iterable[Codelist]) -> TermIndex:
        """Index the terms of ``codelists``.

        Args:
            codelists: The codelists of a CT package.

        Returns:
            The index.
        """
        entries: dict[str, list[tuple[str, Term, str]]] = {}
        by_code: dict[str, Codelist] = {}
        for codelist in codelists:
            by_code[codelist.code] = codelist
            for term in codelist.terms:
                seen: set[str] = set()
                texts = [
                    (term.submission_value, "submission"),
                    *((s, "synonym") for s in term.synonyms),
                    (term.preferred_term, "preferred"),
                ]
                for text, what in texts:
                    key = text.strip().upper()
                    if key and key not in seen:
                        seen.add(key)
                        entries.setdefault(key, []).append((codelist.code, term, what))
        return cls(
            MappingProxyType({k: tuple(v) for k, v in entries.items()}),
            MappingProxyType(by_code),
        )

    def lookup(self, value: str) -> tuple[TermMatch, ...]:
        """Return every term ``value`` matches, the strongest match per codelist.

        Args:
            value: A raw value (surrounding blanks ignored).

        Returns:
            One match per codelist the value belongs to.
        """
        text = value.strip()
        best: dict[str, TermMatch] = {}
        for code, term, what in self.entries.get(text.upper(), ()):
            if what == "submission":
                kind = (
                    MatchKind.EXACT if text == term.submission_value else MatchKind.CASE_INSENSITIVE
                )
            elif what == "synonym":
                kind = MatchKind.SYNONYM
            else:
                kind = MatchKind.PREFERRED_TERM
            current = best.get(code)
            if current is None or _RANK[kind] < _RANK[current.kind]:
                best[code] = TermMatch(code, term, kind)
        return tuple(best.values())


@dataclass(frozen=True, slots=True)
class CodelistMatch:
    """How well the values of one column fit one codelist."""

    code: str
    """C-code of the codelist."""
    short_name: str
    """Submission value of the codelist (``NY``)."""
    extensible: bool
    """Whether sponsors may add terms."""
    share: float
    """Share of the non-blank rows whose value matched a term (any kind)."""
    shares: Mapping[str, float]
    """Share of the non-blank rows per kind of match (``MatchKind`` value -> share)."""
    unmatched: tuple[str, ...]
    """Distinct values that matched no term, most frequent first (at most 5)."""
    mapped: Mapping[str, str]
    """Raw value -> submission value, for the distinct values that matched."""

    @property
    def usable_share(self) -> float:
        """Share of rows ``assign_ct`` recodes without a study synonym (not preferred terms)."""
        return self.share - self.shares.get(MatchKind.PREFERRED_TERM.value, 0.0)


def match_codelists(
    index: TermIndex,
    counts: Mapping[str, int],
    *,
    min_share: float = 0.5,
    kinds: tuple[MatchKind, ...] = tuple(MatchKind),
) -> tuple[CodelistMatch, ...]:
    """Return the codelists that the values of a column match, best first.

    Args:
        index: The CT package's term index.
        counts: Distinct non-blank value -> number of rows holding it.
        min_share: Smallest share of rows a codelist must match to be returned.
        kinds: Kinds of match counted (e.g. only submission values for a column of numbers,
            whose digits are CDISC synonyms of many unrelated terms).

    Returns:
        Matches with ``share >= min_share``, ordered by share (then by how exact the matches
        are, then by short name), so that the order does not depend on dictionary order.
    """
    total = sum(counts.values())
    if total == 0:
        return ()
    per_codelist: dict[str, dict[str, int]] = {}
    mapped: dict[str, dict[str, str]] = {}
    for value, count in counts.items():
        for match in index.lookup(value):
            if match.kind not in kinds:
                continue
            found = per_codelist.setdefault(match.codelist, {})
            found[match.kind.value] = found.get(match.kind.value, 0) + count
            mapped.setdefault(match.codelist, {})[value] = match.term.submission_value
    out = []
    ordered_values = sorted(counts, key=lambda v: (-counts[v], v))
    for code, found in per_codelist.items():
        matched = sum(found.values())
        share = matched / total
        if share < min_share:
            continue
        codelist = index.codelists[code]
        out.append(
            CodelistMatch(
                code=code,
                short_name=codelist.short_name,
                extensible=codelist.extensible,
                share=share,
                shares=MappingProxyType(
                    {kind.value: found[kind.value] / total for kind in MatchKind if kind in found}
                ),
                unmatched=tuple(v for v in ordered_values if v not in mapped[code])[:5],
                mapped=MappingProxyType(dict(sorted(mapped[code].items()))),
            )
        )
    exactness = {
        m.code: sum(m.shares.get(k.value, 0.0) * (len(MatchKind) - _RANK[k]) for k in MatchKind)
        for m in out
    }
    return tuple(sorted(out, key=lambda m: (-m.share, -exactness[m.code], m.short_name)))


@dataclass(frozen=True, slots=True)
class TermHit:
    """One term found by :func:`search_ct`."""

    codelist: Codelist
    """The codelist holding the term."""
    term: Term
    """The term."""
    matched: str
    """What matched: ``submission value``, ``synonym``, ``preferred term`` or ``C-code``."""
    exact: bool
    """True when the whole text matched (not only a part of it)."""


def resolve_codelists(standards: Standards, name: str) -> tuple[Codelist, ...]:
    """Return the codelists named by C-code, short name or name (case-insensitive).

    Args:
        standards: Standards with the CT package.
        name: ``C66742``, ``NY`` or ``No Yes Response``.

    Returns:
        The codelists of that name (usually one; none when unknown).
    """
    wanted = name.strip().upper()
    return tuple(
        c
        for c in sorted(standards.codelists.values(), key=lambda c: c.short_name)
        if wanted in (c.code.upper(), c.short_name.upper(), c.name.upper())
    )


def search_ct(
    standards: Standards, text: str, *, codelist: str | None = None
) -> tuple[TermHit, ...]:
    """Find the terms whose submission value, synonym, preferred term or C-code contains text.

    Args:
        standards: Standards with the CT package.
        text: What to look for (case-insensitive; a part of the word is enough; empty lists
            every term of ``codelist``).
        codelist: Only search this codelist (C-code, short name or name).

    Returns:
        The hits: whole matches first, then partial ones; within each, by codelist short name
        and submission value.
    """
    wanted = text.strip().upper()
    if codelist is not None:
        pool = resolve_codelists(standards, codelist)
    else:
        pool = tuple(sorted(standards.codelists.values(), key=lambda c: c.short_name))
    hits: list[TermHit] = []
    for candidate in pool:
        for term in candidate.terms:
            fields = (
                ("submission value", (term.submission_value,)),
                ("synonym", term.synonyms),
                ("preferred term", (term.preferred_term,)),
                ("C-code", (term.code,)),
            )
            best: TermHit | None = None
            for what, texts in fields:
                for item in texts:
                    upper = item.upper()
                    if wanted not in upper:  # an empty text lists the whole codelist
                        continue
                    hit = TermHit(candidate, term, what, upper == wanted)
                    if best is None or (hit.exact and not best.exact):
                        best = hit
            if best is not None:
                hits.append(best)
    return tuple(
        sorted(
            hits,
            key=lambda h: (not h.exact, h.codelist.short_name, h.term.submission_value),
        )
    )
