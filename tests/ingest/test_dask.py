"""dcmfast.dask.read_index: the same frame as the single-process reader, on local schedulers
and on a dask.distributed LocalCluster."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

import dcmfast.dask as dcmdask  # noqa: E402
from dcmfast import ingest  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")

TAGS = list(ingest.DEFAULT_TAGS) + ["SliceThickness", "ImageType"]


def _single(inputs) -> pd.DataFrame:
    return ingest.read_table(inputs, tags=TAGS, workers=1).to_pandas(types_mapper=pd.ArrowDtype)


@pytest.fixture
def inputs(tmp_path, ct_folder):
    (tmp_path / "bad.dcm").write_bytes(b"not dicom")
    return [str(ct_folder / "**" / "*.dcm"), tmp_path / "bad.dcm", ct_folder / "patient1"]


def test_local_schedulers(inputs):
    import dask

    expected = _single(inputs)
    frame = dcmdask.read_index(inputs, tags=TAGS, partition_size=7)
    assert frame.npartitions == 5
    assert list(frame.columns) == list(expected.columns)
    for scheduler in ("sync", "threads"):
        with dask.config.set(scheduler=scheduler):
            got = frame.compute().reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected)
    modalities = frame[frame.error_type.isna()].Modality.value_counts().compute()
    assert modalities.sum() == 30


def test_empty(tmp_path):
    frame = dcmdask.read_index(str(tmp_path / "*.dcm"), tags=TAGS)
    assert len(frame.compute()) == 0
    assert list(frame.columns) == list(dcmdask.meta_frame(TAGS).columns)


def test_distributed_cluster(inputs, monkeypatch):
    distributed = pytest.importorskip("distributed")
    # the worker processes import dcmfast from the same place as this process
    src = str(Path(ingest.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    expected = _single(inputs)
    frame = dcmdask.read_index(inputs, tags=TAGS, partition_size=8)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        got = frame.compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)
