"""Exports of a discovery's backlog report (the Excel workbook)."""
from .xlsx import default_export_filename, write_backlog_workbook

__all__ = ["write_backlog_workbook", "default_export_filename"]
