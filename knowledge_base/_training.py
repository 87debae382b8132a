"""Training data for the dense encoder, generated from the catalogue's own words."""

from __future__ import annotations

import random
from collections.abc import Sequence

from knowledge_base._lexical import LexicalIndex
from knowledge_base.schema import Service

__all__ = ["TEMPLATES", "confusable_batches", "passage_text", "training_groups"]

# Ways residents wrap a service name; the dev set in tests/ is written separately and never used here.
TEMPLATES = (
    "{x}",
    "{x}",
    "syarat {x}",
    "syarat {x} apa aja",
    "cara {x}",
    "gimana cara {x}",
    "mau {x}",
    "mau {x} bawa apa",
    "{x} biayanya berapa",
    "{x} bisa online",
    "{x} di mana",
    "{x} berapa lama",
    "urus {x}",
    "persyaratan {x}",
    "how to {x}",
)


def passage_text(service: Service, tenant_name: str) -> str:
    """What the encoder reads for a service."""
    aliases = ", ".join(service.aliases[:8])
    return f"{service.name}. {aliases}. {service.summary} ({tenant_name})"


def training_groups(
    services: Sequence[Service], passages: Sequence[str], normalise: object = None, *, seed: int = 13
) -> list[tuple[str, list[str]]]:
    """(passage, anchors) per service: name, aliases, keywords and summary, wrapped in templates."""
    rng = random.Random(seed)
    groups = []
    for s, p in zip(services, passages, strict=True):
        base = [s.name, *s.aliases, s.summary]
        if s.keywords:
            base.append(" ".join(s.keywords))
        anchors = [rng.choice(TEMPLATES).format(x=a.lower()) for a in base]
        anchors += [e.lower() for e in s.examples]  # already phrased as residents ask
        if callable(normalise):
            anchors = [str(normalise(a)) for a in anchors]
        groups.append((p, anchors))
    return groups


def confusable_batches(
    services: Sequence[Service], lexical: LexicalIndex, *, size: int = 24, seed: int = 13
) -> list[list[int]]:
    """Batches of service indices in which lexically confusable services sit together."""
    rng = random.Random(seed)
    unassigned = set(range(len(services)))
    order = list(range(len(services)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    for seed_i in order:
        if seed_i not in unassigned:
            continue
        batch = [seed_i]
        unassigned.discard(seed_i)
        frontier = [seed_i]
        while frontier and len(batch) < size:
            cur = frontier.pop(0)
            scores = lexical.score(f"{services[cur].name} {' '.join(services[cur].aliases[:3])}")
            for j in scores.argsort()[::-1][:6]:
                j = int(j)
                if j in unassigned and scores[j] > 0 and len(batch) < size:
                    batch.append(j)
                    unassigned.discard(j)
                    frontier.append(j)
        while len(batch) < size and unassigned:  # fill with random services as easy negatives
            j = rng.choice(sorted(unassigned))
            batch.append(j)
            unassigned.discard(j)
        batches.append(batch)
    return batches
