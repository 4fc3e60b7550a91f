"""Every `leadsync` command, one module each, on click (`root.leadsync` is the group).

This package's `__init__` imports nothing: the headless modules (`sync`, `status`, ...)
and `exit_codes` are imported from the core without pulling click's group or Textual.
"""
