"""Workshop templates: the same board engine, different phases. Defined as data in templates.json."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import ValidationError
from .kinds import KINDS_BY_KEY


@dataclass(frozen=True)
class Phase:
    key: str
    label: str
    kinds: tuple[str, ...]
    instruction: str
    voting: bool = False
    readonly: bool = False


@dataclass(frozen=True)
class Template:
    key: str
    label: str
    description: str
    start_label: str
    end_label: str
    phases: tuple[Phase, ...]

    def phase(self, key: str) -> Phase:
        for phase in self.phases:
            if phase.key == key:
                return phase
        raise ValidationError("unknown_phase", f"The {self.label} template has no phase {key!r}.")

    @property
    def first_phase(self) -> Phase:
        return self.phases[0]

    def timeline_ends(self, discovery_start: str, discovery_end: str) -> tuple[str, str]:
        """What the board's timeline runs from and to. A discovery workshop walks the discovery's
        own journey (its facilitator may have renamed the ends); the other templates keep the
        discovery's stages but tell another story along them (a post-mortem runs from "Incident
        starts" to "Service restored")."""
        if self.key == DEFAULT_TEMPLATE:
            return discovery_start, discovery_end
        return self.start_label, self.end_label

    def as_dict(self) -> dict:
        return {
            "key": self.key, "label": self.label, "description": self.description,
            "phases": [
                {"key": p.key, "label": p.label, "kinds": list(p.kinds), "instruction": p.instruction,
                 "voting": p.voting, "readonly": p.readonly}
                for p in self.phases
            ],
        }


DEFAULT_TEMPLATE = "discovery"


@cache
def all_templates() -> dict[str, Template]:
    raw = json.loads((Path(__file__).with_name("templates.json")).read_text(encoding="utf-8"))
    templates = {}
    for key, spec in raw.items():
        phases = tuple(
            Phase(p["key"], p["label"], tuple(p["kinds"]), p["instruction"],
                  bool(p.get("voting", False)), bool(p.get("readonly", False)))
            for p in spec["phases"]
        )
        for phase in phases:
            unknown = set(phase.kinds) - set(KINDS_BY_KEY)
            if unknown:
                raise ValueError(f"template {key} phase {phase.key} names unknown kinds {unknown}")
        templates[key] = Template(key, spec["label"], spec["description"], spec["start_label"],
                                  spec["end_label"], phases)
    return templates


def get_template(key: str) -> Template:
    try:
        return all_templates()[key]
    except KeyError:
        known = ", ".join(all_templates())
        raise ValidationError("unknown_template", f"Unknown template {key!r}; choose one of: {known}.") from None
