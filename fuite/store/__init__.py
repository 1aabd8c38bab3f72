"""The encrypted case: SQLCipher database, keyring, audit chain and purge."""

from fuite.store.case import Case
from fuite.store.purge import purge
from fuite.store.session import open_case

__all__ = ["Case", "open_case", "purge"]
