"""Page images (.png, .jpg, .tif; a multi-page TIFF is a whole scan) read by OCR (ocr.py).

Pillow opens them with its decompression-bomb guard: an image of more pixels than a page at 600 dpi
could have is refused before it is decoded.
"""

from __future__ import annotations

import io

from commitments.engine.ingest.readers import ocr
from commitments.engine.ingest.readers.base import DEFAULT_LIMITS, ReadLimits, ReadResult, ReportReadError, build_result
from commitments.engine.ingest.readers.furniture import strip_furniture

BROKEN = "图片文件已损坏或格式不受支持，无法读取"
TOO_LARGE = "图片像素过多（超过 {limit:,} 像素），可能是恶意构造的文件；请用 200–300 dpi 扫描后再导入"
MAX_PIXELS = 7_000 * 10_000  # an A3 page at 600 dpi
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


class ImageReader:
    format = "image"
    extensions = (".png", ".jpg", ".jpeg", ".tif", ".tiff")

    def sniff(self, data: bytes) -> bool:
        return data.startswith(_MAGIC)

    def read(self, data: bytes, *, filename: str, limits: ReadLimits = DEFAULT_LIMITS) -> ReadResult:
        from PIL import Image, ImageSequence, UnidentifiedImageError

        try:
            image = Image.open(io.BytesIO(data))  # reads the header only: the size is known before decoding
            if image.width * image.height > MAX_PIXELS:
                raise ReportReadError(TOO_LARGE.format(limit=MAX_PIXELS))
            frames = getattr(image, "n_frames", 1)
        except Image.DecompressionBombError as error:
            raise ReportReadError(TOO_LARGE.format(limit=MAX_PIXELS)) from error
        except (UnidentifiedImageError, OSError, ValueError) as error:
            raise ReportReadError(BROKEN) from error
        ocr.refuse_scan("图片", pages=frames, max_pages=limits.ocr_max_pages)
        try:
            pages = ocr.pages_text((frame.copy() for frame in ImageSequence.Iterator(image)), frames)
        except (Image.DecompressionBombError, OSError, ValueError) as error:
            raise ReportReadError(BROKEN) from error
        _, warnings = ocr.recognised(pages)
        furniture = strip_furniture([p.text for p in pages])
        return build_result(
            "\n".join(furniture.pages),
            format=self.format,
            warnings=warnings,
            empty_reason=ocr.NO_CHINESE,
            limits=limits,
        )
