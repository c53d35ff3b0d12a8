"""Letters in both directions between ETDA and SOC, for API tests that need real data."""

from __future__ import annotations

from agencies.models import Agency, AgencyRole
from exchange.models import Delivery
from exchange.services.acknowledgements import incoming_letter_register
from exchange.services.outbox import delivery_attempt
from exchange.services.sending import letter_send
from letters.models import Direction, Letter
from tests.conftest import make_user
from tests.exchange.test_delivery_flow import draft_to


def deliver_pending() -> None:
    for pk in Delivery.objects.filter(status="queued").values_list("pk", flat=True):
        delivery_attempt(delivery_id=pk)


def seed_both_directions(*, etda: Agency, soc: Agency) -> None:
    """ETDA → SOC (registered by SOC, so ETDA sees the receive number) and SOC → ETDA (waiting
    in ETDA's inbox). Both agencies must be hosted with their keys installed."""
    alice = make_user("alice-seed", (etda, AgencyRole.CLERK))
    bob = make_user("bob-seed", (soc, AgencyRole.CLERK))
    letter_send(letter=draft_to(etda, soc, alice, subject="ขอเชิญประชุม ครั้งที่ ๒/๒๕๖๙"), actor=alice)
    letter_send(letter=draft_to(soc, etda, bob, subject="ขอความอนุเคราะห์ข้อมูลสถิติ"), actor=bob)
    deliver_pending()
    copy = Letter.objects.get(agency=soc, direction=Direction.INCOMING)
    incoming_letter_register(letter=copy, actor=bob)
    deliver_pending()
