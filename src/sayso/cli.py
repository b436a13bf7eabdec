"""The sayso command line: a thin shell around sayso.pipeline."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import __version__
from .errors import BadOptionError, SaysoError
from .plan import ASPECTS, CAMERA_MOVES, EXPRESSIONS, FPS_CHOICES, SCENES, SIZES, VOICES
from .speech.voices import LANGUAGES

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
    make.add_argument("--audio", metavar="FILE",
                      help="your own recording (WAV, MP3, M4A, OGG, FLAC) instead of a voice: the lips follow it")
    make.add_argument("--say", metavar="TEXT",
                      help="with --audio: the words said in it (better closures, captions; default: the prompt's quote)")
    make.add_argument("--expression", metavar="TEXT",
                      help=f"expression timeline, e.g. 'angry', 'smile then sad', 'angry from 1.5s' "
                           f"({', '.join(EXPRESSIONS)}; default: from the prompt)")
    make.add_argument("--camera", choices=CAMERA_MOVES, help="camera move (default: from the prompt, else static)")
    make.add_argument("--scene", metavar="A,B", type=_names,
                      help=f"scene effects, comma-separated: {', '.join(SCENES)}; 'none' for none (default: from the prompt)")
    make.add_argument("--no-ambience", action="store_true", help="no ambient sound under the voice")
    make.add_argument("--plan", metavar="PLAN.json", help="render this plan (from 'sayso plan', maybe edited) instead of a prompt")
    make.add_argument("--face", type=int, metavar="N", help="which face in a group photo, 1 = leftmost (default: most prominent)")
    make.add_argument("--duration", type=float, metavar="S", help="clip length in seconds (default: the line's length, 5 s when silent)")
    make.add_argument("--size", choices=list(SIZES), help="output size (default 720p)")
    make.add_argument("--aspect", choices=ASPECTS, help="frame shape, cropped around the face (default: the photo's)")
    make.add_argument("--fps", type=int, choices=FPS_CHOICES, help="frames per second (default 24)")
    make.add_argument("--seed", type=int, help="seed for blinks, glances and sway; same seed, same frames (default 0)")
    make.add_argument("--captions", action="store_true", help="also write captions beside the video (WebVTT and SRT)")
    out = make.add_mutually_exclusive_group()
    out.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    out.add_argument("-v", "--verbose", action="store_true", help="say what was understood, ignored and how long each stage took")
    make.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")

    make.add_argument("--no-label", action="store_true", help="no visible 'AI-generated' mark (the manifest says so)")

    remix = sub.add_parser("remix", help="a new video from one sayso made: other words, voice, expression, scene")
    remix.add_argument("video", help="an MP4 sayso made")
    remix.add_argument("-o", "--output", help="the MP4 to write (default: VIDEO-remix.mp4 here)")
    remix.add_argument("--say", metavar="TEXT", help="new words to speak")
    remix.add_argument("--voice", choices=VOICES, help="another voice")
    remix.add_argument("--audio", metavar="FILE", help="a new recording to hear (with --say: its words)")
    remix.add_argument("--expression", metavar="TEXT", help="a new expression timeline, e.g. 'angry from 1.5s'")
    remix.add_argument("--scene", metavar="A,B", type=_names, help="new scene effects ('none' for none)")
    remix.add_argument("--camera", choices=CAMERA_MOVES, help="a new camera move")
    remix.add_argument("--size", choices=list(SIZES), help="a new output size")
    remix.add_argument("--aspect", choices=ASPECTS, help="a new frame shape")
    remix.add_argument("--seed", type=int, help="other blinks, glances and sway")
    remix.add_argument("--duration", type=float, metavar="S", help="a new clip length")
    remix.add_argument("--no-ambience", action="store_true", help="no ambient sound")
    labels = remix.add_mutually_exclusive_group()
    labels.add_argument("--no-label", dest="label", action="store_false", default=None, help="drop the visible mark")
    labels.add_argument("--label", dest="label", action="store_true", help="put the visible mark back")
    remix.add_argument("--captions", action="store_true", help="also write captions (WebVTT and SRT)")
    rout = remix.add_mutually_exclusive_group()
    rout.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    rout.add_argument("-v", "--verbose", action="store_true", help="say how long each stage took")
    remix.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")

    verify = sub.add_parser("verify", help="check any video: who made it, from what, is it intact")
    verify.add_argument("video")
    verify.add_argument("--json", action="store_true", help="the report as JSON")

    library = sub.add_parser("library", help="what you have made, newest first")
    library.add_argument("-n", type=int, default=20, metavar="N", help="how many (default 20)")
    library.add_argument("--json", action="store_true", help="as JSON")

    serve = sub.add_parser("serve", help="the studio: a web page and HTTP API on this machine")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1; any other needs --token)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--workers", type=int, help="render processes (default: half the cores, at least 1)")
    serve.add_argument("--token", help="access token (or SAYSO_TOKEN); required beyond 127.0.0.1")
    serve.add_argument("--data-dir", help="where the studio keeps everything (default: sayso's data folder)")
    serve.add_argument("--broker", metavar="redis://HOST:PORT/DB",
                       help="render on Celery workers (sayso worker) through this Redis (or SAYSO_BROKER); needs --token")

    worker = sub.add_parser("worker", help="render a studio's jobs on this machine, taken from its Celery broker")
    worker.add_argument("--broker", metavar="redis://HOST:PORT/DB", help="the studio's broker (or SAYSO_BROKER)")
    worker.add_argument("--server", metavar="URL", help="the studio, e.g. http://studio-host:8000 (or SAYSO_SERVER)")
    worker.add_argument("--token", help="the studio's access token (or SAYSO_TOKEN)")
    worker.add_argument("--concurrency", type=int, help="jobs at once, one process each (default: half the cores)")
    worker.add_argument("--queues", metavar="A,B", help="queues to take jobs from (default render,fast)")
    worker.add_argument("--data-dir", help="this worker's own folder: inputs cache, scratch (default: sayso's)")
    worker.add_argument("--name", help="this worker's name in the studio (default: host name and pid)")
    worker.add_argument("--patience", type=float, metavar="S",
                        help="seconds to keep trying a studio that does not answer (default 20)")

    status = sub.add_parser("status", help="a studio's workers, queue and jobs")
    status.add_argument("--server", metavar="URL", help="the studio (default http://127.0.0.1:8000, or SAYSO_SERVER)")
    status.add_argument("--token", help="the studio's access token, for its workers and queue (or SAYSO_TOKEN)")
    status.add_argument("--json", action="store_true", help="as JSON")

    voices = sub.add_parser("voices", help="the voices, their languages and a sample line each")
    voices.add_argument("--json", action="store_true", help="as JSON")
    voices.add_argument("--sample", metavar="NAME", help="write NAME saying its sample line to a WAV file")
    voices.add_argument("--language", choices=LANGUAGES, help="the sample's language (default: the voice's first)")
    voices.add_argument("-o", "--output", metavar="FILE.wav", help="where the sample goes (default: NAME-LANG.wav)")

    plan = sub.add_parser("plan", help="print the plan a prompt makes, as JSON (edit it, then: make --plan)")
    plan.add_argument("prompt")
    plan.add_argument("-o", "--output", metavar="PLAN.json", help="write it to this file instead of printing it")
    return top


def _names(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    return () if names == ("none",) else names


def _read_plan(path: str):
    from .errors import InputNotFoundError
    from .plan import Plan

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InputNotFoundError(f"plan file {path} does not exist: check the path") from error
    except (OSError, UnicodeDecodeError) as error:
        raise InputNotFoundError(f"cannot read plan file {path}: {error}") from error
    except json.JSONDecodeError as error:
        raise BadOptionError(f"plan file {path} is not valid JSON (line {error.lineno}): fix it or make a new one "
                             "with 'sayso plan'") from error
    return Plan.from_dict(data)


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
    from .pipeline import direct, make
    from .speech.voices import LANGUAGE_NAMES, resolve

    output = args.output or f"{Path(args.photo).stem}.mp4"
    if args.plan and args.prompt:
        raise BadOptionError("give a prompt or --plan, not both")
    if args.audio and args.voice:
        raise BadOptionError("--voice and --audio both say who speaks: give one of them")
    options = dict(voice=args.voice, expression=args.expression, camera=args.camera, scene=args.scene,
                   ambience=not args.no_ambience, duration=args.duration, size=args.size, aspect=args.aspect,
                   fps=args.fps, seed=args.seed)
    the_plan = direct(args.prompt, plan=_read_plan(args.plan) if args.plan else None, **options)
    if args.verbose:
        print(f"line: {the_plan.line!r}" if the_plan.line else "line: none (a silent clip)", file=sys.stderr)
        speaker = resolve(the_plan.voice, the_plan.language).name
        voice = the_plan.voice if speaker == the_plan.voice else f"{the_plan.voice} ({speaker})"
        voice = f"your recording {Path(args.audio).name}" if args.audio else voice
        print(f"voice: {voice}, language: {LANGUAGE_NAMES[the_plan.language]}, expressions: {', '.join(c.what for c in the_plan.expressions) or 'neutral'}, "
              f"camera: {the_plan.camera.move}, scene: {', '.join(the_plan.scene) or 'none'}, "
              f"ambience: {', '.join(the_plan.ambience) or 'none'}", file=sys.stderr)
        if the_plan.ignored:
            print(f"ignored (not understood): {' '.join(the_plan.ignored)}", file=sys.stderr)
    bar = _ProgressBar(not args.quiet and not args.json)
    try:
        result = make(args.photo, output=output, face=args.face, captions=args.captions, plan=the_plan,
                      label=not args.no_label, audio=args.audio, say=args.say, on_progress=bar)
    finally:
        bar.close()
    return _report(args, result)


def _report(args: argparse.Namespace, result) -> int:
    if args.json:
        print(json.dumps(result.summary(), indent=2))
    elif not args.quiet:
        extra = f" + {result.captions}" if result.captions else ""
        print(f"wrote {result.video}{extra} ({result.width}x{result.height}, {result.duration:.2f} s, "
              f"{result.elapsed:.1f} s to make)")
    if args.verbose:
        if result.plan.recording:
            print(f"heard: your recording {result.plan.recording[:12]}, words: {result.plan.line or 'none given'}",
                  file=sys.stderr)
        print(f"faces found: {result.faces_found}", file=sys.stderr)
        print("timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()), file=sys.stderr)
    return 0


def _remix(args: argparse.Namespace) -> int:
    from .pipeline import remix

    output = args.output or f"{Path(args.video).stem}-remix.mp4"
    bar = _ProgressBar(not args.quiet and not args.json)
    try:
        result = remix(args.video, output, say=args.say, voice=args.voice, expression=args.expression,
                       scene=args.scene, camera=args.camera, size=args.size, aspect=args.aspect, seed=args.seed,
                       duration=args.duration, ambience=False if args.no_ambience else None, label=args.label,
                       captions=args.captions, audio=args.audio, on_progress=bar)
    finally:
        bar.close()
    return _report(args, result)


def _verify(args: argparse.Namespace) -> int:
    from .trust.verify import verify

    report = verify(args.video)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return report.code
    print(f"{report.video}: {report.verdict}")
    if report.manifest_present:
        state = "valid" if report.manifest_valid else f"INVALID ({report.manifest_reason})"
        trust = ", trusted (this machine's sayso identity)" if report.manifest_trusted else ", not trusted here"
        print(f"  manifest: {state}{trust if report.manifest_valid else ''}; actions: {', '.join(report.manifest_actions)}")
        print(f"  visible label: {'on' if report.label else 'off'}")
    else:
        print("  manifest: none")
    if report.watermark:
        match = {True: "matches the manifest", False: "DOES NOT match the manifest", None: "no manifest to compare"}
        print(f"  watermark: {report.watermark} (confidence {report.watermark_confidence}), "
              f"{match[report.watermark_matches_manifest]}")
    else:
        print("  watermark: not found")
    if report.recipe_id or report.in_library:
        print(f"  library: {'this video is in your library' if report.in_library else 'not in your library'}")
    if len(report.lineage) > 1:
        print("  lineage: " + " <- ".join(i[:12] for i in report.lineage))
    return report.code


def _library(args: argparse.Namespace) -> int:
    import datetime

    from .library import Library

    entries = Library().entries(max(args.n, 1))
    if args.json:
        print(json.dumps([{"id": e.id, "created": e.created, "video": str(e.video), "parent": e.recipe.parent,
                           "photo": e.recipe.photo_name, "lines": [line["text"] for line in e.recipe.plan["lines"]]}
                          for e in entries], indent=2, ensure_ascii=False))
        return 0
    if not entries:
        print("your library is empty: make a video with 'sayso make PHOTO PROMPT'")
    for e in entries:
        when = datetime.datetime.fromtimestamp(e.created).strftime("%Y-%m-%d %H:%M")
        words = " ".join(line["text"] for line in e.recipe.plan["lines"]) or "(silent)"
        parent = f"  (remix of {e.recipe.parent[:12]})" if e.recipe.parent else ""
        exists = "" if e.video.exists() else "  [file moved or deleted]"
        print(f"{when}  {e.id[:12]}  {e.video}{exists}\n    {e.recipe.photo_name}: {words[:70]}{parent}")
    return 0


def _plan(args: argparse.Namespace) -> int:
    from .pipeline import write_text_atomically
    from .plan import plan as read_prompt

    the_plan = read_prompt(args.prompt)
    text = json.dumps(the_plan.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        write_text_atomically(Path(args.output), text)
    else:
        sys.stdout.write(text)
    if the_plan.ignored:
        print(f"sayso: not understood: {' '.join(the_plan.ignored)}", file=sys.stderr)
    return 0


def _voices(args: argparse.Namespace) -> int:
    from .speech.voices import LANGUAGE_NAMES, SAMPLES
    from .speech.voices import VOICES as ALL

    if args.sample:
        from .pipeline import write_bytes_atomically
        from .speech import sample, wav_bytes

        spoken = sample(args.sample, args.language)
        target = Path(args.output or f"{spoken.voice}-{spoken.language}.wav")
        write_bytes_atomically(target, wav_bytes(spoken))
        print(f"wrote {target} ({spoken.voice}, {LANGUAGE_NAMES[spoken.language]}, "
              f"{spoken.num_samples / spoken.sample_rate:.1f} s): {spoken.text}")
        return 0
    if args.json:
        print(json.dumps([{"name": v.name, "gender": v.gender, "languages": list(v.languages), "engine": v.engine,
                           "real_time": round(1 / v.rtf), "about": v.about} for v in ALL], indent=2))
        return 0
    for v in ALL:
        langs = ", ".join(v.languages)
        print(f"{v.name:<11} {v.gender:<7} {langs:<11} {round(1 / v.rtf):>3}x real time  {v.about}")
    print("\nmale and female pick that gender's voice for the line's language; --voice NAME picks one.")
    print("their sample lines: " + "  ".join(f"[{k}] {line}" for k, line in SAMPLES.items()))
    print("hear one: sayso voices --sample NAME [--language de]")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .studio.serve import serve

    return serve(host=args.host, port=args.port, workers=args.workers, token=args.token, data_dir=args.data_dir,
                 broker=args.broker)


def _worker(args: argparse.Namespace) -> int:
    from .jobs.remote import work

    return work(broker=args.broker, server=args.server, token=args.token, concurrency=args.concurrency,
                queues=args.queues, data_dir=args.data_dir, name=args.name, patience=args.patience)


def _status(args: argparse.Namespace) -> int:
    from .jobs.remote import status

    return status(args.server, args.token, as_json=args.json)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"make": _make, "remix": _remix, "verify": _verify, "library": _library,
                "plan": _plan, "voices": _voices, "serve": _serve, "worker": _worker,
                "status": _status}[args.command](args)
    except SaysoError as error:
        print(f"sayso: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("sayso: cancelled; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
