"""The only transport a drill may use: a sink that counts notices and can never reach a person."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from include.notices.delivery.adapters import DeliveryAdapter, Sent
from include.notices.delivery.events import ProviderEvent


class DrillTransportError(RuntimeError):
    """A drill was given a transport that could reach a person."""


class SinkAdapter:
    """Takes every notice and keeps only a count per language: nothing leaves the process."""

    name = "drill-sink"
    handed_over_status = "sent"

    def __init__(self, channel: str):
        self.channel = channel
        self.taken: Counter[str] = Counter()

    def send(self, record: dict[str, Any]) -> Sent:
        """Count the notice; its id says it went nowhere."""
        self.taken[str(record.get("language", "en"))] += 1
        return Sent(f"drill-sink-{record['key'][:16]}", "drill: not sent")

    def poll_events(self) -> list[ProviderEvent]:
        """A sink reports nothing back."""
        return []

    def acknowledge(self, events: list[ProviderEvent]) -> None:
        """Nothing to acknowledge."""


def sink_adapters() -> dict[str, DeliveryAdapter]:
    """Email and postal sinks, the drill's whole delivery."""
    return {"email": SinkAdapter("email"), "postal": SinkAdapter("postal")}


def require_sinks(adapters: Mapping[str, Any]) -> None:
    """DrillTransportError unless every adapter is a sink (no SES, SMTP or mail-house outbox in a drill)."""
    others = sorted(f"{channel}: {type(a).__name__}" for channel, a in adapters.items() if not isinstance(a, SinkAdapter))
    if others:
        raise DrillTransportError(f"a drill delivers to the sink only, not to {', '.join(others)}")
