"""A loopback SMTP relay (aiosmtpd) that can fail the way real relays do: 421 after N messages, a dropped connection
after it took the data, SMTPUTF8 offered or not; it records every message it accepted and every envelope."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

from include.demo.local_airflow import free_port


@dataclass
class Behaviour:
    """How the relay answers; change it between rounds."""

    refuse_after: int | None = None  # answer 421 to DATA once this many messages were accepted
    drop_after: int | None = None  # take message number drop_after + 1, then close the connection without replying
    delay: float = 0.0


@dataclass
class Accepted:
    """One message the relay took."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    smtputf8: bool


@dataclass
class Relay:
    """The running relay."""

    port: int
    behaviour: Behaviour
    accepted: list[Accepted] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def recipients(self) -> list[str]:
        """Every envelope recipient of every accepted message."""
        return [r for message in self.accepted for r in message.rcpt_tos]

    def notice_keys(self) -> list[str]:
        """The X-Notice-Key header of every accepted message."""
        found = []
        for message in self.accepted:
            for line in message.content.split(b"\r\n"):
                if line.lower().startswith(b"x-notice-key:"):
                    found.append(line.split(b":", 1)[1].strip().decode())
        return found


class Handler:
    """aiosmtpd handler applying the relay's behaviour."""

    def __init__(self, relay: Relay):
        self.relay = relay

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        relay, behaviour = self.relay, self.relay.behaviour
        if behaviour.delay:
            await asyncio.sleep(behaviour.delay)
        with relay.lock:
            count = len(relay.accepted)
            if behaviour.refuse_after is not None and count >= behaviour.refuse_after:
                relay.refused += 1
                return "421 4.3.2 Service not available, closing transmission channel"
            smtputf8 = "SMTPUTF8" in [o.upper() for o in envelope.mail_options]
            relay.accepted.append(Accepted(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, smtputf8))
            if behaviour.drop_after is not None and count == behaviour.drop_after:
                behaviour.drop_after = None
                server.transport.close()
        return f"250 2.0.0 Ok: queued as Q{count:05d}"


def start_relay(behaviour: Behaviour | None = None, *, smtputf8: bool = True) -> tuple[Relay, Controller]:
    """Start a relay on a free loopback port."""
    relay = Relay(free_port(), behaviour or Behaviour())
    controller = Controller(Handler(relay), hostname="127.0.0.1", port=relay.port, enable_SMTPUTF8=smtputf8)
    controller.start()
    return relay, controller
