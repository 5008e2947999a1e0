"""The vendor's host names, and the URLs on them that `mock_kyc` answers.

Every host the vendor's pages name for these calls, current and past (docs/vendor-api.md, host
names): the same four paths have been served from each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

VENDOR_HOSTS = (
    "kyc1.qcloud.com",
    "kyc.qcloud.com",
    "miniprogram-kyc.tencentcloudapi.com",
    "ida.webank.com",
    "idasc.webank.com",
)


def host_name(text: str) -> str:
    """`kyc1.qcloud.com`, `KYC1.qcloud.com:443` or `https://kyc1.qcloud.com/` → `kyc1.qcloud.com`."""
    name = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text.strip(), flags=re.I).split("/", 1)[0]
    name = name.rsplit(":", 1)[0] if re.search(r":\d+$", name) else name
    if not name or not re.fullmatch(r"[A-Za-z0-9.-]+", name):
        raise ValueError(f"not a host name: {text!r}")
    return name.lower()


def url_pattern(hosts: Iterable[str]) -> re.Pattern[str]:
    """Any http or https URL on one of `hosts`, on any port, with any path."""
    names = "|".join(re.escape(h) for h in hosts)
    return re.compile(rf"^https?://(?:{names})(?::\d+)?(?:[/?#].*)?$", re.IGNORECASE)
