"""Property tests (hypothesis) for responders' scope files: any bytes give validated values or one ValueError line."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from include.incident.scope import SCOPE_VALUE_CHECKS, parse_scope_file

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
values = st.emails() | st.integers(0, 10**12).map(str) | st.text(max_size=30)
files = (
    st.binary(max_size=300)
    | st.lists(values, max_size=20).map(lambda vs: "\n".join(vs).encode())
    | st.lists(values | st.integers(), max_size=20).map(lambda vs: repr(vs).replace("'", '"').encode())
    | st.integers(1, 3000).map(lambda n: ("[" * n + "]" * n).encode())
)


@SETTINGS
@given(files, st.sampled_from(sorted(SCOPE_VALUE_CHECKS)))
def test_a_scope_file_gives_valid_values_or_one_line(data: bytes, kind: str):
    try:
        parsed = parse_scope_file(data, kind)
    except ValueError as error:
        assert "\n" not in str(error) and len(str(error)) < 300
        return
    assert all(SCOPE_VALUE_CHECKS[kind].fullmatch(value) for value in parsed)
