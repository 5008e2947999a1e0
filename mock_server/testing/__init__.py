"""The mock inside a Python test, with no server and no base URL to change:

    from mock_server.testing import mock_kyc

    with mock_kyc() as kyc:   # or @mock_kyc() on a test function, sync or async
        ...                   # requests / httpx calls to the vendor's hosts are answered here

Modules: `mock_kyc` (the context manager and decorator), `intercept` (responses and respx),
`wsgi` (one request answered by the app in-process), `hosts` (the vendor's host names),
`options` (what configures a test's mock), `served` (what the `idcard_mock` fixture yields),
`fault_watch` (strict mode's HTTP 500s noticed).
"""

from mock_server.testing.hosts import VENDOR_HOSTS
from mock_server.testing.mock_kyc import MockKyc, mock_kyc
from mock_server.testing.options import MockOptions
from mock_server.testing.served import IdcardMock

__all__ = ["VENDOR_HOSTS", "IdcardMock", "MockKyc", "MockOptions", "mock_kyc"]
