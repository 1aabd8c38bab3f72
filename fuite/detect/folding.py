"""The text fold, re-exported for the detect modules that still import it from here (see ``fuite.text.fold``)."""

from fuite.text.fold import fold, fold_column, fold_header

__all__ = ["fold", "fold_header", "fold_column"]
