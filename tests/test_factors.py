"""constant_factor on ratios beyond float range (found by test_bad_input_properties' hypothesis run)."""
import warnings

from framework import compare
from framework.factors import constant_factor


def test_a_ratio_that_overflows_is_no_factor_and_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert constant_factor([6.69e273], [3.72e-35]) is None
        c = compare(3.7216270193600155e-35, 6.690343343221603e+273, "v", atol=1e-6)
    assert not c and "v:" in str(c)
    assert constant_factor([2.0, 4.0], [1.0, 2.0]) == 2.0
