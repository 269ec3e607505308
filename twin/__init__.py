"""Community digital twin: a 3D operations view of a residential community."""

__version__ = "0.1.0"
