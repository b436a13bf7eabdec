"""Plans: what sayso understood of a prompt, before anything is made."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ...errors import BadOptionError, PromptError
from ...pipeline import direct
from .. import schemas
from ..context import Studio, studio
from ..errors import about

router = APIRouter(tags=["plans"])


def directed(prompt: str, options: schemas.Options, max_chars: int, plan=None):
    """The plan a render follows: sayso.pipeline.direct, with the studio's prompt limit."""
    if len(prompt) > max_chars:
        raise about(PromptError(f"the prompt is {len(prompt)} characters; shorten it to at most {max_chars}"), "prompt")
    try:
        return direct(prompt, plan=plan, voice=options.voice, expression=options.expression, camera=options.camera,
                      scene=tuple(options.scene) if options.scene is not None else None, ambience=options.ambience,
                      duration=options.duration, size=options.size, aspect=options.aspect, fps=options.fps,
                      seed=options.seed)
    except PromptError as error:
        raise about(error, "prompt") from None
    except BadOptionError as error:
        raise about(error, _option_named(str(error))) from None


# the option a plan's own message is about, by the words it names it with
_OPTIONS = ("scene", "camera", "expression", "duration", "size", "aspect", "fps", "seed", "voice", "ambience")


def _option_named(message: str) -> str:
    words = message.lower().replace("--", "").split()
    return next((name for word in words for name in _OPTIONS if word.startswith(name)), "options")


@router.post("/api/plan", response_model=schemas.PlanOut, responses={422: {"model": schemas.ErrorOut}})
def read_plan(request: schemas.PlanRequest, the: Studio = Depends(studio)) -> schemas.PlanOut:
    """The plan a prompt makes, with options applied: as `sayso plan` prints it."""
    the_plan = directed(request.prompt, request, the.settings.max_prompt_chars).to_dict()
    return schemas.PlanOut(plan=the_plan, summary=schemas.summarize(the_plan))
