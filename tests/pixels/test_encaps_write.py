"""encapsulate / encapsulate_extended: the same bytes as pydicom.encaps for the same frames;
generate_frames / get_frame: the same frames as pydicom's for well-formed data."""
from __future__ import annotations

import numpy as np
import pytest
from pydicom import encaps as pydicom_encaps

from dcmfast.errors import PixelDataError
from dcmfast.pixels import encaps, encapsulate, encapsulate_extended, generate_frames, get_frame

from .conftest import pydicom  # noqa: F401 - skips without pydicom


def _frames(rng: np.random.Generator, lengths: list[int]) -> list[bytes]:
    return [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in lengths]


LENGTHS = [[], [2], [1], [3, 4, 5], [10, 11, 12, 13, 14], [1000, 999], [7] * 9, [2**16 + 1, 3]]


@pytest.mark.parametrize("lengths", LENGTHS, ids=str)
@pytest.mark.parametrize("has_bot", [True, False])
@pytest.mark.parametrize("fragments", [1, 2, 3, 4])
def test_encapsulate_same_bytes(lengths, has_bot, fragments):
    frames = _frames(np.random.default_rng(len(lengths) + fragments), lengths)
    try:
        expected = pydicom_encaps.encapsulate(frames, fragments_per_frame=fragments, has_bot=has_bot)
    except ValueError:  # too many fragments for a frame
        with pytest.raises(ValueError, match="Too many fragments"):
            encapsulate(frames, fragments_per_frame=fragments, has_bot=has_bot)
        return
    assert encapsulate(frames, fragments_per_frame=fragments, has_bot=has_bot) == expected


def test_encapsulate_other_buffers():
    frames = _frames(np.random.default_rng(1), [5, 6, 9])
    expected = pydicom_encaps.encapsulate(frames)
    assert encapsulate([bytearray(f) for f in frames]) == expected
    assert encapsulate([memoryview(f) for f in frames]) == expected
    assert encapsulate([np.frombuffer(f, np.uint8) for f in frames]) == expected


@pytest.mark.parametrize("lengths", [n for n in LENGTHS if n], ids=str)
def test_encapsulate_extended_same_bytes(lengths):
    frames = _frames(np.random.default_rng(len(lengths)), lengths)
    assert encapsulate_extended(frames) == pydicom_encaps.encapsulate_extended(frames)


def test_encapsulate_extended_needs_frames():
    with pytest.raises(ValueError, match="No frames"):
        encapsulate_extended([])


def test_fragments_must_hold_two_bytes():
    with pytest.raises(ValueError, match="Too many fragments"):
        encapsulate([b"\x01\x02\x03"], fragments_per_frame=3)
    with pytest.raises(ValueError, match="Too many fragments"):
        encapsulate([b""])
    with pytest.raises(ValueError, match="Too many fragments"):
        encapsulate([b"\x01\x02"], fragments_per_frame=0)


def test_basic_offset_table_limit(monkeypatch):
    frames = [b"\x00" * 100] * 3
    monkeypatch.setattr(encaps, "_MAX_OFFSET", 215)  # (3 - 1) * 8 + 200 = 216 bytes before the last
    with pytest.raises(ValueError, match="Basic Offset Table"):
        encapsulate(frames)
    assert encapsulate(frames, has_bot=False) == pydicom_encaps.encapsulate(frames, has_bot=False)
    monkeypatch.setattr(encaps, "_MAX_OFFSET", 216)
    assert encapsulate(frames) == pydicom_encaps.encapsulate(frames)


def test_round_trip_through_the_reader():
    frames = _frames(np.random.default_rng(5), [11, 20, 7])
    for data in (encapsulate(frames), encapsulate(frames, has_bot=False)):
        located = encaps.locate_frames(memoryview(data), 3)
        assert [bytes(f.data) for f in located] == [f + b"\x00" * (len(f) % 2) for f in frames]
    data, offsets, lengths = encapsulate_extended(frames)
    located = encaps.locate_frames(memoryview(data), 3, (offsets, lengths))
    assert [bytes(f.data) for f in located] == [f + b"\x00" * (len(f) % 2) for f in frames]


@pytest.mark.parametrize("lengths", [n for n in LENGTHS if n], ids=str)
@pytest.mark.parametrize("layout", ["bot", "no bot", "extended", "extended lists"])
def test_generate_frames_as_pydicom(lengths, layout):
    frames = _frames(np.random.default_rng(len(lengths)), lengths)
    kwargs: dict = {}
    if layout.startswith("extended"):
        data, offsets, sizes = encapsulate_extended(frames)
        if layout == "extended lists":
            offsets = list(np.frombuffer(offsets, "<u8").tolist())
            sizes = list(np.frombuffer(sizes, "<u8").tolist())
        kwargs["extended_offsets"] = (offsets, sizes)
    else:
        data = encapsulate(frames, has_bot=layout == "bot")
        kwargs["number_of_frames"] = len(frames)
    expected = list(pydicom_encaps.generate_frames(data, **kwargs))
    assert expected == [f + b"\x00" * (len(f) % 2) for f in frames]  # the oracle agrees
    assert list(generate_frames(data, **kwargs)) == expected
    for i in range(len(frames)):
        assert get_frame(data, i, **kwargs) == pydicom_encaps.get_frame(data, i, **kwargs)
    with pytest.raises(PixelDataError):
        get_frame(data, len(frames), **kwargs)


def test_generate_frames_without_count():
    frames = _frames(np.random.default_rng(9), [4, 6, 8])
    with_bot = encapsulate(frames)
    assert list(generate_frames(with_bot)) == list(pydicom_encaps.generate_frames(with_bot))
    one = encapsulate(frames[:1], has_bot=False)
    assert list(generate_frames(one)) == list(pydicom_encaps.generate_frames(one))
    several = encapsulate(frames, has_bot=False)
    with pytest.raises(ValueError, match="frame boundaries"):
        list(pydicom_encaps.generate_frames(several))
    with pytest.raises(ValueError, match="frame boundaries"):
        list(generate_frames(several))
