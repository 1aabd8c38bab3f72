"""fuite.notify: the CNIL draft (art. 33) and one notice per person (art. 34), sent exactly once.

Case file: :mod:`fuite.store.casefile`; CNIL draft: :mod:`fuite.notify.cnil`; notices:
:mod:`fuite.notify.notice`, :mod:`fuite.notify.letters`, :mod:`fuite.notify.smtp`; the run and its
exactly-once ledger: :mod:`fuite.notify.persons`, :mod:`fuite.notify.ledger`; bounces: :mod:`fuite.notify.bounces`.
"""
