"""fuite: respond to a health-data leak, from the leaked files to every person informed."""

__version__ = "0.1.0"
