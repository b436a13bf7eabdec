"""The sayso command line: a thin shell around sayso.pipeline."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import __version__
from .errors import BadOptionError, SaysoError
from .plan import ASPECTS, EXPRESSIONS, FPS_CHOICES, SIZES, VOICES

EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, the usual exit code 2
        self.exit(BadOptionError.exit_code, f"sayso: {message} (see 'sayso {self.prog.split()[-1]} --help')\n")


def _parser() -> argparse.ArgumentParser:
    top = _Parser(prog="sayso", description="One photo and one prompt -> a talking video, offline.")
    top.add_argument("--version", action="version", version=f"sayso {__version__}")
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)

    make = sub.add_parser("make", help="render a talking video from a photo and a prompt")
    make.add_argument("photo", help="the portrait (JPEG, PNG, WebP, ...)")
    make.add_argument("prompt", nargs="?", default="",
                      help="direction with the line to speak in quotes, e.g. \"She smiles and says 'Hello.'\"")
    make.add_argument("-o", "--output", help="the MP4 to write (default: PHOTO-NAME.mp4 here)")
    make.add_argument("--voice", choices=VOICES, help="voice (default: from she/he in the prompt, else male)")
    make.add_argument("--expression", choices=EXPRESSIONS, help="base expression (default: from the prompt)")
    make.add_argument("--face", type=int, metavar="N", help="which face in a group photo, 1 = leftmost (default: most prominent)")
    make.add_argument("--duration", type=float, metavar="S", help="clip length in seconds (default: the line's length, 5 s when silent)")
    make.add_argument("--size", choices=list(SIZES), help="output size (default 720p)")
    make.add_argument("--aspect", choices=ASPECTS, help="frame shape, cropped around the face (default: the photo's)")
    make.add_argument("--fps", type=int, choices=FPS_CHOICES, help="frames per second (default 24)")
    make.add_argument("--seed", type=int, help="seed for blinks, glances and sway; same seed, same frames (default 0)")
    make.add_argument("--captions", action="store_true", help="also write WebVTT captions beside the video")
    out = make.add_mutually_exclusive_group()
    out.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    out.add_argument("-v", "--verbose", action="store_true", help="say what was understood, ignored and how long each stage took")
    make.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")

    plan = sub.add_parser("plan", help="print the plan a prompt makes, as JSON")
    plan.add_argument("prompt")
    return top


class _ProgressBar:
    """A one-line bar on stderr, shown only on a terminal and only after a second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.monotonic()
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.start < 1.0:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r{stage:>7} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def _make(args: argparse.Namespace) -> int:
    from .pipeline import make
    from .plan import plan as read_prompt

    output = args.output or f"{Path(args.photo).stem}.mp4"
    if args.verbose:
        p = read_prompt(args.prompt)
        print(f"line: {p.line!r}" if p.line else "line: none (a silent clip)", file=sys.stderr)
        print(f"voice: {args.voice or p.voice}, expression: {args.expression or p.expression}", file=sys.stderr)
        if p.ignored:
            print(f"ignored (not understood yet): {' '.join(p.ignored)}", file=sys.stderr)
    bar = _ProgressBar(not args.quiet and not args.json)
    try:
        result = make(args.photo, args.prompt, output, voice=args.voice, face=args.face,
                      duration=args.duration, size=args.size, aspect=args.aspect, fps=args.fps,
                      seed=args.seed, expression=args.expression, captions=args.captions, on_progress=bar)
    finally:
        bar.close()
    if args.json:
        print(json.dumps(result.summary(), indent=2))
    elif not args.quiet:
        extra = f" + {result.captions}" if result.captions else ""
        print(f"wrote {result.video}{extra} ({result.width}x{result.height}, {result.duration:.2f} s, "
              f"{sum(result.timings.values()):.1f} s to make)")
    if args.verbose:
        print(f"faces found: {result.faces_found}", file=sys.stderr)
        print("timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()), file=sys.stderr)
    return 0


def _plan(args: argparse.Namespace) -> int:
    from .plan import plan as read_prompt

    print(json.dumps(read_prompt(args.prompt).to_dict(), indent=2, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"make": _make, "plan": _plan}[args.command](args)
    except SaysoError as error:
        print(f"sayso: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("sayso: cancelled; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
