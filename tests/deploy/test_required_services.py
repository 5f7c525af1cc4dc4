"""The Celery topology test fails loudly, naming the service and the script that starts it, when one is missing."""

from __future__ import annotations

import pytest

from include.demo.local_airflow import free_port
from tests.deploy.test_celery_topology import require


def test_a_missing_service_fails_instead_of_skipping():
    port = free_port()  # nothing listens there
    message = rf"Redis is not reachable on 127.0.0.1:{port}; run scripts/ensure-services.sh"
    with pytest.raises(pytest.fail.Exception, match=message):
        require("Redis", ("127.0.0.1", port))
