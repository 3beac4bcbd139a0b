"""The generated table (src/dcmfast/deid/_table.py) is what tools/gen_deid_table.py makes of the
standard's JSON, and holds every row of it."""
from __future__ import annotations

import importlib.util
import json

import pytest
from deid_standard import JSON_PATH, ROOT

from dcmfast.deid import _table

GEN = ROOT / "tools" / "gen_deid_table.py"
needs_json = pytest.mark.skipif(not JSON_PATH.is_file(), reason="PS3.15 JSON not beside the repository")


def _generator():
    spec = importlib.util.spec_from_file_location("gen_deid_table", GEN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@needs_json
def test_generated_table_is_up_to_date():
    text = (ROOT / "src" / "dcmfast" / "deid" / "_table.py").read_text(encoding="utf-8")
    assert text == _generator().render(JSON_PATH.read_bytes()), "re-run tools/gen_deid_table.py"


@needs_json
def test_every_row_is_in_the_table():
    rows = json.loads(JSON_PATH.read_bytes())
    masked = {(v, m) for v, m, _, _ in _table.MASKED}
    for row in rows:
        tag = row["tag"].upper()
        opts = {k: v for k, v in row.items() if k.endswith("Opt")}
        if "GGGG" in tag:
            assert _table.PRIVATE == (row["basicProfile"], opts)
            continue
        text = tag[1:5] + tag[6:10]
        if "X" in text:
            key = (int(text.replace("X", "0"), 16), int("".join("0" if c == "X" else "F" for c in text), 16))
            assert key in masked
            continue
        assert _table.TABLE[int(text, 16)] == (row["basicProfile"], opts), tag
    assert len(_table.TABLE) + len(_table.MASKED) + 1 == len(rows)


def test_generator_rejects_unknown_codes():
    gen = _generator()
    bad = [{"tag": "(0010,0010)", "name": "x", "basicProfile": "Q", "id": "1", "stdCompIOD": "Y"}]
    with pytest.raises(ValueError, match="unexpected basic profile action"):
        gen.render(json.dumps(bad).encode())
