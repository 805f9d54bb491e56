"""The ``mimeo_mock`` pytest fixture: a mock running for one test.

Options come from a ``mimeo`` marker (``start_mock``'s keyword arguments) or
from indirect parametrization::

    @pytest.mark.mimeo(stateful=True, rules=["DELETE /v1/ControlPlane/**=429"])
    def test_client(mimeo_mock):
        client = make_client(base_url=mimeo_mock.url)

The fixture is a ``Mock``: ``mimeo_mock.requests()``, ``.count(pattern)``,
``.state()``, ``.session(name)`` and the other control calls are there too.

A mock that exits with a failing status (``args=["--fail-on-violation"]`` and a
request that broke the contract) fails the test at teardown, unless the test
stopped it itself (``mimeo_mock.stop()`` returned the status to it).
"""

from __future__ import annotations

import pytest

from . import Mock, start_mock


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mimeo(**options): options of the mimeo_mock fixture (start_mock's keyword arguments)",
    )


@pytest.fixture
def mimeo_mock(request: pytest.FixtureRequest) -> Mock:
    options = {}
    marker = request.node.get_closest_marker("mimeo")
    if marker is not None:
        options.update(marker.kwargs)
    options.update(getattr(request, "param", None) or {})
    with start_mock(**options) as mock:
        yield mock
        # A test that stopped the mock itself has seen its status.
        seen = mock.process.returncode is not None
    # `args=["--fail-on-violation"]`: the mock's verdict fails the test.
    code = mock.process.returncode
    if not seen and code is not None and code > 0:
        log = "\n".join(mock.log()[-20:])
        pytest.fail(f"mimeo serve exited with status {code} (its verdict)\n{log}", pytrace=False)
