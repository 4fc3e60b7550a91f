"""Tests of the client protocol code: MITS XML and the typed errors."""
