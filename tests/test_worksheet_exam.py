"""Exams: the same seed gives the same exam, numbers are round, the checker names the first wrong one."""
import json

import numpy as np
import pytest

from framework.worksheet.check import check_answers, check_file
from framework.worksheet.exam import BLOCKS, Dice, answers_template, draw_exam, parse_blocks


def key_answers(sheet):
    return {q.key: q.value.tolist() for q in sheet.computed()}


@pytest.mark.parametrize("seed", [0, 1, 7, 123])
def test_same_seed_same_exam(seed):
    a, b = draw_exam(seed), draw_exam(seed)
    assert a.to_markdown(blanks=True) == b.to_markdown(blanks=True)
    assert a.to_markdown() == b.to_markdown()
    assert answers_template(seed) == answers_template(seed)
    for qa, qb in zip(a, b):
        assert qa.key == qb.key and np.array_equal(qa.value, qb.value)


def test_different_seeds_differ_and_blocks_are_independent():
    assert draw_exam(1).to_markdown() != draw_exam(2).to_markdown()
    whole, part = draw_exam(4), draw_exam(4, "conv")
    for q in part:
        assert np.array_equal(whole.value(q.key), q.value)   # conv of seed 4 is the same alone


@pytest.mark.parametrize("seed", range(12))
def test_given_numbers_are_round_and_intermediates_small(seed):
    sheet = draw_exam(seed)
    for key in ["mlp.a", "mlp.W1", "mlp.bias1", "mlp.W2", "mlp.bias2", "lstm.U", "lstm.W",
                "lstm.bias", "lstm.dy1", "lstm.dy2"]:
        v = sheet.value(key)
        assert np.array_equal(v * 2, np.round(v * 2)), key          # multiples of 0.5
        assert np.abs(v).max() <= 2, key
    for key in ["conv.X", "conv.K", "conv.delta_Y", "pool.X", "pool.delta_Y"]:
        v = sheet.value(key)
        assert np.array_equal(v, np.round(v)), key                  # integers
    assert np.abs(sheet.value("mlp.b")).max() <= 2
    assert np.abs(sheet.value("mlp.d")).max() <= 2
    pool = sheet.value("pool.X")
    assert len(np.unique(pool)) == 16                              # no ties for max pooling
    assert sorted(sheet.value("mlp.t").tolist()) == [0, 1]                # one-hot
    if sheet["mlp.c"].formula.startswith("ReLU"):
        assert np.all(sheet.value("mlp.b") != 0) and np.any(sheet.value("mlp.b") > 0)


def test_questions_have_blanks_and_the_key_has_numbers():
    sheet = draw_exam(3, "mlp")
    questions, key = sheet.to_markdown(blanks=True), sheet.to_markdown()
    b = sheet.value("mlp.b")
    assert "| b = a·W¹ + bias¹ | `[___, ___" in questions
    assert f"`[{', '.join(str(float(x)).rstrip('0').rstrip('.') for x in b)}]`" in key


def test_template_lists_every_computed_quantity_as_null():
    doc = json.loads(answers_template(5, "pool,lstm"))
    sheet = draw_exam(5, "pool,lstm")
    assert doc["seed"] == 5 and doc["blocks"] == ["pool", "lstm"]
    assert list(doc["answers"]) == [q.key for q in sheet.computed()]
    assert doc["answers"]["pool.Y_max"] == [[None, None], [None, None]]
    assert doc["answers"]["lstm.c1"] is None
    assert doc["questions"]["lstm.c2"] == "c₂ = f₂ ⊙ c₁ + i₂ ⊙ g₂"


def test_the_key_scores_full_marks():
    sheet = draw_exam(11)
    report = check_answers(sheet, key_answers(sheet))
    assert report.all_right and report.score == report.total == sum(q.size for q in sheet.computed())
    assert "Every answer is right." in report.text()


def test_first_wrong_names_its_dependencies_and_the_step():
    sheet = draw_exam(7, "mlp")
    answers = key_answers(sheet)
    answers["mlp.delta_c"][1] += 0.3
    answers["mlp.delta_b"][1] += 0.3       # follows from the wrong δc
    text = check_answers(sheet, answers).text()
    assert "mlp: δc is wrong: entry 2 is" in text
    assert "δc = δd·W²ᵀ depends on δd and W²." in text
    assert "  You were given W²; your δd was right, so check the product with W²ᵀ." in text
    assert "Also wrong: mlp: δb (depends on δc)." in text
    report = check_answers(sheet, answers)
    assert report.score == report.total - 2


def test_tolerance_absolute_001_or_relative_one_percent():
    sheet = draw_exam(2, "conv")
    answers = key_answers(sheet)
    answers["conv.dL_dbias"] = float(sheet.value("conv.dL_dbias")) + 0.009
    assert check_answers(sheet, answers).all_right
    answers["conv.dL_dbias"] = float(sheet.value("conv.dL_dbias")) + 0.02 + 0.01 * abs(
        float(sheet.value("conv.dL_dbias")))
    report = check_answers(sheet, answers)
    assert not report.all_right and "conv: ∂L/∂bias is wrong" in report.text()


def test_relative_tolerance_for_large_values():
    sheet = draw_exam(2, "pool")
    answers = key_answers(sheet)
    big = float(sheet.value("pool.Y_max").max())              # 15: 1 % is 0.15, more than 0.01
    assert big == 15
    answers["pool.Y_max"] = np.where(sheet.value("pool.Y_max") == big, big * 1.009,
                                     sheet.value("pool.Y_max")).tolist()
    assert check_answers(sheet, answers).all_right
    answers["pool.Y_max"] = np.where(sheet.value("pool.Y_max") == big, big * 1.011,
                                     sheet.value("pool.Y_max")).tolist()
    assert "pool: Y_max is wrong" in check_answers(sheet, answers).text()


def test_sign_flip_blank_and_wrong_shape_are_explained():
    sheet = draw_exam(7, "mlp")
    answers = key_answers(sheet)
    answers["mlp.b"] = (-sheet.value("mlp.b")).tolist()
    text = check_answers(sheet, answers).text()
    assert "Your value is -1 × the key: the sign is flipped." in text
    assert "  You were given a, W¹, bias¹, so check the product a·W¹" in text

    answers = key_answers(sheet)
    del answers["mlp.c"]
    answers["mlp.d"][0] = answers["mlp.d"][0] + 1
    text = check_answers(sheet, answers).text()
    assert "  You were given W², bias²; your c was left blank: fix those first, then check the product c·W²" in text

    answers = key_answers(sheet)
    answers["mlp.dL_dW1"] = [1, 2]
    text = check_answers(sheet, answers).text()
    size = sheet["mlp.dL_dW1"].size
    assert f"mlp: ∂L/∂W¹ has the wrong form: expected {size} number(s) shaped like [[___, ___" in text


def test_partially_filled_quantity_counts_its_right_numbers():
    sheet = draw_exam(7, "mlp")
    answers = {"mlp.b": [float(sheet.value("mlp.b")[0])] + [None] * (sheet["mlp.b"].size - 1)}
    report = check_answers(sheet, answers)
    assert report.score == 1
    assert "Everything you filled in is right; still blank: mlp: b, mlp: c," in report.text()


def test_check_file_reads_the_seed_and_refuses_a_different_one(tmp_path):
    path = tmp_path / "answers.json"
    doc = json.loads(answers_template(9, "pool"))
    sheet = draw_exam(9, "pool")
    doc["answers"] = key_answers(sheet)
    path.write_text(json.dumps(doc))
    assert check_file(path).all_right
    assert check_file(path, seed=9).all_right
    with pytest.raises(ValueError, match="seed 9, not 10"):
        check_file(path, seed=10)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        check_file(path)


def test_blocks_parse_in_canonical_order():
    assert parse_blocks("lstm, mlp") == ("mlp", "lstm")
    assert parse_blocks(BLOCKS) == BLOCKS
    with pytest.raises(ValueError, match="subset of mlp,conv,pool,lstm"):
        parse_blocks("mlp,rnn")


def test_exams_do_not_depend_on_the_numpy_version():
    """Dice is SplitMix64: these numbers are the algorithm's, pinned so a change is noticed."""
    dice = Dice(0, 0)
    assert [dice.next(), dice.next()] == [17909611376780542444, 1961750202426094747]
    assert draw_exam(0, "pool").value("pool.X").tolist() == [
        [6, 1, 4, 13], [14, 12, 15, 2], [9, 11, 8, 5], [3, 10, 0, 7]]
    assert sorted(Dice(5).permutation(16).tolist()) == list(range(16))
