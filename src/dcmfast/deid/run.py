"""Batch de-identification: many files in, a de-identified tree out.

``Deidentifier.process(inputs, out_dir, ...)`` (and ``dcmfast deid``) runs this module's
:func:`process`. Per file: read it (damaged or unreadable input is reported, nothing is
written), set it aside if its pixels need review (``quarantine_reason``), de-identify it
through the splice fast path (``splice.py``; the facade path when the fast path declines)
and write it atomically (a temporary file renamed into place: no partial output ever
exists). The parent process alone writes the journal, the audit log and the quarantine
log, in input order, so they do not depend on the number of workers.

Resuming: ``OUT/.dcmfast-deid-journal.jsonl`` gets one line per finished input (the
SHA-256 of its absolute path and whether it was written or quarantined) after its output
is in place. A rerun skips the inputs the journal lists; an input whose output was
renamed into place but not yet journaled when the run was killed is done again, which
gives the same bytes (the mapping depends only on the key). The journal's first line
records the key's fingerprint (an HMAC, not the key), the options and the layout: a rerun
with others is refused rather than mixing two mappings in one folder.

Nothing written here holds an original value: the journal and the audit log name inputs
by the hash of their path, elements by tag, and failures by our own reason texts.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..errors import DeidentificationError

__all__ = ["Summary", "process", "run_chunk", "list_inputs", "key_id", "JOURNAL_NAME", "KEY_FILE_NAME",
           "QUARANTINE_LOG_NAME"]

logger = logging.getLogger("dcmfast.deid")

JOURNAL_NAME = ".dcmfast-deid-journal.jsonl"
KEY_FILE_NAME = "deid.key"
QUARANTINE_LOG_NAME = "quarantine.jsonl"
PROFILE = "PS3.15 Annex E Basic Application Confidentiality Profile"
LAYOUTS = ("mirror", "uids")
_CHUNK = 32  # files per task
_TMP_SUFFIX = ".dcmfast-tmp"  # filewriter._write_atomic's temporary files
_CLOSED = {"closed": True}  # the journal's line at the end of a run
_IDS = (0x00100020, 0x0020000D, 0x0020000E, 0x00080018)  # PatientID, Study, Series, SOP Instance UID
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_DICOMDIR = "1.2.840.10008.1.3.10"  # Media Storage Directory Storage


@dataclass
class Summary:
    """What a run did (:meth:`Deidentifier.process` returns it).

    Attributes
    ----------
    total : int
        Inputs found.
    written : int
        Written to the output folder.
    skipped : int
        Finished by an earlier run (resume).
    quarantined : int
        Written to the quarantine folder, or nowhere (pixels need review).
    failed : int
        Unreadable or damaged inputs (not written).
    cleaned : int
        Files whose pixels were cleaned by the ``pixel_cleaning`` rules (written or
        quarantined).
    seconds : float
        The run's wall time.
    failures, quarantined_files : list of (str, str)
        (input path, reason) of the failed and the quarantined inputs.
    """

    total: int = 0
    written: int = 0
    skipped: int = 0  # finished by an earlier run (resume)
    quarantined: int = 0
    failed: int = 0
    cleaned: int = 0  # pixels cleaned by the pixel_cleaning rules (written or quarantined)
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)
    quarantined_files: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every input was de-identified and written (none failed or was quarantined)."""
        return self.failed == 0 and self.quarantined == 0

    def line(self) -> str:
        """The one-line summary: counts, seconds and files per second."""
        rate = (self.written + self.quarantined) / self.seconds if self.seconds > 0 else 0.0
        cleaned = f" ({self.cleaned} with pixels cleaned)" if self.cleaned else ""
        return (f"{self.total} files: {self.written} written{cleaned}, {self.skipped} already done, "
                f"{self.quarantined} quarantined, {self.failed} failed ({self.seconds:.1f} s, "
                f"{rate:.0f} files/s)")


def key_id(key: bytes) -> str:
    """A fingerprint of a key that tells keys apart without revealing them."""
    return hmac.new(key, b"dcmfast-deid-key-id", hashlib.sha256).hexdigest()[:16]


def _rules_id(rules: list[Any]) -> str:
    """A fingerprint of pixel cleaning rules (a journal made with other rules is refused)."""
    text = json.dumps([[r.manufacturer, r.model, r.rows, r.columns, r.rectangles] for r in rules])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _reason(exc: BaseException) -> str:
    """One line saying why (for the caller: it may name a tag, never goes to the logs)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return " ".join(str(exc).split()) or type(exc).__name__


def _path_hash(path: str) -> str:
    return hashlib.sha256(os.fsencode(path)).hexdigest()


# -- inputs ---------------------------------------------------------------------------


def list_inputs(inputs: Any, skip: Iterable[str | os.PathLike[str]] = ()
                ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(files, missing): every file as (absolute path, path relative to the inputs' common
    folder), folders walked in sorted order; inputs that do not exist as (path, reason).
    The folders and files in `skip` (the output folders, the audit log) are left out."""
    if isinstance(inputs, (str, bytes, os.PathLike)):
        inputs = [inputs]
    skip_real = {os.path.realpath(s) for s in skip}
    roots: list[tuple[str, bool]] = []
    missing: list[tuple[str, str]] = []
    for item in inputs:
        path = os.path.abspath(os.fsdecode(os.fspath(item)))
        if os.path.isdir(path):
            roots.append((path, True))
        elif os.path.isfile(path):
            roots.append((path, False))
        elif os.path.lexists(path):
            missing.append((os.fsdecode(os.fspath(item)), "not a regular file or folder"))
        else:
            missing.append((os.fsdecode(os.fspath(item)), "No such file or directory"))
    if not roots:
        return [], missing
    base = os.path.commonpath([p if is_dir else os.path.dirname(p) for p, is_dir in roots])
    files: list[tuple[str, str]] = []
    seen: set[str] = set()
    prefix = base.rstrip(os.sep) + os.sep
    cut = len(prefix)
    for path, is_dir in roots:
        found = _walk(path, skip_real) if is_dir else iter([path])
        for f in found:
            if f not in seen:
                seen.add(f)
                files.append((f, f[cut:] if f.startswith(prefix) else os.path.relpath(f, base)))
    return files, missing


def _walk(folder: str, skip: set[str]) -> Iterator[str]:
    skip_names = {os.path.basename(s) for s in skip}
    for top, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if os.path.realpath(os.path.join(top, d)) not in skip)
        for name in sorted(names):
            if name.endswith(_TMP_SUFFIX):
                continue
            path = os.path.join(top, name)
            if name in skip_names and os.path.realpath(path) in skip:
                continue  # the audit log, if written inside an input folder
            yield path


# -- one file -------------------------------------------------------------------------


def _component(text: Any) -> str:
    s = _UNSAFE.sub("_", str(text or "").strip(" \0"))[:64]
    return "_" if s in ("", ".", "..") else s


class _Job:
    """What a worker needs: the engine, the folders, the caches (one per process)."""

    def __init__(self, config: dict[str, Any]) -> None:
        from .engine import Deidentifier

        self.config = config
        self.deid = Deidentifier(config["options"], key=config["key"], uid_root=config["uid_root"],
                                 safe_private=config["safe_private"],
                                 pixel_cleaning=config.get("pixel_rules"))
        self.out_dir: str = config["out_dir"]
        self.quarantine_dir: str | None = config["quarantine_dir"]
        self.layout: str = config["layout"]
        self.clean_pixels: Callable[..., Any] | None = config["clean_pixels"]
        self.audit: bool = config["audit"]
        self.made: set[str] = set()
        self.plans: dict[bytes, str] = {}
        self.head = ',"profile":' + json.dumps(PROFILE) + ',"options":' + json.dumps(list(self.deid.options))

    def run(self, chunk: list[tuple[str, str]]) -> list[tuple[Any, ...]]:
        return [self.one(path, rel) for path, rel in chunk]

    def one(self, path: str, rel: str) -> tuple[Any, ...]:
        """(status, input hash, output path relative to its folder, reason, audit line,
        quarantine line, pixels cleaned); status: "written", "quarantined" or "failed"."""
        import dcmfast

        from .._core import writer as cw
        from .quarantine import quarantine_reason

        h = _path_hash(path)
        try:
            ds = dcmfast.dcmread(path)
        except OSError as exc:
            return self._failed(h, exc.strerror or type(exc).__name__, "unreadable")
        except Exception as exc:
            return self._failed(h, _reason(exc), "unreadable")
        damage = self._damage(ds, cw)
        if damage is not None:
            return self._failed(h, damage, "damaged")
        meta = getattr(ds, "file_meta", None)
        sop_class = meta.get(0x00020002) if meta is not None else None
        if sop_class is not None and str(sop_class.value).strip(" \0") == _DICOMDIR:
            return self._failed(h, "a DICOMDIR (its records name the input files): not de-identified; "
                                "make a new one for the output", "DICOMDIR")
        rules: list[int] = []
        try:
            why = quarantine_reason(ds)
            if why is not None and self.deid.pixel_cleaner is not None:
                rules = self.deid.clean_pixels(ds)  # Burned In Annotation is then NO
                if rules:
                    why = quarantine_reason(ds)  # e.g. Recognizable Visual Features YES
            if why is not None and self.clean_pixels is not None:
                cleaned = self.clean_pixels(ds, why)
                if cleaned is not None:
                    ds, why = cleaned, None
            folder = self.out_dir if why is None else self.quarantine_dir
            if folder is None:  # quarantined, written nowhere
                return ("quarantined", h, None, why,
                        self._audit(h, "quarantined", None, None, why, rules), None, bool(rules))
            chunks, actions, ids = self._deidentify(ds, bool(rules))
            out_rel = self._out_rel(rel, ids)
            written = self._write(folder, out_rel, chunks)
            if written is not None:
                return self._failed(h, written, "output exists")
        except Exception as exc:
            logger.debug("de-identification failed", exc_info=True)
            return self._failed(h, f"{type(exc).__name__}: {_reason(exc)}", type(exc).__name__)
        if why is None:
            return ("written", h, out_rel, None, self._audit(h, "written", out_rel, actions, None, rules),
                    None, bool(rules))
        qline = json.dumps({"in": h, "out": out_rel, "reason": why}) + "\n"
        return ("quarantined", h, out_rel, why, self._audit(h, "quarantined", out_rel, actions, why, rules),
                qline, bool(rules))

    def _failed(self, h: str, reason: str, audit_reason: str) -> tuple[Any, ...]:
        return ("failed", h, None, reason, self._audit(h, "failed", None, None, audit_reason), None, False)

    @staticmethod
    def _damage(ds: Any, cw: Any) -> str | None:
        for index in (ds._view.index if ds._view is not None else None,
                      ds.file_meta._view.index if getattr(ds, "file_meta", None) is not None
                      and ds.file_meta._view is not None else None):
            if index is None:
                continue
            if index.warnings or index.truncation is not None or cw.first_damaged(index) >= 0:
                return "damaged: an element or item is cut short or does not parse"
        view = ds._view
        if view is not None:
            index = view.index
            if not index.stopped_early and index.stop_offset < len(index.buffer):
                return "damaged: the data set ends inside an element header"
        return None

    def _deidentify(self, ds: Any, pixels_cleaned: bool = False,
                    ) -> tuple[list[Any], str | None, tuple[Any, ...]]:
        from ..filewriter import dcmwrite_bytes
        from .engine import _Apply, format_path
        from .splice import plan_records, splice_file

        deid = self.deid
        fast = None if pixels_cleaned else splice_file(deid, ds)
        if fast is not None:
            plan: bytes | bytearray
            chunks, plan = fast
            actions = None
            if self.audit:
                plan = bytes(plan)
                actions = self.plans.get(plan)
                if actions is None:
                    actions = json.dumps(dict(plan_records(plan)), separators=(",", ":"))
                    if len(self.plans) < 4096:
                        self.plans[plan] = actions
            ids: tuple[Any, ...] = ()
            if self.layout == "uids":
                apply = _Apply(deid, 0)
                values: list[Any] = []
                for tag in _IDS:
                    elem = ds.get(tag)
                    if elem is None:
                        values.append(None)
                        continue
                    act = deid._element_action(elem)
                    values.append(elem.value if act == "K" else None if act in "XZ"
                                  else apply.value(elem, tag, elem.VR, act))
                ids = tuple(values)
            return chunks, actions, ids
        entries: list[Any] = []
        out = deid.deidentify(ds, in_place=True, plan=entries, pixels_cleaned=pixels_cleaned)
        actions = (json.dumps({format_path(e): e.action for e in entries}, separators=(",", ":"))
                   if self.audit else None)
        ids = tuple(out.get(tag).value if out.get(tag) is not None else None for tag in _IDS)
        return [dcmwrite_bytes(out)], actions, ids

    def _out_rel(self, rel: str, ids: tuple[Any, ...]) -> str:
        if self.layout == "mirror":
            return rel
        patient, study, series, sop = (_component(v) for v in ids)
        return os.path.join(patient, study, series, sop + ".dcm")

    def _write(self, folder: str, rel: str, chunks: list[Any]) -> str | None:
        path = os.path.join(folder, rel)
        parent, name = os.path.split(path)
        if parent not in self.made:
            os.makedirs(parent, exist_ok=True)
            self.made.add(parent)
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        try:
            _write_new(parent, name, path, data)
        except FileExistsError:
            with open(path, "rb") as f:
                if f.read() == b"".join(chunks):
                    return None  # the same output (done again after a crash)
            return (f"output {rel} exists with other content (two inputs with one output name, "
                    "or an earlier run into this folder)")
        return None

    def _audit(self, h: str, status: str, out_rel: str | None, actions: str | None,
               reason: str | None, rules: list[int] | None = None) -> str | None:
        if not self.audit:
            return None
        parts = ['{"in":"', h, '","status":"', status, '"']
        if out_rel is not None:
            parts += [',"out":', json.dumps(out_rel)]
        if reason is not None:
            parts += [',"reason":', json.dumps(reason)]
        if status != "failed":
            parts.append(self.head)
        if rules:
            parts += [',"pixels":"pixels cleaned","rules":', json.dumps(rules)]
        if actions is not None:
            parts += [',"actions":', actions]
        parts.append("}\n")
        return "".join(parts)


_TMP_COUNTER = itertools.count()
_TMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def _write_new(folder: str, name: str, path: str, data: Any) -> None:
    """Write `data` to a new file `path` atomically (FileExistsError if `path` exists): a
    temporary file beside it (named as ``filewriter._write_atomic`` names them, so a rerun
    removes one a crash left), linked to `path` and unlinked. ``_write_atomic`` with fewer
    system calls: no look-up of the target first (the link refuses an existing one), no
    mode to carry over (the target is new), one unbuffered write. (An unnamed O_TMPFILE
    file linked through /proc/self/fd would save the unlink, but that link fails with
    EXDEV in some sandboxes, this machine's included.)"""
    pid = os.getpid()
    while True:
        tmp = f"{folder}{os.sep}.{name}.{pid}.{next(_TMP_COUNTER)}{_TMP_SUFFIX}"
        try:
            fd = os.open(tmp, _TMP_FLAGS, 0o666)  # the umask applies, as with open()
            break
        except FileExistsError:
            continue
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.link(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    os.unlink(tmp)


def _write_all(fd: int, data: Any) -> None:
    view = memoryview(data)
    while view.nbytes:
        view = view[os.write(fd, view):]


_WORKER_JOB: _Job | None = None


_FORKED: dict[str, _Job] = {}  # the parent's job of a run, for its forked workers


def _init_worker(config: dict[str, Any], token: str) -> None:
    global _WORKER_JOB
    job = _FORKED.get(token)  # forked: the parent's job, its caches warm
    _FORKED.clear()
    _WORKER_JOB = job if job is not None else _Job(config)


def _run_in_worker(chunk: list[tuple[str, str]]) -> list[tuple[Any, ...]]:
    assert _WORKER_JOB is not None
    return _WORKER_JOB.run(chunk)


_JOBS: dict[tuple[Any, ...], _Job] = {}


def run_chunk(config: dict[str, Any], chunk: list[tuple[str, str]]) -> list[tuple[Any, ...]]:
    """One task of a distributed run (``dcmfast.dask.deidentify``): a chunk's results. The
    job of a config is kept for the next task in the same worker (warm caches)."""
    ident = (key_id(config["key"]), tuple(config["options"]), config["uid_root"], config["out_dir"],
             config["quarantine_dir"], config["layout"], config["audit"], tuple(config["safe_private"]),
             tuple(config.get("pixel_rules") or ()))
    job = _JOBS.get(ident)
    if job is None or job.clean_pixels is not config["clean_pixels"]:
        if len(_JOBS) > 8:
            _JOBS.clear()
        job = _JOBS[ident] = _Job(config)
    return job.run(chunk)


def _process_context() -> Any:
    """``fork`` where there is one (Linux): a worker starts with this process's modules and
    warm caches in a few milliseconds (Python 3.14 makes forkserver the default, which
    imports everything again in each worker)."""
    import multiprocessing

    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return None


def _shared(make_executor: Callable[[], Executor], remote: Callable[[Any], Any],
            local: Callable[[Any], Any], chunks: list[Any], ahead: int) -> Iterator[Any]:
    """Every chunk's results, in order, from this process and the workers of the executor
    `make_executor` gives: this process is one of the workers. It does the first chunk
    before the executor starts (a forked worker starts with its warm caches); then it keeps
    `ahead` chunks handed to the executor and, while the next result in order is still
    being made there, does the next chunk itself. Results wait to be given in order for at
    most `ahead` chunks."""
    n = len(chunks)
    yield local(chunks[0])
    if n - 1 < 2:  # not worth a worker
        for chunk in chunks[1:]:
            yield local(chunk)
        return
    executor = make_executor()
    futures: dict[int, Any] = {}
    mine: dict[int, Any] = {}
    nxt = given = 1
    while nxt < n:
        while given < n and len(futures) < ahead:
            futures[given] = executor.submit(remote, chunks[given])
            given += 1
        if nxt in mine:
            yield mine.pop(nxt)
            nxt += 1
            continue
        f = futures[nxt]
        if f.done() or given >= n:
            del futures[nxt]
            yield f.result()
            nxt += 1
            continue
        mine[given] = local(chunks[given])  # the next result is being made by a worker
        given += 1


# -- the journal ----------------------------------------------------------------------


def _read_journal(path: str, header: dict[str, Any]) -> tuple[set[str], bool]:
    """The hashes of the inputs a previous run finished, and whether that run ended (or
    was killed: then temporary files may be left); DeidentificationError if it ran with
    another key, options or layout."""
    done: set[str] = set()
    closed = True
    try:
        f = open(path, encoding="utf-8")
    except FileNotFoundError:
        return done, closed
    with f:
        first = True
        for line in f:
            closed = False
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line cut short by a crash
            if rec == _CLOSED:
                closed = True
                continue
            if first:
                first = False
                mismatch = [k for k in ("key_id", "options", "layout", "uid_root", "pixel_rules")
                            if rec.get(k) != header.get(k)]
                if mismatch:
                    what = "key" if "key_id" in mismatch else ", ".join(mismatch)
                    raise DeidentificationError(
                        f"{os.path.dirname(path)} holds the output of a run with another {what}: "
                        "use another output folder (or the same key and options)"
                    )
                continue
            if isinstance(rec, dict) and isinstance(rec.get("in"), str):
                done.add(rec["in"])
    return done, closed


def _remove_temporaries(folder: str) -> None:
    """Remove the temporary files of writes a killed run left (never a finished output)."""
    for top, _dirs, names in os.walk(folder):
        for name in names:
            if name.endswith(_TMP_SUFFIX) and name.startswith("."):
                try:
                    os.unlink(os.path.join(top, name))
                except OSError:
                    pass


def _open_append(path: str) -> Any:
    f = open(path, "a+b")
    if f.tell() > 0:
        f.seek(f.tell() - 1)
        if f.read(1) != b"\n":
            f.write(b"\n")  # end a line cut short by a crash
    return f


# -- the run --------------------------------------------------------------------------


def process(
    deid: Any,
    inputs: Any,
    out_dir: str | os.PathLike[str],
    *,
    workers: int | None = None,
    pool: str = "process",
    layout: str = "mirror",
    quarantine_dir: str | os.PathLike[str] | None = None,
    audit_log: str | os.PathLike[str] | None = None,
    resume: bool = True,
    clean_pixels: Callable[[Any, str], Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    mapper: Callable[[dict[str, Any], list[list[tuple[str, str]]]], Iterable[Any]] | None = None,
    chunk_size: int = _CHUNK,
) -> Summary:
    """De-identify every file of `inputs` into `out_dir`; see ``Deidentifier.process``.

    `mapper(config, chunks)`: another way to run the chunks (``dcmfast.dask``): it yields
    ``run_chunk(config, chunk)`` for each chunk, in order."""
    start = time.perf_counter()
    if layout not in LAYOUTS:
        raise DeidentificationError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    if pool not in ("process", "thread"):
        raise DeidentificationError(f"pool must be 'process' or 'thread', not {pool!r}")
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 1:
        raise DeidentificationError("workers must be at least 1")
    out = os.path.abspath(os.fspath(out_dir))
    quarantine = os.path.abspath(os.fspath(quarantine_dir)) if quarantine_dir is not None else None
    os.makedirs(out, exist_ok=True)
    if quarantine is not None:
        os.makedirs(quarantine, exist_ok=True)
    header = {"journal": 1, "key_id": key_id(deid.key), "options": list(deid.options), "layout": layout,
              "uid_root": deid.uid_root}
    if deid.pixel_cleaner is not None:  # cleaned outputs depend on the rules
        header["pixel_rules"] = _rules_id(deid.pixel_cleaner.rules)
    journal_path = os.path.join(out, JOURNAL_NAME)
    if not resume and os.path.exists(journal_path):
        os.unlink(journal_path)
    done, closed = _read_journal(journal_path, header)
    if not closed:  # the last run was killed: its temporary files may be left
        for folder in (out, quarantine):
            if folder is not None:
                _remove_temporaries(folder)
    skip = [p for p in (out, quarantine, audit_log) if p is not None]
    files, missing = list_inputs(inputs, skip)
    summary = Summary(total=len(files) + len(missing))
    for path, why in missing:
        summary.failed += 1
        summary.failures.append((path, why))
    todo = [(p, r) for p, r in files if _path_hash(p) not in done] if done else files
    summary.skipped = len(files) - len(todo)
    config = {"options": deid.options, "key": deid.key, "uid_root": deid.uid_root,
              "safe_private": sorted(deid._extra_safe), "out_dir": out, "quarantine_dir": quarantine,
              "layout": layout, "clean_pixels": clean_pixels, "audit": audit_log is not None,
              "pixel_rules": deid.pixel_cleaner.rules if deid.pixel_cleaner is not None else None}
    if chunk_size < 1:
        raise DeidentificationError("chunk_size must be at least 1")
    chunks = [todo[i:i + chunk_size] for i in range(0, len(todo), chunk_size)]
    journal = _open_append(journal_path)
    audit = open(audit_log, "a", encoding="utf-8") if audit_log is not None else None
    qlog = (open(os.path.join(quarantine, QUARANTINE_LOG_NAME), "a", encoding="utf-8")
            if quarantine is not None else None)
    made: list[Executor] = []  # the executor, once started
    token: str | None = None
    try:
        if journal.tell() == 0:
            journal.write((json.dumps(header) + "\n").encode())
        if mapper is not None:
            results: Iterator[list[tuple[Any, ...]]] = iter(mapper(config, chunks))
        elif workers == 1 or len(chunks) <= 1:
            job = _Job(config)
            results = map(job.run, chunks)
        else:
            job = _Job(config)
            if pool == "thread":
                def make() -> Executor:
                    made.append(ThreadPoolExecutor(workers - 1))
                    return made[0]
                remote = job.run
            else:
                token = os.urandom(8).hex()
                _FORKED[token] = job  # a forked worker takes it, caches warm

                def make() -> Executor:
                    made.append(ProcessPoolExecutor(workers - 1, mp_context=_process_context(),
                                                    initializer=_init_worker, initargs=(config, token)))
                    return made[0]
                remote = _run_in_worker
            results = _shared(make, remote, job.run, chunks, 2 * (workers - 1))
        finished = 0
        for chunk, chunk_results in zip(chunks, results, strict=True):
            lines = []
            for (path, _), result in zip(chunk, chunk_results, strict=True):
                status, h, _out, reason, audit_line, qline, cleaned = result
                summary.cleaned += cleaned
                if audit is not None and audit_line is not None:
                    audit.write(audit_line)
                if status == "failed":
                    summary.failed += 1
                    summary.failures.append((path, reason))
                    continue
                if status == "quarantined":
                    summary.quarantined += 1
                    summary.quarantined_files.append((path, reason))
                    if qline is not None and qlog is not None:
                        qlog.write(qline)
                else:
                    summary.written += 1
                lines.append(f'{{"in":"{h}","status":"{status}"}}\n')
            # the logs first, then the journal: a journaled input is never done again
            if audit is not None:
                audit.flush()
            if qlog is not None:
                qlog.flush()
            journal.write("".join(lines).encode())
            journal.flush()
            finished += len(chunk)
            if progress is not None:
                progress(finished, len(todo))
        journal.write((json.dumps(_CLOSED) + "\n").encode())
    finally:
        for executor in made:
            executor.shutdown(wait=True, cancel_futures=True)
        if token is not None:
            _FORKED.pop(token, None)
        journal.close()
        if audit is not None:
            audit.close()
        if qlog is not None:
            qlog.close()
    summary.seconds = time.perf_counter() - start
    return summary
