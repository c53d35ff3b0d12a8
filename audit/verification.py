"""Check the whole trail: every link, the head, and every signed checkpoint."""

from __future__ import annotations

from dataclasses import dataclass

from .chain import CHAINED_FIELDS, GENESIS_HASH, Break, chain_breaks
from .checkpoints import certificate_fingerprint, checkpoint_message, signature_valid
from .models import AuditChainHead, AuditCheckpoint, AuditEvent
from .services import HEAD_PK


@dataclass(frozen=True)
class ChainReport:
    events: int
    checkpoints: int
    last_checkpoint_sequence: int | None
    problem: Break | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def audit_chain_verify(*, expect_key: str | None = None) -> ChainReport:
    """Recompute the chain from the first event; stop at the first break and name it.

    ``expect_key`` is the SHA-256 fingerprint of the hub's checkpoint certificate, as noted
    down (or published) when the hub was set up: checkpoints signed by any other key fail.
    """
    checkpoints = list(AuditCheckpoint.objects.order_by("sequence", "id"))
    wanted = {checkpoint.sequence for checkpoint in checkpoints}
    seen: dict[int, str] = {}
    rows = AuditEvent.objects.order_by("sequence").values(
        "id", "prev_hash", "hash", *CHAINED_FIELDS
    )
    count, last_sequence, last_hash = 0, 0, GENESIS_HASH
    for problem, row in chain_breaks(rows.iterator(chunk_size=2000)):
        if problem is not None:
            return ChainReport(count, len(checkpoints), None, problem)
        count += 1
        last_sequence, last_hash = int(row["sequence"]), str(row["hash"])
        if last_sequence in wanted:
            seen[last_sequence] = last_hash
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    head_sequence, head_hash = (head.sequence, head.hash) if head else (0, GENESIS_HASH)
    if (head_sequence, head_hash) != (last_sequence, last_hash):
        problem = Break(
            "removed" if head_sequence > last_sequence else "inserted",
            max(head_sequence, last_sequence),
            None,
            f"the chain head records #{head_sequence}, the table ends at #{last_sequence}",
        )
        return ChainReport(count, len(checkpoints), None, problem)
    for checkpoint in checkpoints:
        problem = _checkpoint_problem(checkpoint, seen, expect_key)
        if problem is not None:
            return ChainReport(count, len(checkpoints), None, problem)
    last = checkpoints[-1].sequence if checkpoints else None
    return ChainReport(count, len(checkpoints), last, None)


def _checkpoint_problem(
    checkpoint: AuditCheckpoint, seen: dict[int, str], expect_key: str | None
) -> Break | None:
    def broken(detail: str) -> Break:
        return Break("checkpoint_mismatch", checkpoint.sequence, None, detail)

    if expect_key and certificate_fingerprint(checkpoint.certificate_pem) != expect_key.lower():
        return broken(f"checkpoint {checkpoint.pk} is signed by another key")
    message = checkpoint_message(
        sequence=checkpoint.sequence, head_hash=checkpoint.head_hash, signed_at=checkpoint.signed_at
    )
    if not signature_valid(
        certificate_pem=checkpoint.certificate_pem,
        message=message,
        signature=bytes(checkpoint.signature),
    ):
        return broken(f"checkpoint {checkpoint.pk} has an invalid signature")
    if seen.get(checkpoint.sequence) != checkpoint.head_hash:
        return broken(
            f"checkpoint {checkpoint.pk} signed another hash for this event: history before it "
            "was rewritten"
        )
    return None
