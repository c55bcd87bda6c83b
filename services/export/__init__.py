"""Export: one chat of the vault, read in batches, written as JSON, CSV or HTML documents."""

from services.export.args import parse_export_args
from services.export.models import ExportFile, ExportRequest, ExportResult
from services.export.service import ExportService

__all__ = ["ExportFile", "ExportRequest", "ExportResult", "ExportService", "parse_export_args"]
