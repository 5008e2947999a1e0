"""Keeping the mock honest against the live service (docs/live.md).

- `calls.py`: the four calls the proxy forwards, by path.
- `validate.py`: an upstream answer judged by the contract kit's own checks (`contract_tests`).
- `proxy.py`: the validating reverse proxy (a WSGI app), its journal and violation summary.
- `pii.py`: real personal data replaced by consistent synthetic values, before anything is written.
- `recorder.py`: live exchanges written as a fixture pack (masked answers, synthetic card images).
- `lint.py`: a pack refused when it holds anything that looks like real personal data or a secret.
- `drift.py`: a recorded pack replayed against a mock, and where the mock's answers differ.
"""
