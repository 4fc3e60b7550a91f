"""Tests of the sync core: mapping and three-way merge."""
