"""The gradient checker catches wrong gradients and protocol violations, and says where."""
import numpy as np
import pytest

from framework import FullyConnected, Sigmoid, Tensor, check_layer, compare, assert_close
from framework.layers.base import Layer
from framework.shape import Shape


class Square(Layer):
    """y = x², a student's layer with a correct backward."""

    def output_shape(self, input_shape):
        return Shape(input_shape)

    def forward(self, in_tensors, out_tensors):
        np.multiply(in_tensors[0].elements, in_tensors[0].elements, out=out_tensors[0].elements)

    def backward(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        x.deltas[...] = 2 * x.elements * y.deltas


class SquareWrongFactor(Square):
    def backward(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        x.deltas[...] = x.elements * y.deltas  # forgot the 2


class SquareAccumulatesInBackward(Square):
    def backward(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        x.deltas[...] += 2 * x.elements * y.deltas  # must overwrite, not add


class FCOverwritesWeightDeltas(FullyConnected):
    def calculate_delta_weights(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        self.weights.delta_view()[...] = x.matrix().T @ y.delta_matrix()  # must be +=
        self.bias.deltas[...] += y.delta_matrix().sum(axis=0)


class FCWrongBiasOneElement(FullyConnected):
    def calculate_delta_weights(self, out_tensors, in_tensors):
        super().calculate_delta_weights(out_tensors, in_tensors)
        self.bias.deltas[1] += 0.5


def test_a_students_correct_layer_passes():
    report = check_layer(Square(), (3, 2))
    assert report.ok and report.quantities[0].checked == 6


def test_wrong_factor_is_reported_with_index_and_values():
    x = [[1.0, 2.0]]
    report = check_layer(SquareWrongFactor(), (1, 2), inputs=x, raise_on_failure=False)
    q = report.quantities[0]
    assert not report.ok and q.bad == 2 and q.first_bad_index == (0, 0)
    # analytic = x·r, numeric = 2x·r at x = 1: the numeric value is twice the analytic one
    assert q.numeric == pytest.approx(2 * q.analytic, rel=1e-6)
    with pytest.raises(AssertionError, match=r"first at index \(0, 0\)"):
        check_layer(SquareWrongFactor(), (1, 2), inputs=x)


def test_backward_that_accumulates_is_caught():
    report = check_layer(SquareAccumulatesInBackward(), (2, 2), raise_on_failure=False)
    q = report.quantities[0]
    # the derivative itself is right: only the protocol is reported, not 4 wrong elements
    assert not report.ok and q.bad == 0 and "must overwrite" in q.note
    assert "must overwrite" in str(report)


def test_delta_weights_that_overwrite_are_caught():
    report = check_layer(FCOverwritesWeightDeltas(3, 2, seed=0), (2, 3), raise_on_failure=False)
    by_name = {q.name: q for q in report.quantities}
    assert not by_name["weights"].ok and "accumulate" in by_name["weights"].note
    assert by_name["weights"].bad == 0  # its gradient math is right; only the += is missing
    assert by_name["bias"].ok and by_name["input deltas"].ok


def test_one_wrong_bias_element_is_located():
    report = check_layer(FCWrongBiasOneElement(3, 2, seed=0), (2, 3), raise_on_failure=False)
    bias = {q.name: q for q in report.quantities}["bias"]
    assert bias.bad == 1 and bias.first_bad_index == (1,)
    assert bias.analytic - bias.numeric == pytest.approx(0.5, abs=1e-6)


def test_parameters_are_restored_after_the_check():
    fc = FullyConnected(3, 2, seed=0)
    before = fc.weights.elements.copy()
    check_layer(fc, (2, 3))
    assert fc.weights.dtype == np.float32 and fc.bias.dtype == np.float32
    assert np.array_equal(fc.weights.elements, before)


def test_compare_reports_shape_exact_close_and_worst_index():
    assert compare([1.0, 2.0], np.array([1.0, 2.0])).exact
    c = compare([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.5]], name="δW")
    assert not c and not c.exact and c.worst_index == (1, 1) and c.max_abs_diff == pytest.approx(0.5)
    assert "δW: DIFFERENT" in str(c) and "index (1, 1)" in str(c) and "expected 4" in str(c)
    assert "shape differs" in str(compare([1.0, 2.0], [1.0, 2.0, 3.0]))
    close = compare([1.0], [1.0 + 1e-7])
    assert close and not close.exact
    with pytest.raises(AssertionError, match="expected 1, got 2"):
        assert_close([1.0], Tensor([1], [2.0]))


def test_sigmoid_float32_inputs_to_checker_are_handled():
    """A float32 layer is checked in float64: its own precision does not cause false alarms."""
    assert check_layer(Sigmoid(), (4, 3), seed=5).ok


def test_compare_accepts_a_single_sample_without_the_batch_dim_and_hints_at_atol():
    c = compare([1.0, 0.0, 2.0], [[1.0, 0.0, 2.00004]])
    assert not c and c.max_rel_diff == pytest.approx(2e-5, rel=1e-3)
    assert "atol=1e-3" in str(c)
    assert compare([1.0, 0.0, 2.0], [[1.0, 0.0, 2.00004]], atol=1e-3)
    # expected 0: the relative difference is taken against atol, not 1e-308
    assert compare([0.0], [1e-3]).max_rel_diff == pytest.approx(1e3)


# -- what check_layer learned from the course's grader ---------------------------------------------
class FCForwardWithoutBias(FullyConnected):
    def forward(self, in_tensors, out_tensors):
        out_tensors[0].matrix()[...] = in_tensors[0].matrix() @ self.weights.view()


class FCBiasAveraged(FullyConnected):
    def calculate_delta_weights(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        self.weights.delta_view()[...] += x.matrix().T @ y.delta_matrix()
        self.bias.deltas[...] += y.delta_matrix().mean(axis=0)


class FCWithUndeclaredTensor(FullyConnected):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scale = Tensor((2,))  # a parameter the trainer will never see


def test_forward_without_bias_points_at_forward_not_at_the_bias_delta():
    report = check_layer(FCForwardWithoutBias(3, 2, seed=0), (4, 3), raise_on_failure=False)
    bias = {q.name: q for q in report.quantities}["bias"]
    assert not bias.ok and bias.numeric == 0.0
    assert "does forward use it?" in bias.hint and "Fix forward" in str(report)


def test_a_constant_factor_is_named_with_its_meaning():
    report = check_layer(FCBiasAveraged(3, 2, seed=0), (4, 3), raise_on_failure=False)
    bias = {q.name: q for q in report.quantities}["bias"]
    assert bias.factor == pytest.approx(0.25) and bias.factor_name == "1/batch"
    assert "ratio analytic/numeric: 0.25 = 1/batch" in str(report) and "averaged" in bias.hint
    q = check_layer(SquareWrongFactor(), (3, 2), raise_on_failure=False).quantities[0]
    assert q.factor_name == "1/2"


def test_batch_of_one_warns_because_it_hides_the_averaged_bias():
    with pytest.warns(UserWarning, match="batch of 1"):
        report = check_layer(FCBiasAveraged(3, 2, seed=0), (1, 3), raise_on_failure=False)
    assert report.ok and any("batch of 1" in w for w in report.warnings)


def test_tensor_attribute_missing_from_params_is_warned_about():
    with pytest.warns(UserWarning, match="'scale' is a Tensor but not in params"):
        report = check_layer(FCWithUndeclaredTensor(3, 2, seed=0), (3, 3))
    assert "WARNING: attribute 'scale'" in str(report)


def test_nan_input_is_refused_with_what_is_wrong():
    with pytest.raises(ValueError, match=r"the input contains nan at index \(0, 1\)"):
        check_layer(Sigmoid(), (2, 2), inputs=[[0.0, np.nan], [1.0, 2.0]])


class LogLayer(Square):
    def forward(self, in_tensors, out_tensors):
        out_tensors[0].elements[...] = np.log(in_tensors[0].elements)


def test_forward_producing_nan_is_reported_as_that_not_as_a_protocol_slip():
    with np.errstate(invalid="ignore"):
        report = check_layer(LogLayer(), (2, 2), inputs=[[1.0, -1.0], [2.0, 3.0]],
                             raise_on_failure=False)
    assert not report.ok and "forward produced nan at index (0, 1)" in str(report)
    assert "overwrite" not in str(report)


def test_a_network_is_checked_as_a_whole():
    from framework import CrossEntropy, InputLayer, Network, Softmax
    net = Network(InputLayer(4, num_classes=3),
                  [FullyConnected(4, 5, seed=0), Sigmoid(), FullyConnected(5, 3, seed=1), Softmax()],
                  CrossEntropy())
    report = check_layer(net, (3, 4))
    assert report.ok and len(report.quantities) == 5
    assert net.params[0].dtype == np.float32  # restored
    bad = Network(InputLayer(4, num_classes=3),
                  [FCBiasAveraged(4, 5, seed=0), Sigmoid(), FullyConnected(5, 3, seed=1), Softmax()],
                  CrossEntropy())
    report = check_layer(bad, (5, 4), raise_on_failure=False)
    [wrong] = [q for q in report.quantities if not q.ok]
    assert wrong.name == "layer 0 FullyConnected(4->5) bias" and wrong.factor_name == "1/batch"


def test_something_else_than_a_layer_is_a_clear_type_error():
    from framework import MSE
    with pytest.raises(TypeError, match="use check_loss"):
        check_layer(MSE(), (2, 2))


def test_compare_names_a_constant_factor():
    c = compare([[1.0, -2.0], [3.0, 0.5]], [[-1.0, 2.0], [-3.0, -0.5]], name="δx")
    assert not c and c.factor == pytest.approx(-1.0) and c.factor_name == "-1"
    assert "actual/expected is -1 everywhere (the sign is flipped" in str(c)
    assert compare([1.0, 2.0], [1.0, 2.5]).factor is None
