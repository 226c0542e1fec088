"""Choose the code the exercise tests run on: --student DIR | skeleton | solution (default solution)."""
from framework.grading.pytest_tests import student_choice


def pytest_addoption(parser):
    parser.addoption("--student", default=None, metavar="DIR",
                     help="folder with your exercise files, or 'skeleton' / 'solution' "
                          "(default: $FRAMEWORK_STUDENT, else 'solution')")


def pytest_report_header(config):
    return f"exercises: testing {student_choice(config)} (choose with --student DIR)"
