"""Selfie-to-document face comparison, with the face-match extra installed and without it."""

import importlib.util
import sys

import pytest

from firma.identity import facematch
from firma.identity.facematch import is_available, match_faces
from tests import faces

NOT_INSTALLED = "Comparação facial não realizada (módulo não instalado)."


def test_without_dlib_the_comparison_is_skipped_and_said_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dlib", None)  # what a failed import leaves behind
    assert not is_available()
    result = match_faces(faces.face_jpeg(), faces.id_card_jpeg(120))
    assert result.to_dict() == {
        "performed": False, "distance": None, "threshold": 0.6, "same_person": None, "detail": NOT_INSTALLED,
    }


def test_without_the_model_files_the_comparison_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object):  # type: ignore[no-untyped-def]
        return None if name == "face_recognition_models" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert not is_available()
    assert match_faces(faces.face_jpeg(), faces.id_card_jpeg(120)).detail == NOT_INSTALLED


def test_the_extra_is_installed_for_the_test_run() -> None:
    assert is_available(), "make test installs the face-match extra"


@pytest.mark.parametrize("face_px", [120, 40])
def test_same_person_on_selfie_and_id_card(face_px: int) -> None:
    result = match_faces(faces.face_jpeg("grace_hopper"), faces.id_card_jpeg(face_px, source="grace_hopper"))
    assert result.performed and result.same_person
    assert result.distance is not None and result.distance < 0.45
    assert result.detail.startswith("Rostos compatíveis (distância 0,")


def test_different_people_are_told_apart() -> None:
    result = match_faces(faces.face_jpeg("astronaut"), faces.id_card_jpeg(120, source="grace_hopper"))
    assert result.performed and result.same_person is False
    assert result.distance is not None and result.distance > facematch.THRESHOLD
    assert result.detail.endswith("limite 0,60).")


def test_a_missing_face_means_no_comparison() -> None:
    selfie = match_faces(faces.no_face_jpeg(), faces.id_card_jpeg(120))
    assert (selfie.performed, selfie.distance) == (False, None)
    assert selfie.detail == "Comparação facial não realizada: rosto não encontrado na selfie."
    document = match_faces(faces.face_jpeg(), faces.no_face_jpeg((1000, 630)))
    assert document.detail == "Comparação facial não realizada: rosto não encontrado na foto do documento."


def test_models_are_loaded_once() -> None:
    match_faces(faces.face_jpeg(), faces.id_card_jpeg(120, source="astronaut"))
    encoder = facematch._models["encoder"]
    match_faces(faces.face_jpeg(), faces.id_card_jpeg(120, source="astronaut"))
    assert facematch._models["encoder"] is encoder
