"""Week 1: one test per exercise (marker ex1_1 ... ex1_10); the code under test is chosen by --student."""
from framework.grading.pytest_tests import make_tests

make_tests(globals(), __file__)
