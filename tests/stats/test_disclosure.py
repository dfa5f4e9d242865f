"""The running total of app/stats/disclosure.py, as a property: whatever the grants and
whatever the window, any two months it shows differ by what 0 or at least 3 merchants
added, and a month shows the same in every window that holds it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.core.clock import months_of
from app.stats.disclosure import THRESHOLD, Step, running_total

MONTHS = months_of("2025-01", "2026-12")

steps = st.dictionaries(
    st.sampled_from(MONTHS),
    st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=4),
).map(
    lambda grants: [
        Step(month, len(holders), frozenset(holders)) for month, holders in sorted(grants.items())
    ]
)


@given(steps, st.integers(0, len(MONTHS) - 1), st.integers(0, len(MONTHS) - 1))
def test_shown_months_differ_by_enough_merchants(steps: list[Step], a: int, b: int) -> None:
    everything = running_total(steps, MONTHS)
    window = MONTHS[min(a, b) : max(a, b) + 1]
    assert running_total(steps, window) == {m: everything[m] for m in window}
    shown = [m for m in MONTHS if not everything[m].suppressed]
    for earlier, later in zip([None, *shown], shown, strict=False):
        since = [s for s in steps if (earlier is None or s.key > earlier) and s.key <= later]
        between = set().union(*(s.merchants for s in since))
        assert len(between) == 0 or len(between) >= THRESHOLD
        before = 0 if earlier is None else everything[earlier].value
        assert everything[later].value == before + sum(s.added for s in since)
    for month in MONTHS:
        if everything[month].suppressed:
            assert everything[month].value is None and everything[month].merchants is None
