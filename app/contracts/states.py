"""The negotiation's state machine (DSP 2025-1 contract negotiation; DOMAIN.md
"Contracts and delivery"). Pure: which party takes which step from which states."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    REQUESTED = "REQUESTED"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    AGREED = "AGREED"
    VERIFIED = "VERIFIED"
    FINALIZED = "FINALIZED"
    TERMINATED = "TERMINATED"


class Party(StrEnum):
    consumer = "consumer"
    provider = "provider"


class Step(StrEnum):
    request = "request"
    offer = "offer"
    accept = "accept"
    agree = "agree"
    verify = "verify"
    finalize = "finalize"
    terminate = "terminate"


ENDED = frozenset({State.FINALIZED, State.TERMINATED})

# step → (the party that takes it, the states it is taken from, the state it leads to);
# terminate is taken by either party from any state not ended.
RULES: dict[Step, tuple[frozenset[Party], frozenset[State], State]] = {
    Step.offer: (frozenset({Party.provider}), frozenset({State.REQUESTED}), State.OFFERED),
    Step.accept: (frozenset({Party.consumer}), frozenset({State.OFFERED}), State.ACCEPTED),
    Step.agree: (
        frozenset({Party.provider}),
        frozenset({State.REQUESTED, State.ACCEPTED}),
        State.AGREED,
    ),
    Step.verify: (frozenset({Party.consumer}), frozenset({State.AGREED}), State.VERIFIED),
    Step.finalize: (frozenset({Party.provider}), frozenset({State.VERIFIED}), State.FINALIZED),
    Step.terminate: (
        frozenset({Party.consumer, Party.provider}),
        frozenset(State) - ENDED,
        State.TERMINATED,
    ),
}
