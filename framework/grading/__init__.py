"""The course's grading machinery: the check API, the mistake catalog, loading and running exercises.

* :mod:`.checks`, :mod:`.layer_checks`, :mod:`.loss_checks` – compare a student's code with
  the reference and fail precisely.
* :mod:`.catalog` – typical mistakes, their signs, hints and mutants.
* :mod:`.loader` – weeks (``exercises/weekN``) and submissions (folders of ``.py`` files).
* :mod:`.runner` – run an exercise in this process or in a subprocess with a timeout.
* :mod:`.report` – failures and results, as text and as dicts.

The command line is ``python -m framework.grade``; see ``exercises/CONTRIBUTING.md``.
"""
from .catalog import Mistake, Mutant, annotate, find_mistake
from .checks import call, compare_values, fail
from .layer_checks import LayerCase, check_layer_against
from .loss_checks import LossCase, check_loss_against
from .loader import Exercise, Submission, Week, list_weeks, load_week
from .report import CheckFailed, ExerciseResult, Failure
from .runner import run_exercise, run_in_subprocess

__all__ = ["Mistake", "Mutant", "annotate", "find_mistake", "LayerCase", "LossCase", "call",
           "check_layer_against", "check_loss_against", "compare_values", "fail", "Exercise",
           "Submission", "Week", "list_weeks", "load_week", "CheckFailed", "ExerciseResult",
           "Failure", "run_exercise", "run_in_subprocess"]
