"""One set of controls over a mock, whichever way a test reaches it.

`Controls` (base.py) is what a test uses: credentials, scenarios, the clock, the journal, the
orders, reset. `BackendControls` (local.py) works on a mock in this process; `HttpControls`
(remote.py) on a served mock through its `/_mock/` surface. `mock_kyc` and the pytest fixtures
are built on them, so the three ways share one API.
"""

from mock_server.controls.base import Controls, RecordedOrder, RecordedSide
from mock_server.controls.local import BackendControls
from mock_server.controls.remote import HttpControls

__all__ = ["BackendControls", "Controls", "HttpControls", "RecordedOrder", "RecordedSide"]
