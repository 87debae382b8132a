"""Training data for the dense encoder, generated from the catalogue's own words."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from knowledge_base._lexical import LexicalIndex
from knowledge_base.schema import Service

__all__ = ["TEMPLATES", "confusable_batches", "mnrl_finetune", "passage_text", "training_groups"]

log = logging.getLogger(__name__)

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


def mnrl_finetune(
    groups: Sequence[tuple[str, Sequence[str]]],
    batches: Sequence[Sequence[int]],
    embed_passages: Callable[[list[str]], Any],
    embed_anchors: Callable[[list[str]], Any],
    params: list[Any],
    *,
    epochs: int,
    lr: float = 1e-4,
    seed: int = 13,
    scale: float = 20.0,
    anchors_per_step: int = 6,
) -> dict[str, float]:
    """Multiple-negatives ranking: each anchor against the passages of its batch of confusable services.

    `groups[i]` is (passage, anchors) of service i; `batches` lists service indices trained together,
    so siblings are each other's hard negatives. Several small steps per batch: more updates for the
    same data. Returns training statistics.
    """
    import torch

    rng = random.Random(seed)
    torch.manual_seed(seed)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    rounds = [max(1, *((len(groups[i][1]) + anchors_per_step - 1) // anchors_per_step for i in b)) for b in batches]
    steps_total = max(1, epochs * sum(rounds))
    warmup = max(1, steps_total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: min(1.0, (step + 1) / warmup) * max(0.02, 1 - step / steps_total)
    )
    started = time.perf_counter()
    losses: list[float] = []
    anchors_seen = 0
    order = list(batches)
    for epoch in range(epochs):
        rng.shuffle(order)
        for batch in order:
            pools = [rng.sample(list(groups[i][1]), len(groups[i][1])) for i in batch]
            for r in range(max((len(p) + anchors_per_step - 1) // anchors_per_step for p in pools)):
                texts: list[str] = []
                labels: list[int] = []
                for col, pool in enumerate(pools):
                    for a in pool[r * anchors_per_step : (r + 1) * anchors_per_step]:
                        texts.append(a)
                        labels.append(col)
                if not texts:
                    continue
                passages = embed_passages([groups[i][0] for i in batch])
                logits = embed_anchors(texts) @ passages.T * scale
                loss = torch.nn.functional.cross_entropy(logits, torch.tensor(labels))
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                losses.append(float(loss.detach()))
                anchors_seen += len(texts)
        log.info("finetune epoch done", extra={"epoch": epoch, "loss": float(np.mean(losses[-20:]))})
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "anchors": anchors_seen,
        "steps": len(losses),
        "epochs": epochs,
        "final_loss": round(float(np.mean(losses[-20:])), 4) if losses else 0.0,
    }
