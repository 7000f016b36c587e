"""QR images across the library's edge, checked against zxing-cpp (a decoder we did not write,
the one a user would pick): the signed code the locker draws is read back by zxing-cpp exactly;
a camera frame (a luma plane with its own row stride) and an RGBA frame, as the shells hand them
over, are read by the library; a picture with no code, or not a picture, is refused with a
reason and no crash."""

import io

import healthlocker as hl
import numpy as np
import pytest
import zxingcpp
from PIL import Image

# A signed code's shape: the prefix and 300 Base45 characters (QR alphanumeric only).
SIGNED_LIKE = "HL1:" + ("6BFOXN%TSMAHN-H3O4:PK.VAV8VE$CA7+H5GS0ZI 3W6KB9J*0X/3YW7*-" * 6)[:300]
FACILITY = "https://phrsbx.abdm.gov.in/share-profile?hip-id=IN3410000260&counter-id=OPD-1"


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("L", (64, 64), 255).save(out, "JPEG")
    return out.getvalue()


def grey(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"))


@pytest.mark.parametrize("text", [SIGNED_LIKE, FACILITY])
def test_the_codes_the_library_draws_are_read_by_zxing_cpp_exactly(text):
    png = hl.qr_png(text, 4)
    found = zxingcpp.read_barcodes(grey(png), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [r.text for r in found] == [text]
    assert found[0].ec_level == "M"
    svg = hl.qr_svg(text)
    assert svg.startswith("<svg") or svg.startswith("<?xml")


def test_camera_frames_with_a_row_stride_and_rgba_frames_are_read():
    pixels = grey(hl.qr_png(SIGNED_LIKE, 3))
    height, width = pixels.shape
    stride = width + 64  # camera planes pad their rows
    plane = np.full((height, stride), 0, dtype=np.uint8)
    plane[:, :width] = pixels
    assert hl.qr_decode_frame(plane.tobytes(), width, height, stride) == [SIGNED_LIKE]
    rgba = np.dstack([pixels, pixels, pixels, np.full_like(pixels, 255)])
    assert hl.qr_decode_rgba(rgba.tobytes(), width, height, width * 4) == [SIGNED_LIKE]
    # A gallery photo: the platform decodes the JPEG and hands over its pixels.
    photo = io.BytesIO()
    Image.fromarray(pixels).rotate(17, expand=True, fillcolor=255).save(photo, "JPEG", quality=60)
    decoded = Image.open(io.BytesIO(photo.getvalue())).convert("RGBA")
    assert hl.qr_decode_rgba(decoded.tobytes(), decoded.width, decoded.height, decoded.width * 4) == [SIGNED_LIKE]
    assert hl.qr_decode_image(hl.qr_png(SIGNED_LIKE, 3)) == [SIGNED_LIKE]


def test_pictures_without_a_code_and_bytes_that_are_no_picture_are_refused_with_a_reason():
    blank = io.BytesIO()
    Image.new("L", (200, 200), 255).save(blank, "PNG")
    with pytest.raises(hl.LockerError.QrRefused) as none:
        hl.qr_decode_image(blank.getvalue())
    assert none.value.code == "no-code"
    with pytest.raises(hl.LockerError.QrRefused) as garbage:
        hl.qr_decode_image(b"\x89PNG not really")
    assert garbage.value.code == "image-unreadable"
    with pytest.raises(hl.LockerError.QrRefused) as jpeg:
        hl.qr_decode_image(photo_bytes())
    assert jpeg.value.code == "image-unreadable", "a JPEG is the platform's to decode"
    with pytest.raises(hl.LockerError.QrRefused) as short:
        hl.qr_decode_frame(b"\x00" * 10, 100, 100, 100)
    assert short.value.code == "image-unreadable"
