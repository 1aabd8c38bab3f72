"""The encrypted case: SQLCipher database, keyring, audit chain and its witness, purge."""

from fuite.store.case import Case, transaction
from fuite.store.keyring import Secret
from fuite.store.purge import purge
from fuite.store.session import Access, open_case

__all__ = ["Access", "Case", "Secret", "open_case", "purge", "transaction"]
