"""Exchange benchmark: sign/verify cost, two-node throughput and latency, RSS with a big file.

    .venv/bin/python -m bench.exchange [--letters N] [--rate R] [--big-mb M] [--out PATH]

Everything runs on 127.0.0.1 and stops by itself: a fixed number of iterations and letters,
every wait bounded by a timeout. See bench/README.md and docs/performance.md.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding  # noqa: E402
from lxml import etree  # noqa: E402

from agencies.pki.issuing import issue_certificate, make_ca  # noqa: E402
from agencies.pki.validation import TrustMaterial  # noqa: E402
from exchange.envelope import (  # noqa: E402
    DistributionEntry,
    Envelope,
    Header,
    LetterData,
    LetterNumberData,
    MessageType,
    Party,
    envelope_to_xml,
    envelope_verify,
    sign_tree,
)

ETDA = Party("etda", "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์", "11", "11007")
SOC = Party("soc", "สำนักเลขาธิการคณะรัฐมนตรี")
SENTENCE = "ด้วยสำนักงานฯ ขอเชิญประชุมเพื่อพิจารณาแนวทางการแลกเปลี่ยนหนังสือราชการ "
DSIG = "http://www.w3.org/2000/09/xmldsig#"


# --- statistics -----------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def timed(operation: Callable[[], Any], iterations: int, warmup: int) -> list[float]:
    """Milliseconds per call of ``operation``, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        operation()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary_ms(samples: Sequence[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(samples), "p95_ms": percentile(samples, 0.95)}


# --- 1. sign + verify, in-process -----------------------------------------------------------


@dataclass
class MemoryDirectory:
    """The SenderDirectory protocol over dicts (as tests/exchange/conftest.py), no database."""

    certificates: dict[str, list[x509.Certificate]]
    trust: TrustMaterial
    served: set[str] = field(default_factory=lambda: {"soc", "etda"})

    def agency_exists(self, agency_key: str) -> bool:
        return agency_key in self.certificates

    def signing_certificates(self, agency_key: str) -> Sequence[x509.Certificate]:
        return self.certificates.get(agency_key, [])

    def trust_material(self) -> TrustMaterial:
        return self.trust

    def serves(self, agency_key: str) -> bool:
        return agency_key in self.served


def letter_envelope(size: int = 4096) -> Envelope:
    """A letter envelope whose unsigned XML is about ``size`` bytes."""

    def build(body: str) -> Envelope:
        return Envelope(
            header=Header(
                message_id=str(uuid.uuid4()),
                message_type=MessageType.LETTER,
                created_at=datetime.datetime.now(datetime.UTC).replace(microsecond=0),
                sender=ETDA,
                recipient=SOC,
                conversation_id=str(uuid.uuid4()),
            ),
            letter=LetterData(
                kind="external",
                number=LetterNumberData(
                    ministry_code="ดศ",
                    sub_agency_code="สพขอ",
                    unit_number="511.04",
                    running=335,
                    year=2020,
                    text="ดศ (สพขอ) ๕๑๑.๐๔/๐๓๓๕",
                ),
                date=datetime.date(2020, 4, 22),
                subject="ข้อเสนอในการปรับปรุงการออกเอกสารหลักฐานของทางราชการผ่านระบบดิจิทัล",
                urgency="004",
                secrecy="001",
                salutation="เรียน",
                addressee="เลขาธิการคณะรัฐมนตรี",
                body=body,
                closing="ขอแสดงความนับถือ",
                signer_name="นายชัยชนะ มิตรพันธ์",
                signer_position="รองผู้อำนวยการ ปฏิบัติหน้าที่แทน ผู้อำนวยการ",
                owning_unit="สำนักกฎหมาย",
                phone="0 2123 1234 ต่อ 90700",
                email="ictlawcenter@eta.or.th",
                distribution=(DistributionEntry(party=SOC, addressee="เลขาธิการคณะรัฐมนตรี"),),
            ),
        )

    base = len(etree.tostring(envelope_to_xml(build("")), encoding="UTF-8"))
    repeats = max(1, (size - base) // len(SENTENCE.encode()))
    return build(SENTENCE * repeats)


def xmlsec_available() -> bool:
    try:
        import xmlsec  # noqa: F401
    except ImportError:
        return False
    return True


def bench_sign_verify(iterations: int) -> dict[str, Any]:
    ca = make_ca("Saraban Bench CA")
    signer = issue_certificate(ca, common_name="etda signer", organization=ETDA.name_th)
    directory = MemoryDirectory(
        certificates={"etda": [signer.certificate], "soc": []},
        trust=TrustMaterial(anchors=(ca.certificate,)),
    )
    envelope = letter_envelope()
    unsigned = envelope_to_xml(envelope)
    unsigned_bytes = etree.tostring(unsigned, xml_declaration=True, encoding="UTF-8")
    key = signer.private_key
    certificate = signer.certificate
    signed = sign_tree(copy.deepcopy(unsigned), key=key, certificate=certificate)
    now = datetime.datetime.now(datetime.UTC)
    envelope_verify(signed, directory=directory, now=now)  # must pass before timing it
    warmup = max(3, iterations // 10)
    result: dict[str, Any] = {
        "iterations": iterations,
        "unsigned_bytes": len(unsigned_bytes),
        "signed_bytes": len(signed),
        "ours_sign": summary_ms(
            timed(
                lambda: sign_tree(copy.deepcopy(unsigned), key=key, certificate=certificate),
                iterations,
                warmup,
            )
        ),
        "ours_verify": summary_ms(
            timed(lambda: envelope_verify(signed, directory=directory, now=now), iterations, warmup)
        ),
    }
    if not xmlsec_available():
        result["xmlsec"] = None
        result["note"] = "python-xmlsec not importable: part (c) skipped"
        print("note: python-xmlsec is not installed, xmlsec comparison skipped", file=sys.stderr)
        return result

    import xmlsec

    key_pem = signer.private_key_pem()
    cert_pem = certificate.public_bytes(Encoding.PEM)
    xkey = xmlsec.Key.from_memory(key_pem, xmlsec.constants.KeyDataFormatPem)
    xkey.load_cert_from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem)
    verify_key = xmlsec.Key.from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem)

    def xmlsec_sign() -> bytes:
        root = copy.deepcopy(unsigned)
        signature = xmlsec.template.create(
            root, xmlsec.constants.TransformInclC14N11, xmlsec.constants.TransformRsaSha256
        )
        root.append(signature)
        reference = xmlsec.template.add_reference(
            signature, xmlsec.constants.TransformSha256, uri=""
        )
        xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
        key_info = xmlsec.template.ensure_key_info(signature)
        xmlsec.template.add_x509_data(key_info)
        context = xmlsec.SignatureContext()
        context.key = xkey
        context.sign(signature)
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    xmlsec_signed = xmlsec_sign()

    def xmlsec_verify() -> None:
        root = etree.fromstring(xmlsec_signed)
        signature = xmlsec.tree.find_node(root, xmlsec.constants.NodeSignature)
        context = xmlsec.SignatureContext()
        context.key = verify_key
        context.verify(signature)

    xmlsec_verify()
    result["xmlsec_signed_bytes"] = len(xmlsec_signed)
    result["xmlsec_sign"] = summary_ms(timed(xmlsec_sign, iterations, warmup))
    result["xmlsec_verify"] = summary_ms(timed(xmlsec_verify, iterations, warmup))
    ours = result["ours_sign"]["median_ms"] + result["ours_verify"]["median_ms"]
    theirs = result["xmlsec_sign"]["median_ms"] + result["xmlsec_verify"]["median_ms"]
    result["ratio_sign"] = result["ours_sign"]["median_ms"] / result["xmlsec_sign"]["median_ms"]
    result["ratio_verify"] = (
        result["ours_verify"]["median_ms"] / result["xmlsec_verify"]["median_ms"]
    )
    result["ratio_sign_plus_verify"] = ours / theirs
    return result


# --- 2. two-node throughput and latency -----------------------------------------------------


def _time(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)


def wait_for(check: Callable[[], Any], timeout: float, every: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise TimeoutError(f"benchmark condition not met in {timeout} s")


def bench_exchange(
    nodes: dict[str, Any],
    *,
    label: str,
    letters: int,
    rate: float,
    attach_bytes: int = 0,
    timeout: float = 600,
    queued: bool = False,
) -> dict[str, Any]:
    """Send ``letters`` A→B; register each copy on B as it arrives; read the times on A.

    ``queued``: node A's worker is stopped while the letters are sent and started once all
    are queued, so letters/s measures how fast the nodes deliver a backlog, not how fast one
    shell can send (receipt times then include the wait in the queue).
    """
    a, b = nodes["a"], nodes["b"]
    prefix = f"bench-{label}-{uuid.uuid4().hex[:6]}"
    registrations: dict[str, Any] = {}

    def register() -> None:
        try:
            registrations.update(
                b.call(
                    "register_arrivals",
                    call_timeout=timeout + 60,
                    agency="soc",
                    prefix=prefix,
                    count=letters,
                    timeout=timeout,
                )
            )
        except Exception as exc:  # reported, not fatal for the other numbers
            registrations["error"] = str(exc)[-500:]

    registrar = threading.Thread(target=register, daemon=True)
    cpu = CpuMeter(nodes)
    registrar.start()
    if queued:
        a.stop("worker")
    sent = a.call("send_paced", count=letters, prefix=prefix, rate=rate, attach_bytes=attach_bytes)
    if queued:
        a.start_worker()
        cpu = CpuMeter(nodes)  # again: the restarted worker is a new process

    def done() -> list[dict[str, Any]] | None:
        rows: list[dict[str, Any]] = a.call("delivery_times", prefix=prefix)
        finished = len(rows) == letters and all(r["registered"] for r in rows)
        return rows if finished else None

    rows = wait_for(done, timeout=timeout, every=1.0)
    registrar.join(timeout=30)
    node_cpu = cpu.seconds()
    shell_cpu = sent.get("cpu_seconds", 0.0) + float(registrations.get("cpu_seconds", 0.0))
    created = [_time(r["created"]) for r in rows]
    delivered = [_time(r["delivered"]) for r in rows if r["delivered"]]
    receipt_ms = [
        (_time(r["delivered"]) - _time(r["created"])).total_seconds() * 1000
        for r in rows
        if r["delivered"]
    ]
    # created_at → the moment node A applied B's signed registration (microseconds; the
    # registration's own signed time has whole seconds only).
    registration_ms = [
        (_time(r["registered_seen"]) - _time(r["created"])).total_seconds() * 1000 for r in rows
    ]
    if queued:
        # From the first receipt to the last: the restarted worker's start-up is not counted.
        window = (max(delivered) - min(delivered)).total_seconds() if delivered else float("nan")
        rate_count = len(delivered) - 1
    else:
        window = (max(delivered) - min(created)).total_seconds() if delivered else float("nan")
        rate_count = letters
    return {
        "label": label,
        "letters": letters,
        "rate_requested": rate,
        "attach_bytes": attach_bytes,
        "send_seconds": sent["seconds"],
        "send_rate": letters / sent["seconds"] if sent["seconds"] else float("nan"),
        "delivered": len(delivered),
        "letters_per_second": rate_count / window if window else float("nan"),
        "receipt_p50_ms": percentile(receipt_ms, 0.50),
        "receipt_p95_ms": percentile(receipt_ms, 0.95),
        "receipt_p99_ms": percentile(receipt_ms, 0.99),
        "registration_p50_ms": percentile(registration_ms, 0.50),
        "registration_p95_ms": percentile(registration_ms, 0.95),
        "registration_p99_ms": percentile(registration_ms, 0.99),
        "registrar": registrations,
        # CPU seconds spent by the nodes' web servers and workers (children included) during
        # the run, and by the sending and registering shells: what a letter costs whatever
        # else shares the machine.
        "node_cpu_seconds": node_cpu,
        "shell_cpu_seconds": shell_cpu,
        "cpu_ms_per_letter": (sum(node_cpu.values()) + shell_cpu) * 1000 / letters,
        "rows": rows,
    }


class CpuMeter:
    """CPU seconds used by the nodes' processes (and their children) since it was made."""

    def __init__(self, nodes: dict[str, Any]) -> None:
        self.processes: dict[str, Any] = {}
        try:
            import psutil
        except ImportError:
            return
        for node in nodes.values():
            for role, process in node.processes.items():
                try:
                    self.processes[f"{node.name}.{role}"] = psutil.Process(process.pid)
                except psutil.Error:
                    continue
        self.start = self._read()

    def _read(self) -> dict[str, float]:
        import psutil

        found: dict[str, float] = {}
        for name, process in self.processes.items():
            try:
                family = [process, *process.children(recursive=True)]
                found[name] = sum(
                    member.cpu_times().user + member.cpu_times().system for member in family
                )
            except psutil.Error:
                continue
        return found

    def seconds(self) -> dict[str, float]:
        if not self.processes:
            return {}
        now = self._read()
        return {name: now[name] - self.start.get(name, 0.0) for name in now}


# --- 2b. a circular to many hosted agencies ------------------------------------------------


def bench_circular(
    nodes: dict[str, Any], *, count: int, key_kind: str, timeout: float
) -> dict[str, Any]:
    """One letter from ETDA to ``count`` agencies hosted on node A, until all are delivered.

    Measured from the moment ``letter_send`` is called (numbering, one signed envelope per
    recipient, queuing) to the last delivery's verified receipt; node A's worker delivers each
    copy in-process (verify, file into the recipient's inbox, sign and verify the receipt).
    """
    a = nodes["a"]
    setup = a.call("bench_hosted_agencies", call_timeout=timeout, count=count, kind=key_kind)
    subject = f"bench-circular-{uuid.uuid4().hex[:6]}"
    cpu = CpuMeter(nodes)
    sent = a.call("send_circular", call_timeout=timeout, count=count, subject=subject)
    waited = a.call(
        "circular_wait", call_timeout=timeout + 60, letter_id=sent["letter"], timeout=timeout
    )
    node_cpu = cpu.seconds()
    clicked = _time(sent["clicked"])
    finished = [(_time(moment) - clicked).total_seconds() for moment in waited["finished"]]
    return {
        "recipients": count,
        "key_kind": key_kind,
        "setup_seconds": setup["seconds"],
        "send_seconds": sent["send_seconds"],
        "total": waited["total"],
        "done": waited["done"],
        "failed": waited["failed"],
        "by_status": waited["by_status"],
        "all_delivered_seconds": max(finished) if finished else float("nan"),
        "delivered_p50_seconds": percentile(finished, 0.50),
        "delivered_p95_seconds": percentile(finished, 0.95),
        "complete": waited["done"] == count,
        "node_cpu_seconds": node_cpu,
        "send_cpu_seconds": sent.get("send_cpu_seconds", float("nan")),
    }


# --- 3. peak RSS with a big attachment ------------------------------------------------------


class RssSampler(threading.Thread):
    """Sample the RSS of some processes (and their children) every ``every`` seconds."""

    def __init__(self, pids: dict[str, int], every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.processes: dict[str, Any] = {}
        try:
            import psutil
        except ImportError:
            print("note: psutil is not installed, RSS of the nodes not sampled", file=sys.stderr)
        else:
            self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.baseline: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.stopping = threading.Event()
        for name, rss in self._sample().items():
            self.baseline[name] = rss
            self.peak[name] = rss

    def _sample(self) -> dict[str, int]:
        found: dict[str, int] = {}
        if not self.processes:
            return found
        import psutil

        for name, process in self.processes.items():
            try:
                found[name] = process.memory_info().rss
                for child in process.children(recursive=True):
                    found[f"{name} (child {child.pid})"] = child.memory_info().rss
            except psutil.Error:
                continue
        return found

    def run(self) -> None:
        while not self.stopping.is_set():
            for name, rss in self._sample().items():
                self.baseline.setdefault(name, rss)
                self.peak[name] = max(self.peak.get(name, 0), rss)
            time.sleep(self.every)

    def stop(self) -> dict[str, dict[str, float]]:
        self.stopping.set()
        self.join(timeout=5)
        mib = 1024 * 1024
        return {
            name: {
                "baseline_mib": self.baseline[name] / mib,
                "peak_mib": self.peak[name] / mib,
                "growth_mib": (self.peak[name] - self.baseline[name]) / mib,
            }
            for name in sorted(self.peak)
        }


def write_big_file(path: Path, megabytes: int) -> None:
    """``megabytes`` MiB of pseudo-random bytes, written 1 MiB at a time."""
    chunk = os.urandom(1024 * 1024)
    with path.open("wb") as out:
        for index in range(megabytes):
            out.write(index.to_bytes(8, "big") + chunk[8:])


def bench_big_attachment(nodes: dict[str, Any], megabytes: int, timeout: float) -> dict[str, Any]:
    a = nodes["a"]
    path = a.var_dir / "bench-big.bin"
    write_big_file(path, megabytes)
    prefix = f"bench-big-{uuid.uuid4().hex[:6]}"
    pids = {
        f"{node.name}.{role}": process.pid
        for node in nodes.values()
        for role, process in node.processes.items()
    }
    sampler = RssSampler(pids)
    sampler.start()
    started = time.monotonic()
    try:
        sent = a.call("send_file", sender="etda", recipient="soc", subject=prefix, path=str(path))
        rows = wait_for(
            lambda: (r := a.call("delivery_times", prefix=prefix)) and r[0]["delivered"] and r,
            timeout=timeout,
            every=0.5,
        )
        time.sleep(0.3)
    finally:
        processes = sampler.stop()
        path.unlink(missing_ok=True)
    row = rows[0]
    copies = nodes["b"].call("inbox", agency="soc", subject=prefix)
    kib = 1024
    processes["a.shell (letter_send)"] = {
        "baseline_mib": sent["maxrss_before_kib"] / kib,
        "peak_mib": sent["maxrss_after_kib"] / kib,
        "growth_mib": (sent["maxrss_after_kib"] - sent["maxrss_before_kib"]) / kib,
    }
    return {
        "megabytes": megabytes,
        "seconds": time.monotonic() - started,
        "receipt_ms": (_time(row["delivered"]) - _time(row["created"])).total_seconds() * 1000,
        "received_file_sizes": copies[0]["files"] if copies else [],
        "processes": processes,
        "max_growth_mib": max(p["growth_mib"] for p in processes.values()),
    }


def worker_task_seconds(node: Any) -> dict[str, dict[str, float]]:
    """Run times of the node's Celery tasks, from "Task <name>[id] succeeded in <s>s" lines."""
    import re

    pattern = re.compile(r"Task ([\w.]+)\[[^\]]+\] succeeded in ([\d.]+)s")
    found: dict[str, list[float]] = {}
    log = node.var_dir / "worker.log"
    if log.exists():
        for match in pattern.finditer(log.read_text(errors="replace")):
            found.setdefault(match.group(1), []).append(float(match.group(2)) * 1000)
    return {
        name: {"count": len(values), **summary_ms(values), "total_s": sum(values) / 1000}
        for name, values in sorted(found.items())
    }


# --- report ---------------------------------------------------------------------------------


def _f(value: float, digits: int = 1) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"  # NaN check


def markdown(results: dict[str, Any]) -> str:
    lines = ["## Results", ""]
    backend = results.get("backend") or {}
    if backend:
        lines += [
            f"Set-up: {backend['database']}, {backend['broker']} broker, {backend['web']}, "
            f"worker concurrency {backend['worker_concurrency']} per node, DEBUG off, "
            "CONN_MAX_AGE=60.",
            "",
        ]
    sv = results.get("sign_verify")
    if sv:
        lines += [
            f"### Sign + verify, in-process ({sv['iterations']} iterations, "
            f"unsigned {sv['unsigned_bytes']} B, signed {sv['signed_bytes']} B)",
            "",
            "| operation | median ms | p95 ms |",
            "|---|---:|---:|",
            f"| ours: XAdES sign | {_f(sv['ours_sign']['median_ms'], 2)} "
            f"| {_f(sv['ours_sign']['p95_ms'], 2)} |",
            f"| ours: full verification pipeline | {_f(sv['ours_verify']['median_ms'], 2)} "
            f"| {_f(sv['ours_verify']['p95_ms'], 2)} |",
        ]
        if sv.get("xmlsec_sign"):
            lines += [
                f"| python-xmlsec: sign | {_f(sv['xmlsec_sign']['median_ms'], 2)} "
                f"| {_f(sv['xmlsec_sign']['p95_ms'], 2)} |",
                f"| python-xmlsec: verify | {_f(sv['xmlsec_verify']['median_ms'], 2)} "
                f"| {_f(sv['xmlsec_verify']['p95_ms'], 2)} |",
                "",
                f"Ratio ours / xmlsec (medians): sign {_f(sv['ratio_sign'], 1)}×, "
                f"verify {_f(sv['ratio_verify'], 1)}×, "
                f"sign + verify **{_f(sv['ratio_sign_plus_verify'], 1)}×**.",
            ]
        else:
            lines += ["", f"_{sv.get('note', 'xmlsec comparison skipped')}_"]
        lines.append("")
    runs = results.get("exchange") or []
    if runs:
        lines += [
            "### Two-node exchange A (etda) → B (soc)",
            "",
            "| run | letters | send rate/s | delivered | letters/s sustained "
            "| receipt p50 / p95 / p99 ms | registration p50 / p95 / p99 ms "
            "| CPU ms per letter |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for run in runs:
            lines.append(
                f"| {run['label']} | {run['letters']} | {_f(run['send_rate'])} "
                f"| {run['delivered']} | {_f(run['letters_per_second'])} "
                f"| {_f(run['receipt_p50_ms'], 0)} / {_f(run['receipt_p95_ms'], 0)} "
                f"/ {_f(run['receipt_p99_ms'], 0)} "
                f"| {_f(run['registration_p50_ms'], 0)} / {_f(run['registration_p95_ms'], 0)} "
                f"/ {_f(run['registration_p99_ms'], 0)} "
                f"| {_f(run.get('cpu_ms_per_letter', float('nan')), 0)} |"
            )
        lines += [
            "",
            "CPU ms per letter: the nodes' web servers and workers plus the sending and "
            "registering shells, whole ladder (letter, receipt, registration), database server "
            "not included.",
            "",
        ]
    tasks = results.get("worker_tasks") or {}
    if tasks:
        lines += [
            "### Celery task run times (whole run, from the workers' logs)",
            "",
            "| node | task | count | median ms | p95 ms | total s |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for node, by_task in tasks.items():
            for name, row in by_task.items():
                lines.append(
                    f"| {node} | {name} | {row['count']} | {_f(row['median_ms'])} "
                    f"| {_f(row['p95_ms'])} | {_f(row['total_s'])} |"
                )
        lines.append("")
    circular = results.get("circular")
    if circular:
        lines += [
            f"### Circular to {circular['recipients']} agencies hosted on node A "
            f"({circular['key_kind'].upper()} keys)",
            "",
            "| recipients | letter_send s (CPU s) | all terminal s | p50 / p95 s "
            "| node CPU s | statuses |",
            "|---:|---:|---:|---:|---:|---|",
            f"| {circular['recipients']} | {_f(circular['send_seconds'], 2)} "
            f"({_f(circular['send_cpu_seconds'], 2)}) "
            f"| {_f(circular['all_delivered_seconds'], 2)} "
            f"| {_f(circular['delivered_p50_seconds'], 2)} "
            f"/ {_f(circular['delivered_p95_seconds'], 2)} "
            f"| {_f(sum(circular['node_cpu_seconds'].values()), 1)} "
            f"| {', '.join(f'{k}: {v}' for k, v in sorted(circular['by_status'].items()))} |",
            "",
        ]
    big = results.get("big_attachment")
    if big:
        lines += [
            f"### One letter with a {big['megabytes']} MiB attachment A → B "
            f"(delivered in {_f(big['receipt_ms'] / 1000, 1)} s)",
            "",
            f"Files of the copy received on B (bytes): {big['received_file_sizes']}",
            "",
            "| process | baseline RSS MiB | peak RSS MiB | growth MiB |",
            "|---|---:|---:|---:|",
        ]
        for name, row in big["processes"].items():
            lines.append(
                f"| {name} | {_f(row['baseline_mib'])} | {_f(row['peak_mib'])} "
                f"| {_f(row['growth_mib'])} |"
            )
        lines.append("")
    return "\n".join(lines)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # The nodes run in sessions of their own: a bench stopped from outside (a timeout, CI) must
    # unwind its `with two_nodes(...)` and stop them, or their workers outlive it and take
    # tasks from the next run's brokers.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(prog="python -m bench.exchange", description=__doc__)
    parser.add_argument("--letters", type=int, default=100, help="4 KB letters per run")
    parser.add_argument(
        "--rate", type=float, default=50.0, help="send rate of the paced run (letters/s)"
    )
    parser.add_argument("--big-mb", type=int, default=200, help="size of the big attachment")
    parser.add_argument("--iterations", type=int, default=200, help="sign/verify iterations")
    parser.add_argument(
        "--mb-letters", type=int, default=None, help="letters with a 1 MB attachment (0: skip)"
    )
    parser.add_argument(
        "--circular",
        type=int,
        default=1000,
        help="hosted agencies that receive one circular (0: skip)",
    )
    parser.add_argument(
        "--circular-keys", choices=["ec", "rsa"], default="ec", help="key type of those agencies"
    )
    parser.add_argument(
        "--worker-concurrency",
        type=int,
        default=1,
        help="Celery worker processes per node (1: solo pool; more: prefork pool)",
    )
    parser.add_argument(
        "--web",
        choices=["runserver", "gunicorn"],
        default="runserver",
        help="web server of each node (gunicorn: 2 sync workers)",
    )
    parser.add_argument("--timeout", type=float, default=600, help="bound on each wait (s)")
    parser.add_argument("--out", type=Path, default=None, help="write results (.json or .md)")
    parser.add_argument(
        "--skip", action="append", default=[], choices=["sign", "exchange", "big", "circular"]
    )
    options = parser.parse_args(argv)
    mb_letters = options.mb_letters if options.mb_letters is not None else min(10, options.letters)

    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "arguments": {k: str(v) for k, v in vars(options).items()},
        "backend": {
            "database": "postgresql" if os.environ.get("DATABASE_URL") else "sqlite",
            "broker": "redis" if os.environ.get("CELERY_BROKER_URL") else "filesystem",
            "web": options.web,
            "worker_concurrency": options.worker_concurrency,
            "debug": False,
            "conn_max_age": 60,
        },
    }
    if "sign" not in options.skip:
        print(f"sign + verify: {options.iterations} iterations …", file=sys.stderr)
        results["sign_verify"] = bench_sign_verify(options.iterations)
    if options.circular <= 0:
        options.skip.append("circular")
    if not {"exchange", "big", "circular"} <= set(options.skip):
        from tests.e2e.harness import two_nodes

        with (
            tempfile.TemporaryDirectory(prefix="bench-exchange-") as base,
            two_nodes(
                Path(base),
                worker_concurrency=options.worker_concurrency,
                web_server=options.web,
                # As production runs (docs/operations.md): no SQL kept for debugging, and
                # database connections reused instead of opened for every request and task.
                DEBUG="0",
                CONN_MAX_AGE="60",
            ) as nodes,
        ):
            runs = []
            if "exchange" not in options.skip:
                print(f"exchange: {options.letters} letters, burst …", file=sys.stderr)
                runs.append(
                    bench_exchange(
                        nodes,
                        label="4 KB, burst",
                        letters=options.letters,
                        rate=0,
                        timeout=options.timeout,
                    )
                )
                print(
                    f"exchange: {options.letters} letters queued, then drained …", file=sys.stderr
                )
                runs.append(
                    bench_exchange(
                        nodes,
                        label="4 KB, queued then drained",
                        letters=options.letters,
                        rate=0,
                        timeout=options.timeout,
                        queued=True,
                    )
                )
                print(f"exchange: {options.letters} letters at {options.rate}/s …", file=sys.stderr)
                runs.append(
                    bench_exchange(
                        nodes,
                        label=f"4 KB, paced {options.rate:g}/s",
                        letters=options.letters,
                        rate=options.rate,
                        timeout=options.timeout,
                    )
                )
                if mb_letters > 0:
                    print(f"exchange: {mb_letters} letters with 1 MB …", file=sys.stderr)
                    runs.append(
                        bench_exchange(
                            nodes,
                            label="+ 1 MB attachment, burst",
                            letters=mb_letters,
                            rate=0,
                            attach_bytes=1024 * 1024,
                            timeout=options.timeout,
                        )
                    )
            results["exchange"] = runs
            if "circular" not in options.skip:
                print(f"circular: {options.circular} hosted agencies …", file=sys.stderr)
                results["circular"] = bench_circular(
                    nodes,
                    count=options.circular,
                    key_kind=options.circular_keys,
                    timeout=options.timeout,
                )
            if "big" not in options.skip:
                print(f"big attachment: {options.big_mb} MiB …", file=sys.stderr)
                results["big_attachment"] = bench_big_attachment(
                    nodes, options.big_mb, options.timeout
                )
            results["worker_tasks"] = {
                name: worker_task_seconds(node) for name, node in nodes.items()
            }
    table = markdown(results)
    print(table)
    if options.out:
        if options.out.suffix == ".json":
            options.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        else:
            options.out.write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
