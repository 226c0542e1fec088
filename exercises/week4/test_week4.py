"""Week 4: one test per exercise (marker ex4_1 ... ex4_7); the code under test is chosen by --student."""
from framework.grading.pytest_tests import make_tests

make_tests(globals(), __file__)
