"""Trust anchors, agency certificates and keys, CRLs, and the certificate checks.

``issuing``, ``certificates`` and ``validation`` are pure (no ORM): the envelope verifier and
the tests import them without a database. ``keystore``, ``selectors`` and ``services`` use it.
"""
