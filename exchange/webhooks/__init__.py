"""Webhooks: agencies' own systems hear about incoming letters and delivery steps by HTTP POST.

``models`` (subscriptions, queued events, attempts), ``services`` (subscribe, emit, deliver,
redrive, sweep), ``selectors`` (reads scoped by agency), ``signing`` (HMAC headers; also what a
receiver runs), ``events`` (payloads built from letters and deliveries). docs/webhooks.md.
"""
