from framework.grading.pytest_tests import make_tests

make_tests(globals(), __file__)
