"""Thin Celery wrappers: ids in, a short status out; the services own the logic and state."""

from __future__ import annotations

from celery import shared_task

from exchange.services.operations import heartbeat_record
from exchange.services.outbox import deliveries_sweep, delivery_attempt
from exchange.services.storage_sweep import orphan_files_sweep
from exchange.webhooks.services import webhook_delivery_attempt, webhooks_sweep


@shared_task(name="exchange.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> str:
    """Try one delivery now; a duplicate or late kick finds nothing due and does nothing."""
    return delivery_attempt(delivery_id=delivery_id)


@shared_task(name="exchange.sweep", acks_late=True, ignore_result=True)
def sweep() -> str:
    """Re-kick what is due or stuck (beat runs this every few seconds); /healthz reads the
    heartbeat it leaves as proof that beat and a worker are alive."""
    heartbeat_record()
    return f"kicked {deliveries_sweep()}, webhooks {webhooks_sweep()}"


@shared_task(name="exchange.webhook_deliver", acks_late=True, ignore_result=True)
def webhook_deliver(delivery_id: int) -> str:
    """POST one webhook event now; a duplicate or late kick finds nothing due and does nothing."""
    return webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="exchange.storage_sweep", acks_late=True, ignore_result=True)
def storage_sweep() -> str:
    """Delete stored files no row names, past the default grace period (beat, daily); a
    repeated run finds nothing more to delete."""
    result = orphan_files_sweep()
    return f"deleted {len(result.deleted)} orphan files ({result.deleted_bytes} bytes)"
