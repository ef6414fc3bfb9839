"""A checkpoint folder missing weights of the model it is read as is refused, never exported with random parts."""

from __future__ import annotations

import pytest

from export_package import main
from sam3clip_export.sam3_concept import build_sam3_concept


def test_a_sam3model_folder_is_not_a_tracker_checkpoint(tmp_path, capsys):
    # A folder Sam3Model.save_pretrained wrote has the detector but no tracker prompt encoder or decoder:
    # read as a Sam3TrackerModel, those would be left at their random init.
    folder = tmp_path / "sam3-detector-only"
    build_sam3_concept("tiny", random_init=True, seed=3).save_pretrained(folder)
    code = main(["--family", "sam3", "--sam-checkpoint", str(folder), "--out", str(tmp_path / "out"), "--name", "x"])
    assert code == 1
    err = capsys.readouterr().err
    assert "lacks" in err and "mask_decoder." in err
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_a_missing_folder_is_named(tmp_path, capsys):
    code = main(["--family", "sam3", "--sam-checkpoint", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"),
                 "--name", "x"])
    assert code == 1
    assert "not found" in capsys.readouterr().err


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-q"]))
