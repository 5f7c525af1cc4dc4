"""The planted demo store of the detection tests, shared with the scan's store-security tests."""

from __future__ import annotations

import pytest

from tests.detection.conftest import planted  # noqa: F401 (a fixture)


@pytest.fixture(scope="session")
def planted_store(planted) -> dict:  # noqa: F811
    return {"url": planted["url"], "store": planted["store"], "log": planted["log"].path}
