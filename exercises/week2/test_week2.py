"""Week 2: one test per exercise (marker ex2_1 ... ex2_7); the code under test is chosen by --student."""
from framework.grading.pytest_tests import make_tests

make_tests(globals(), __file__)
