"""Tests of leadsync's widgets: the leads table, the sync status badge, their snapshots."""
