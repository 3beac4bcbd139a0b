"""``dcmfast volume INPUT... -o OUT.nii.gz`` (a series to NIfTI) and ``dcmfast png FILE -o
OUT.png`` (one frame to an 8-bit PNG)."""
from __future__ import annotations

import argparse
from typing import Any

from ._common import EXIT_OK, EXIT_USAGE, CliError, positive_int, progress_bar, reason

VOLUME_EPILOG = """\
examples:
  dcmfast volume ~/scans/ct -o ct.nii.gz             one series (a folder, walked)
  dcmfast volume ~/scans -o ct.nii.gz --series 1.2.3  pick a series among several
  dcmfast volume *.dcm -o ct.nii --resample-tilt     resample a gantry tilt away

The slices are sorted by position along the slice normal; a missing slice, a duplicate
position or an inconsistent series is an error naming the files.
exit status: 0 written, 1 the inputs do not make a volume (the reason on stderr), 2 usage error
"""

PNG_EPILOG = """\
examples:
  dcmfast png CT_small.dcm -o ct.png                 the file's first window (or its range)
  dcmfast png CT_small.dcm -o ct.png --window 40,400 window centre 40, width 400
  dcmfast png cine.dcm -o f3.png --frame 3           frame 3 (counted from 0)

exit status: 0 written, 1 the file could not be read or written, 2 usage error
"""


def _window(text: str) -> tuple[float, float]:
    try:
        c, w = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected CENTER,WIDTH (two numbers), not {text!r}") from None
    if not w > 0:
        raise argparse.ArgumentTypeError(f"the width must be positive, not {w:g}")
    return c, w


def _frame(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, not {value}")
    return value


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "volume", help="stack a series of slices into a NIfTI volume",
        description="Read one series (files, folders) into a volume, checking its geometry, "
        "and write it as NIfTI (RAS, as NIfTI readers expect). Needs nibabel "
        "(pip install 'dcmfast[nifti]').", epilog=VOLUME_EPILOG)
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="a DICOM file or a folder")
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="the NIfTI file to write (.nii or .nii.gz)")
    parser.add_argument("--series", metavar="UID", help="the Series Instance UID to read")
    parser.add_argument("--resample-tilt", action="store_true",
                        help="resample a gantry-tilted series onto an orthogonal grid")
    parser.add_argument("--keep-first-duplicate", action="store_true",
                        help="keep the first of slices at the same position (else an error)")
    parser.add_argument("--no-rescale", action="store_true",
                        help="keep the stored values (no Rescale Slope / Intercept)")
    parser.add_argument("--threads", type=positive_int, metavar="N",
                        help="files read and decoded at once (default: every CPU)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar on stderr (there is none when stderr is not a "
                        "terminal)")
    parser.set_defaults(func=run_volume)

    png = subparsers.add_parser(
        "png", help="write one frame of an image as an 8-bit PNG",
        description="Write one frame of FILE as an 8-bit PNG: grey images rescaled, windowed "
        "(the file's first window, or --window) and MONOCHROME1 inverted; colour kept. Needs "
        "Pillow (pip install 'dcmfast[png]').", epilog=PNG_EPILOG)
    png.add_argument("file", metavar="FILE", help="a DICOM image")
    png.add_argument("-o", "--output", required=True, metavar="OUT", help="the PNG file to write")
    png.add_argument("--window", type=_window, metavar="C,W", help="window centre and width")
    png.add_argument("--frame", type=_frame, metavar="N", help="the frame of a multi-frame image "
                     "(from 0; default 0)")
    png.set_defaults(func=run_png)


def _fail(exc: BaseException) -> CliError:
    if isinstance(exc, ImportError):
        return CliError(str(exc))
    return CliError(reason(exc))


def run_volume(args: argparse.Namespace) -> int:
    from ..errors import DcmfastError
    from ..volume import read_series

    out = args.output
    if not out.lower().endswith((".nii", ".nii.gz")):
        raise CliError(f"{out}: the output must end in .nii or .nii.gz", EXIT_USAGE)
    try:
        import nibabel  # noqa: F401 - checked before reading the series
    except ImportError:
        raise CliError("writing NIfTI needs nibabel: pip install 'dcmfast[nifti]'") from None
    try:
        with progress_bar(desc="volume", unit="slice", enabled=not args.no_progress) as bar:

            def advance(count: int, total: int) -> None:
                if bar.total != total:
                    bar.total = total
                    bar.refresh()
                bar.update(count)

            vol = read_series(args.inputs, series_uid=args.series, rescale=not args.no_rescale,
                              threads=args.threads, keep_first_duplicate=args.keep_first_duplicate,
                              resample_tilt=args.resample_tilt, progress=advance)
        vol.to_nifti(out)
    except (DcmfastError, OSError, ImportError) as exc:
        raise _fail(exc) from exc
    shape = " x ".join(str(n) for n in vol.array.shape)
    spacing = " x ".join(f"{s:.4g}" for s in vol.spacing)
    print(f"{out}: {shape} {vol.array.dtype} (slices x rows x columns), spacing {spacing} mm")
    if vol.tilt:
        what = "resampled to an orthogonal grid" if vol.resampled else \
            "the affine is sheared (--resample-tilt resamples)"
        print(f"{out}: gantry tilt of {vol.tilt:.3f} degrees, {what}")
    return EXIT_OK


def run_png(args: argparse.Namespace) -> int:
    from ..errors import DcmfastError
    from ..volume import to_png

    try:
        to_png(args.file, args.output, window=args.window, frame=args.frame)
    except (DcmfastError, OSError, ImportError) as exc:
        raise _fail(exc) from exc
    return EXIT_OK
