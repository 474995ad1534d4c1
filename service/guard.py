"""Safe by default: the service is not offered beyond this machine with its writes open."""

import ipaddress

from qa.errors import ConfigError
from qa.settings import ServiceSettings

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach: 127.0.0.0/8, ::1 and localhost."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:  # any other name may resolve to a public address
        return False


def check_exposure(host: str, service: ServiceSettings) -> None:
    """Refuse to serve on a non-loopback `host` with no API key, unless told it is open."""
    if is_loopback(host) or service.api_key is not None or service.open:
        return
    raise ConfigError(
        f"refusing to serve on {host} without an API key: anyone who reaches it could add "
        "and delete documents. Set QA_SERVICE__API_KEY (writes then need it in the X-API-Key "
        "header), bind 127.0.0.1, or set QA_SERVICE__OPEN=true to serve it open anyway"
    )
