"""dcmfast.dask.deidentify on a two-worker dask.distributed LocalCluster (threads and
processes): the outputs, audit log and journal are byte for byte those of a single-process
Deidentifier.process run with the same key."""
from __future__ import annotations

import json

import pytest
from deid_study import make_study

from dcmfast.deid import Deidentifier
from dcmfast.deid.run import JOURNAL_NAME

distributed = pytest.importorskip("distributed")
dcmfast_dask = pytest.importorskip("dcmfast.dask")

KEY = b"dask-test-key-0123456789abcdefgh"
OPTIONS = ["retain_long_modified_dates", "clean_descriptors"]


def _tree(out):
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask-study")
    make_study(folder / "a", n=7)
    make_study(folder / "b", n=3)  # the same UIDs again: mirror names keep them apart
    return folder


@pytest.fixture(scope="module")
def reference(study, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "out"
    audit = out.parent / "audit.jsonl"
    summary = Deidentifier(OPTIONS, key=KEY).process(study, out, workers=1, audit_log=audit)
    assert summary.ok and summary.written == 12
    return _tree(out), audit.read_text()


@pytest.mark.parametrize("processes", [False, True])
def test_local_cluster_gives_the_single_process_bytes(study, reference, tmp_path, processes):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=processes,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        out = tmp_path / "out"
        audit = tmp_path / "audit.jsonl"
        summary = dcmfast_dask.deidentify(study, out, key=KEY, options=OPTIONS, audit_log=audit,
                                          partition_size=3)
    assert summary.ok and summary.written == 12 and summary.failed == 0
    assert _tree(out) == reference[0]
    assert audit.read_text() == reference[1]
    journal = [json.loads(line) for line in (out / JOURNAL_NAME).read_text().splitlines()]
    assert len(journal) == 12 + 2  # header, one line per input, the end of the run


def test_local_scheduler_and_resume(study, reference, tmp_path):
    out = tmp_path / "out"
    first = dcmfast_dask.deidentify(study, out, key=KEY, options=OPTIONS, scheduler="threads",
                                    partition_size=5)
    assert first.written == 12
    assert _tree(out) == reference[0]
    # as if killed after 4 inputs: the journal keeps its header and 4 lines
    journal = out / JOURNAL_NAME
    journal.write_text("".join(journal.read_text().splitlines(keepends=True)[:5]))
    second = dcmfast_dask.deidentify(study, out, key=KEY, options=OPTIONS, scheduler="threads")
    assert (second.written, second.skipped) == (8, 4)
    tree = _tree(out)
    assert tree.pop(JOURNAL_NAME) == reference[0][JOURNAL_NAME]  # the same lines, in input order
    assert tree == {k: v for k, v in reference[0].items() if k != JOURNAL_NAME}
