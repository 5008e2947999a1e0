"""idcard-mock: a local emulator of the WeBank kyc ID-card OCR server API."""

__version__ = "0.1.0"
