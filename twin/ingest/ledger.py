"""The build's account of every feature it reads: each one is either in the scene or in a
warning that says why it is not.

Readers drop what they cannot read (a ring that does not close, nodes outside the extract) and
say so in warnings whose ``not_drawn`` counts those features; everything they return is
registered here with :meth:`FeatureLedger.feature`. The build links each entity it makes to the
features it came from and records why a feature is left out where that happens. At the end,
:meth:`FeatureLedger.finish` walks the entities that are really in the scene (so a footprint
replaced later by a BIM model, or a part folded into its outline, is counted right) and writes
the warnings: for every source, read = drawn + not drawn, and ``twin info`` prints both.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from twin.scene.entities import Warning

GROUP_LIST_MAX = 5
"""Feature ids spelled out in a grouped warning's text (``features`` has them all)."""


def group_warning(
    source: str, fids: list[str], reason: str, action: str, not_drawn: bool = True
) -> Warning:
    """One warning for several features with the same reason (the first few named in its text,
    all in ``features``); a plain warning naming the feature when there is one."""
    n = len(fids) if not_drawn else 0
    if len(fids) == 1:
        return Warning(source, fids[0], reason, action, not_drawn=n)
    shown = ", ".join(fids[:GROUP_LIST_MAX]) + (
        f" and {len(fids) - GROUP_LIST_MAX} more" if len(fids) > GROUP_LIST_MAX else ""
    )
    return Warning(
        source, f"{len(fids)} features: {shown}", reason, action, not_drawn=n, features=list(fids)
    )


@dataclass
class _Skip:
    reason: str
    action: str
    group: bool
    detail: str | None


@dataclass
class SourceCount:
    """Features of one source: read = drawn + not_drawn."""

    read: int = 0
    drawn: int = 0
    not_drawn: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"read": self.read, "drawn": self.drawn, "not_drawn": self.not_drawn}


@dataclass
class FeatureLedger:
    sources: dict[str, SourceCount] = field(default_factory=dict)
    _refs: list[tuple[str, str]] = field(default_factory=list)  # ref -> (source, feature id)
    _skips: dict[int, _Skip] = field(default_factory=dict)
    _notes: dict[int, list[str]] = field(default_factory=dict)
    _links: list[tuple[Any, int]] = field(default_factory=list)
    _by_entity: dict[int, list[int]] = field(default_factory=dict)
    _read_warnings: dict[str, int] = field(default_factory=dict)

    # -- what readers and the build report -------------------------------------------------
    def source(self, name: str, read: int, warnings: list[Warning]) -> None:
        """A source that read ``read`` features; ``warnings`` are its reader's, whose
        ``not_drawn`` account for the features it could not return."""
        self.sources.setdefault(name, SourceCount()).read += read
        self._read_warnings[name] = self._read_warnings.get(name, 0) + sum(
            w.not_drawn for w in warnings
        )

    def feature(self, source: str, fid: str) -> int:
        """Register a feature a reader returned; returns its reference."""
        self._refs.append((source, fid))
        return len(self._refs) - 1

    def skip(
        self,
        ref: int,
        reason: str,
        action: str = "skipped",
        *,
        group: bool = False,
        detail: str | None = None,
    ) -> None:
        """``ref`` is not drawn, because ``reason``. Grouped reasons (a policy: outside the clip,
        not a kind the scene draws) become one warning per source and reason."""
        self._skips[ref] = _Skip(reason, action, group, detail)

    def note(self, ref: int, text: str) -> None:
        """Something done to ``ref`` (a repair) worth a warning if it is drawn, and part of the
        reason if it is not."""
        self._notes.setdefault(ref, []).append(text)

    def link(self, entity: Any, ref: int) -> None:
        """``entity`` (a building, surface or device) was made from feature ``ref``."""
        self._links.append((entity, ref))  # holds the entity, so its id() stays its own
        self._by_entity.setdefault(id(entity), []).append(ref)

    def refs_of(self, entity: Any) -> list[int]:
        return list(self._by_entity.get(id(entity), []))

    # -- the account --------------------------------------------------------------------
    def finish(self, entities: list[Any]) -> list[Warning]:
        """Warnings for every feature not drawn (and notes of drawn ones); fills ``sources``."""
        alive = {id(e) for e in entities}
        drawn = {r for e, r in self._links if id(e) in alive}
        out: list[Warning] = []
        groups: dict[tuple[str, str, str], list[int]] = {}
        details: dict[tuple[str, str, str], Counter[str]] = {}
        for ref, (source, fid) in enumerate(self._refs):
            count = self.sources.setdefault(source, SourceCount())
            notes = "; ".join(self._notes.get(ref, []))
            if ref in drawn:
                count.drawn += 1
                if notes:
                    out.append(Warning(source, fid, notes, "repaired"))
                continue
            count.not_drawn += 1
            skip = self._skips.get(ref) or _Skip(
                "not drawn for a reason the build did not record (a bug: please report it)",
                "skipped",
                True,
                None,
            )
            reason = f"{notes}, then {skip.reason}" if notes else skip.reason
            if not skip.group:
                out.append(Warning(source, fid, reason, skip.action, not_drawn=1))
                continue
            key = (source, reason, skip.action)
            groups.setdefault(key, []).append(ref)
            if skip.detail:
                details.setdefault(key, Counter())[skip.detail] += 1
        for (source, reason, action), refs in groups.items():
            c = details.get((source, reason, action))
            if c is not None and len(refs) > 1:
                reason += (
                    " ("
                    + ", ".join(f"{k} {n}" for k, n in c.most_common(6))
                    + (", ..." if len(c) > 6 else "")
                    + ")"
                )
            out.append(group_warning(source, [self._refs[r][1] for r in refs], reason, action))
        for source, count in self.sources.items():
            count.not_drawn += self._read_warnings.get(source, 0)
            lost = count.read - count.drawn - count.not_drawn
            if lost > 0:  # a reader counted features it neither returned nor warned about
                out.append(
                    Warning(
                        source,
                        f"{lost} feature(s)",
                        "lost while reading for a reason the reader did "
                        "not record (a bug: please report it)",
                        "skipped",
                        not_drawn=lost,
                    )
                )
                count.not_drawn += lost
        return out

    def counts(self) -> dict[str, dict[str, int]]:
        """Source -> read / drawn / not_drawn, and ``total``."""
        out = {s: c.as_dict() for s, c in self.sources.items()}
        out["total"] = {k: sum(c[k] for c in out.values()) for k in ("read", "drawn", "not_drawn")}
        return out
