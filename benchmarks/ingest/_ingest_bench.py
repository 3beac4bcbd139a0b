"""Shared names of the ingest benchmarks (imported by conftest.py and the benchmark module)."""
from __future__ import annotations

N_FILES = 2000

#: The 16 tags of the ingest benchmarks.
BENCH_TAGS = [
    "PatientID", "PatientName", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
    "SOPClassUID", "Modality", "StudyDate", "SeriesDate", "StudyDescription", "SeriesDescription",
    "InstanceNumber", "Rows", "Columns", "ImagePositionPatient", "PixelSpacing",
]

RESULTS: dict[str, float] = {}


def record(benchmark, name: str, correct: bool | None = None) -> None:
    RESULTS[name] = benchmark.stats.stats.median
    benchmark.extra_info["per_file_us"] = round(benchmark.stats.stats.median / N_FILES * 1e6, 2)
    if correct is not None:
        benchmark.extra_info["correct"] = correct


