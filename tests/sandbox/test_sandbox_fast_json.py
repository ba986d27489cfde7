"""The sandbox writes its answers with the C encoder: the same text as its exact writer, for any
content its views build (text keys; numbers as int, Decimal, Fraction; UTC times; nesting)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciler.sandbox.wire import dumps, fast_dumps, plain_number

numbers = st.one_of(
    st.integers(-(10**12), 10**12),
    st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9),
    st.fractions(max_denominator=10**6),
)
times = st.integers(0, 10**6).map(lambda m: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=15 * m))
texts = st.text(max_size=8)  # any characters: NUL, quotes, controls, beyond ASCII
leaves = st.one_of(st.none(), st.booleans(), numbers, times, texts)
content: st.SearchStrategy[Any] = st.recursive(
    leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(content)
@example({"\x7f": None})  # DEL is ASCII, yet a key escapes it (\u007f) and a value does not
def test_the_c_encoder_writes_the_exact_writer_s_text(value: Any) -> None:
    assert fast_dumps(value) == dumps(value)


def test_a_portfolio_answer_is_written_digit_for_digit() -> None:
    answer = {
        "data": {
            "energyCapacityAvailable": [
                {"time": datetime(2026, 11, 24, tzinfo=UTC), "value": Decimal("4473.684210526")}
            ]
        },
        "soe": Fraction(1, 3),
        "power": -1000,
    }
    assert fast_dumps(answer) == (
        '{"data": {"energyCapacityAvailable": [{"time": "2026-11-24T00:00:00Z", "value": 4473.684210526}]}, '
        '"soe": 0.333333333, "power": -1000}'
    )


def test_equal_numbers_and_instants_are_written_alike_however_they_are_spelled() -> None:
    """5.50 and 5.5, 5E+3 and 5000, the same instant in two zones are each written one way, in
    whatever order they come."""
    berlin = timezone(timedelta(hours=1))
    values = [
        Decimal("5.50"),
        Decimal("5.5"),
        Decimal("5E+3"),
        Decimal("5000"),
        Decimal("-0"),
        Decimal("0.0"),
    ]
    instants = [datetime(2026, 11, 24, 1, tzinfo=berlin), datetime(2026, 11, 24, 0, tzinfo=UTC)]
    for answer in ({"v": values, "t": instants}, {"v": values[::-1], "t": instants[::-1]}):
        assert fast_dumps(answer) == dumps(answer)
    assert fast_dumps({"v": values, "t": instants}) == (
        '{"v": [5.5, 5.5, 5000, 5000, 0, 0], "t": ["2026-11-24T00:00:00Z", "2026-11-24T00:00:00Z"]}'
    )


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        numbers,
        st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15),
    )
)
def test_a_plain_number_is_written_as_the_number_it_stands_for(number: Decimal | Fraction | int) -> None:
    """The long series hand the encoder ints and floats where those write the same text."""
    if isinstance(number, int):
        return
    assert fast_dumps([plain_number(number)]) == dumps([number])
    assert dumps([plain_number(number)]) == dumps([number])


def test_a_number_a_float_would_write_otherwise_stays_exact() -> None:
    for text in ("0.00001", "1E+20", "4473.684210526000001"):
        assert fast_dumps({"value": plain_number(Decimal(text))}) == dumps({"value": Decimal(text)})
    assert plain_number(Decimal("0.00001")) == Decimal("0.00001")  # a float would write 1e-05
    assert plain_number(Decimal("902.50")) == 902.5 and plain_number(Decimal("-1E+3")) == -1000
