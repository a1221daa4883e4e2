"""Linli (邻里): a county's urban community neighborhood centers, one station and many points."""

__version__ = "0.1.0"
