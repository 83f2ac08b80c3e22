"""IP blocks as the admin sees them: the addresses blocked now (or recently counted), lifted
by hand. The blocking rule itself is services.accounts (record_ip_failure)."""

from __future__ import annotations

from datetime import datetime

from core import audit
from models.accounts import IpBlock
from models.base import utcnow

from .accounts import unblock_ip
from .paging import Page, paginate


def listing(number: int, everything: bool = False, now: datetime | None = None) -> Page:
    """Blocked addresses, newest block first; `everything` adds those only being counted."""
    now = now or utcnow()
    query = IpBlock.select()
    if not everything:
        query = query.where(IpBlock.blocked_until > now)
    return paginate(query.order_by(IpBlock.blocked_until.desc(nulls="LAST"), IpBlock.id), number)


def lift(ip: str) -> bool:
    """Lift the block of one address (and forget its failures); False if there was none."""
    found = IpBlock.get_or_none(IpBlock.ip == ip[:45])
    if found is None:
        return False
    unblock_ip(ip)
    audit.staff_action("admin.ip.unblocked", object_type="ip_block", details=f"ip={ip[:45]}")
    return True
