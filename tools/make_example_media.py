"""Draw the illustrative images used by the example posts in content/posts/.

The example bakery, Crumb & Co., needs pictures for its posts, and real photos would
bloat the repository. This script draws simple, pleasant illustrations with Pillow
instead, deterministically, so running it again reproduces the same files.

    python tools/make_example_media.py            # writes content/media/*
    python tools/make_example_media.py --out DIR  # somewhere else

Pillow is a dev dependency (`pip install -e .[dev]`); the pipeline itself never needs it.
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parents[1]
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/Library/Fonts"),
    Path("C:/Windows/Fonts"),
)
# Everything is drawn at twice the size and scaled down: Pillow draws without
# anti-aliasing, and the downscale smooths the edges.
SCALE = 2

Color = tuple[int, int, int]
Point = tuple[float, float]

CREAM: Color = (246, 236, 218)
CRUST: Color = (170, 104, 48)
DARK_CRUST: Color = (112, 62, 28)
INK: Color = (62, 40, 28)


def font(size: int, *, serif: bool = True, bold: bool = True) -> ImageFont.FreeTypeFont:
    """A DejaVu font if the system has one, else Pillow's built-in scalable font."""
    name = ("DejaVuSerif" if serif else "DejaVuSans") + ("-Bold" if bold else "") + ".ttf"
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size * SCALE)
    return ImageFont.load_default(size * SCALE)


def mix(a: Color, b: Color, t: float) -> Color:
    """The colour a fraction t of the way from a to b."""
    r, g, b_ = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return r, g, b_


def canvas(width: int, height: int, top: Color, bottom: Color) -> Image.Image:
    """A supersampled canvas filled with a vertical gradient."""
    img = Image.new("RGB", (width * SCALE, height * SCALE))
    draw = ImageDraw.Draw(img)
    for y in range(img.height):
        draw.line([(0, y), (img.width, y)], fill=mix(top, bottom, y / img.height))
    return img


def s(*values: float) -> list[float]:
    """Scale design coordinates to the supersampled canvas."""
    return [v * SCALE for v in values]


def shaded_ellipse(
    img: Image.Image, box: Sequence[float], outer: Color, inner: Color, steps: int = 24, lift: float = 0.25
) -> None:
    """An ellipse that grows lighter towards a centre lifted towards its top."""
    draw = ImageDraw.Draw(img)
    x0, y0, x1, y1 = s(*box)
    for i in range(steps):
        t = i / steps
        dx = (x1 - x0) / 2 * t * 0.9
        dy = (y1 - y0) / 2 * t * 0.9
        shift = (y1 - y0) * lift * t * 0.5
        draw.ellipse([x0 + dx, y0 + dy - shift, x1 - dx, y1 - dy - shift], fill=mix(outer, inner, t))


def soft_shadow(img: Image.Image, box: Sequence[float], strength: int = 90) -> None:
    """A blurred shadow under an object, composited onto img."""
    shadow = Image.new("L", img.size, 0)
    ImageDraw.Draw(shadow).ellipse(s(*box), fill=strength)
    shadow = shadow.filter(ImageFilter.GaussianBlur(18 * SCALE))
    img.paste(Image.new("RGB", img.size, (40, 24, 14)), (0, 0), shadow)


def sprinkle(
    img: Image.Image,
    rng: random.Random,
    count: int,
    area: Sequence[float],
    color: Color,
    size: tuple[float, float],
    inside: Callable[[float, float], bool] | None = None,
) -> None:
    """Scatter small dots (flour, sugar, seeds) over an area."""
    draw = ImageDraw.Draw(img)
    x0, y0, x1, y1 = area
    for _ in range(count):
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if inside and not inside(x, y):
            continue
        r = rng.uniform(*size)
        draw.ellipse(s(x - r, y - r * 0.7, x + r, y + r * 0.7), fill=color)


def caption(img: Image.Image, text: str, *, dark: bool = False) -> None:
    """The bakery's small wordmark line in the bottom left corner."""
    draw = ImageDraw.Draw(img)
    f = font(26, serif=True, bold=True)
    w = img.width / SCALE
    h = img.height / SCALE
    fill = INK if dark else (255, 248, 236)
    draw.text(s(36, h - 56), text, font=f, fill=fill)
    draw.line(s(36, h - 20, min(w - 36, 36 + 18 * len(text)), h - 20), fill=fill, width=2 * SCALE)


def save(img: Image.Image, path: Path) -> None:
    """Scale down to the design size and write a small JPEG or PNG."""
    out = img.resize((img.width // SCALE, img.height // SCALE), Image.Resampling.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".png":
        out.quantize(colors=96, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    else:
        out.save(path, quality=80, optimize=True, progressive=True)


def wood_board(img: Image.Image, box: Sequence[float], rng: random.Random) -> None:
    """A rounded wooden board with a little grain."""
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle(s(*box), radius=40 * SCALE, fill=(196, 150, 98))
    x0, y0, x1, y1 = box
    for _ in range(26):
        y = rng.uniform(y0 + 20, y1 - 20)
        wobble = rng.uniform(-6, 6)
        draw.line(s(x0 + 40, y, (x0 + x1) / 2, y + wobble, x1 - 40, y), fill=(178, 132, 84), width=2 * SCALE)
    draw.rounded_rectangle(s(*box), radius=40 * SCALE, outline=(150, 104, 62), width=4 * SCALE)


def pine_sprig(img: Image.Image, start: Point, angle: float, length: float) -> None:
    """A small fir twig for a wintry touch."""
    draw = ImageDraw.Draw(img)
    sx, sy = start
    ex, ey = sx + math.cos(angle) * length, sy + math.sin(angle) * length
    draw.line(s(sx, sy, ex, ey), fill=(92, 64, 40), width=4 * SCALE)
    for i in range(1, 14):
        t = i / 14
        px, py = sx + (ex - sx) * t, sy + (ey - sy) * t
        needle = 34 * (1 - t * 0.6)
        for side in (-1, 1):
            a = angle + side * 0.9
            draw.line(
                s(px, py, px + math.cos(a) * needle, py + math.sin(a) * needle),
                fill=(44, 104, 66),
                width=5 * SCALE,
            )


def stollen(out: Path) -> None:
    """A sugared stollen on a board, with one slice showing the marzipan core."""
    rng = random.Random(1)
    img = canvas(1600, 900, (58, 84, 78), (30, 48, 46))
    wood_board(img, (160, 380, 1440, 840), rng)
    soft_shadow(img, (330, 620, 1150, 780))
    draw = ImageDraw.Draw(img)
    # The loaf: a long dome with the typical fold along its back.
    draw.rounded_rectangle(s(340, 470, 1130, 730), radius=120 * SCALE, fill=(214, 196, 172))
    draw.rounded_rectangle(s(340, 460, 1130, 700), radius=120 * SCALE, fill=(250, 247, 242))
    draw.rounded_rectangle(s(420, 420, 1060, 560), radius=70 * SCALE, fill=(253, 251, 248))
    draw.arc(s(420, 440, 1060, 640), 190, 350, fill=(222, 214, 204), width=6 * SCALE)
    sprinkle(img, rng, 500, (350, 420, 1120, 720), (236, 230, 222), (2, 4))
    # A cut slice leaning in front.
    soft_shadow(img, (1120, 700, 1360, 790), strength=70)
    draw.ellipse(s(1130, 520, 1350, 760), fill=(250, 247, 242))
    draw.ellipse(s(1146, 536, 1334, 744), fill=(238, 206, 150))
    sprinkle(
        img,
        rng,
        60,
        (1160, 550, 1320, 730),
        (110, 52, 40),
        (5, 9),
        inside=lambda x, y: (x - 1240) ** 2 / 88**2 + (y - 640) ** 2 / 98**2 < 0.9,
    )
    sprinkle(
        img,
        rng,
        25,
        (1160, 550, 1320, 730),
        (214, 120, 52),
        (5, 8),
        inside=lambda x, y: (x - 1240) ** 2 / 88**2 + (y - 640) ** 2 / 98**2 < 0.9,
    )
    draw.ellipse(s(1205, 610, 1275, 672), fill=(236, 214, 120))
    pine_sprig(img, (180, 320), 0.35, 260)
    pine_sprig(img, (1460, 330), 2.6, 240)
    sprinkle(img, rng, 120, (0, 0, 1600, 380), (240, 240, 236), (2, 4))
    caption(img, "Crumb & Co. · Christmas stollen")
    save(img, out)


def scored_boule(img: Image.Image, cx: float, cy: float, rx: float, ry: float, rng: random.Random) -> None:
    """A round sourdough loaf with one curved score and a dusting of flour."""
    soft_shadow(img, (cx - rx, cy + ry * 0.4, cx + rx, cy + ry * 1.15))
    shaded_ellipse(img, (cx - rx, cy - ry, cx + rx, cy + ry), DARK_CRUST, (214, 150, 80))
    draw = ImageDraw.Draw(img)
    draw.arc(
        s(cx - rx * 0.8, cy - ry * 0.6, cx + rx * 0.7, cy + ry * 0.7),
        200,
        330,
        fill=(238, 206, 150),
        width=22 * SCALE,
    )
    draw.arc(
        s(cx - rx * 0.8, cy - ry * 0.64, cx + rx * 0.7, cy + ry * 0.66),
        205,
        325,
        fill=(120, 66, 30),
        width=6 * SCALE,
    )
    sprinkle(
        img,
        rng,
        260,
        (cx - rx, cy - ry, cx + rx, cy + ry),
        (244, 236, 224),
        (2, 5),
        inside=lambda x, y: ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 < 0.55,
    )


def walnut(img: Image.Image, cx: float, cy: float, r: float) -> None:
    """Half a walnut, seen from above."""
    draw = ImageDraw.Draw(img)
    draw.ellipse(s(cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), fill=(150, 98, 52))
    draw.line(s(cx, cy - r * 0.8, cx, cy + r * 0.8), fill=(104, 64, 30), width=3 * SCALE)
    for k in (-0.5, 0.5):
        draw.arc(
            s(cx + k * r - r * 0.4, cy - r * 0.5, cx + k * r + r * 0.4, cy + r * 0.5),
            0,
            360,
            fill=(118, 74, 36),
            width=2 * SCALE,
        )


def spelt_loaf(out: Path) -> None:
    """The new spelt and walnut sourdough on a linen cloth."""
    rng = random.Random(2)
    img = canvas(1200, 900, (236, 226, 210), (214, 200, 180))
    draw = ImageDraw.Draw(img)
    draw.polygon(s(120, 560, 1100, 480, 1180, 900, 40, 900), fill=(226, 218, 204))
    for x in range(140, 1120, 60):
        draw.line(s(x, 540, x - 40, 900), fill=(210, 200, 186), width=2 * SCALE)
    draw.line(s(120, 600, 1120, 520), fill=(74, 110, 150), width=8 * SCALE)
    scored_boule(img, 600, 470, 330, 260, rng)
    for cx, cy in ((190, 740), (250, 800), (1000, 760), (1060, 690), (960, 830)):
        walnut(img, cx, cy, 30)
    sprinkle(img, rng, 70, (80, 620, 1120, 880), (248, 244, 236), (2, 4))
    caption(img, "Spelt & walnut sourdough", dark=True)
    save(img, out)


def spelt_crumb(out: Path) -> None:
    """A slice of the spelt and walnut loaf: crust, open crumb, walnut pieces."""
    rng = random.Random(3)
    img = canvas(1080, 1080, (70, 74, 84), (44, 46, 54))
    draw = ImageDraw.Draw(img)
    draw.ellipse(s(110, 150, 970, 930), fill=(96, 54, 24))
    draw.ellipse(s(132, 170, 948, 910), fill=(176, 110, 52))
    draw.ellipse(s(150, 188, 930, 892), fill=(240, 222, 186))

    def in_crumb(x: float, y: float) -> bool:
        return ((x - 540) / 370) ** 2 + ((y - 540) / 335) ** 2 < 0.92

    for _ in range(240):
        x, y = rng.uniform(180, 900), rng.uniform(210, 870)
        if not in_crumb(x, y):
            continue
        w, h = rng.uniform(6, 30), rng.uniform(4, 16)
        draw.ellipse(s(x - w, y - h, x + w, y + h), fill=(212, 188, 148))
        draw.ellipse(s(x - w * 0.8, y - h * 0.6, x + w * 0.8, y + h * 0.9), fill=(196, 168, 124))
    for _ in range(26):
        x, y = rng.uniform(200, 880), rng.uniform(230, 850)
        if not in_crumb(x, y):
            continue
        r = rng.uniform(10, 20)
        points = [
            (x + math.cos(a) * r * rng.uniform(0.6, 1.2), y + math.sin(a) * r * rng.uniform(0.6, 1.2))
            for a in (i * math.pi / 4 for i in range(8))
        ]
        draw.polygon(s(*[c for p in points for c in p]), fill=(132, 82, 40))
    caption(img, "Open crumb, toasted walnuts")
    save(img, out)


def workshop(out: Path) -> None:
    """A floury workbench seen from above: dough, rolling pin, bowls, a recipe card."""
    img = canvas(1200, 900, (200, 156, 104), (180, 136, 88))
    draw = ImageDraw.Draw(img)
    for y in range(0, 900, 90):
        draw.line(s(0, y, 1200, y), fill=(160, 118, 74), width=3 * SCALE)
    draw.rounded_rectangle(s(140, 170, 860, 760), radius=120 * SCALE, fill=(236, 228, 214))
    draw.ellipse(s(270, 310, 690, 610), fill=(238, 214, 170))
    draw.ellipse(s(300, 330, 660, 580), fill=(244, 224, 184))
    for x, y in ((380, 400), (450, 470), (540, 420), (590, 520), (420, 530), (500, 360)):
        draw.ellipse(s(x - 9, y - 6, x + 9, y + 6), fill=(112, 54, 42))
    draw.rounded_rectangle(s(420, 440, 560, 480), radius=20 * SCALE, fill=(236, 206, 110))
    # Rolling pin across the corner of the bench.
    draw.rounded_rectangle(s(230, 660, 800, 720), radius=28 * SCALE, fill=(222, 182, 128))
    draw.rounded_rectangle(s(150, 672, 240, 708), radius=18 * SCALE, fill=(170, 120, 72))
    draw.rounded_rectangle(s(790, 672, 880, 708), radius=18 * SCALE, fill=(170, 120, 72))
    # Bowls of almonds and candied peel.
    for cx, cy, fill in ((980, 230, (206, 150, 96)), (1010, 470, (230, 150, 60))):
        draw.ellipse(s(cx - 120, cy - 110, cx + 120, cy + 110), fill=(78, 120, 150))
        draw.ellipse(s(cx - 100, cy - 92, cx + 100, cy + 92), fill=(240, 240, 236))
        draw.ellipse(s(cx - 80, cy - 72, cx + 80, cy + 72), fill=fill)
    # The recipe card.
    draw.rectangle(s(900, 640, 1160, 860), fill=(252, 250, 244))
    draw.text(s(920, 655), "Stollen", font=font(30), fill=INK)
    small = font(18, serif=False, bold=False)
    for i, line in enumerate(
        ("500 g flour", "250 g butter", "300 g raisins", "100 g marzipan", "rest, fold, bake")
    ):
        draw.text(s(922, 700 + i * 30), line, font=small, fill=(90, 80, 72))
    caption(img, "Stollen workshop · Sun 20 Dec", dark=True)
    save(img, out)


def shop_front(out: Path) -> None:
    """The shop on a snowy winter morning, window lit, wreath on the door."""
    rng = random.Random(5)
    img = canvas(1600, 900, (38, 52, 92), (96, 110, 150))
    draw = ImageDraw.Draw(img)
    draw.rectangle(s(200, 120, 1400, 780), fill=(168, 82, 62))
    for row, y in enumerate(range(124, 776, 36)):
        for x in range(200 - (40 if row % 2 else 0), 1400, 80):
            draw.rectangle(
                s(max(x, 200), y, min(x + 76, 1398), y + 32), outline=(150, 70, 52), width=2 * SCALE
            )
    # Sign board.
    draw.rectangle(s(360, 150, 1240, 270), fill=(34, 58, 50))
    title = font(64)
    draw.text(s(800, 208), "Crumb & Co.", font=title, fill=(240, 214, 150), anchor="mm")
    # Striped awning with a scalloped edge.
    for i, x in enumerate(range(260, 1340, 90)):
        draw.polygon(
            s(x, 300, x + 90, 300, x + 100, 400, x - 10, 400), fill=(246, 240, 228) if i % 2 else (52, 98, 84)
        )
        draw.pieslice(s(x - 10, 370, x + 100, 430), 0, 180, fill=(246, 240, 228) if i % 2 else (52, 98, 84))
    # Warm window with loaves on shelves.
    draw.rectangle(s(280, 440, 960, 740), fill=(96, 60, 38))
    draw.rectangle(s(296, 456, 944, 724), fill=(252, 214, 138))
    for shelf_y in (560, 680):
        draw.rectangle(s(296, shelf_y, 944, shelf_y + 10), fill=(150, 98, 58))
        for x in range(318, 860, 90):
            draw.ellipse(s(x, shelf_y - 52, x + 78, shelf_y + 2), fill=CRUST)
            draw.arc(
                s(x + 12, shelf_y - 46, x + 66, shelf_y - 10), 200, 340, fill=(232, 190, 120), width=4 * SCALE
            )
    # Door with a wreath.
    draw.rectangle(s(1040, 440, 1300, 780), fill=(34, 58, 50))
    draw.rectangle(s(1070, 470, 1270, 600), fill=(252, 214, 138))
    draw.ellipse(s(1120, 620, 1220, 720), outline=(44, 104, 66), width=16 * SCALE)
    draw.ellipse(s(1160, 616, 1180, 636), fill=(190, 40, 40))
    # String lights under the sign.
    for i, x in enumerate(range(220, 1390, 45)):
        y = 288 + 10 * math.sin(i * 0.7)
        draw.ellipse(s(x - 6, y - 6, x + 6, y + 6), fill=(255, 226, 140))
    # Snowy pavement and falling snow.
    draw.rectangle(s(0, 780, 1600, 900), fill=(236, 240, 246))
    draw.polygon(s(200, 780, 1400, 780, 1420, 800, 180, 800), fill=(214, 220, 232))
    sprinkle(img, rng, 380, (0, 0, 1600, 780), (250, 250, 255), (2, 5))
    caption(img, "Crumb & Co. · Christmas Eve", dark=True)
    save(img, out)


def catmull_rom(points: Sequence[Point], samples: int = 40) -> list[Point]:
    """A smooth curve through the given points (Catmull-Rom spline, end points kept)."""
    pts = [points[0], *points, points[-1]]
    curve: list[Point] = []
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        for k in range(samples):
            t = k / samples
            x, y = (
                0.5
                * (
                    2 * b
                    + (-a + c) * t
                    + (2 * a - 5 * b + 4 * c - d) * t**2
                    + (-a + 3 * b - 3 * c + d) * t**3
                )
                for a, b, c, d in zip(p0, p1, p2, p3, strict=True)
            )
            curve.append((x, y))
    curve.append(points[-1])
    return curve


def pretzel(out: Path) -> None:
    """The New Year pretzel: thick belly, twisted arms, a sprinkle of pearl sugar."""
    rng = random.Random(6)
    img = canvas(1080, 1080, (28, 36, 64), (60, 44, 78))
    draw = ImageDraw.Draw(img)
    draw.ellipse(s(120, 170, 960, 1010), fill=(236, 230, 220))
    draw.ellipse(s(140, 190, 940, 990), fill=(250, 246, 240))
    cx, cy, r = 540, 600, 300
    # One strand: from its left end up through the twist, round the right loop, along
    # the belly, round the left loop, back through the twist to its right end.
    path = [
        (-0.42, 0.3),
        (0.0, -0.22),
        (0.28, -0.6),
        (0.62, -0.7),
        (0.86, -0.38),
        (0.78, 0.22),
        (0.4, 0.62),
        (0.0, 0.72),
        (-0.4, 0.62),
        (-0.78, 0.22),
        (-0.86, -0.38),
        (-0.62, -0.7),
        (-0.28, -0.6),
        (0.0, -0.22),
        (0.42, 0.3),
    ]
    curve = catmull_rom([(cx + x * r, cy + y * r) for x, y in path])
    soft_shadow(img, (240, 420, 840, 860), strength=60)
    draw = ImageDraw.Draw(img)
    layers = (
        (1.0, DARK_CRUST, 0),
        (0.84, (176, 96, 38), 4),
        (0.55, (206, 128, 56), 9),
        (0.22, (232, 170, 96), 13),
    )
    for share, color, lift in layers:
        for i, (x, y) in enumerate(curve):
            # The belly, in the middle of the strand, is thickest; the arms taper.
            belly = math.sin(math.pi * i / (len(curve) - 1))
            w = (30 + 36 * belly**3) * share
            draw.ellipse(s(x - w, y - w - lift, x + w, y + w - lift), fill=color)
    for x, y in curve[::3]:
        for _ in range(2):
            dx, dy = rng.uniform(-28, 28), rng.uniform(-30, 22)
            draw.rectangle(s(x + dx - 4, y + dy - 3, x + dx + 4, y + dy + 3), fill=(250, 250, 250))
    draw.text(s(540, 110), "2027", font=font(80), fill=(244, 212, 130), anchor="mm")
    sprinkle(img, rng, 90, (0, 0, 1080, 180), (244, 212, 130), (2, 4))
    caption(img, "Neujahrsbrezel")
    save(img, out)


def rye_ear(img: Image.Image, start: Point, angle: float, length: float) -> None:
    """A stalk of rye with its long ear and whiskers."""
    draw = ImageDraw.Draw(img)
    sx, sy = start
    ex, ey = sx + math.cos(angle) * length, sy + math.sin(angle) * length
    draw.line(s(sx, sy, ex, ey), fill=(196, 164, 104), width=4 * SCALE)
    for i in range(14):
        t = 0.55 + 0.45 * i / 14
        px, py = sx + (ex - sx) * t, sy + (ey - sy) * t
        for side in (-1, 1):
            a = angle + side * 0.5
            gx, gy = px + math.cos(a) * 14, py + math.sin(a) * 14
            draw.ellipse(s(gx - 9, gy - 6, gx + 9, gy + 6), fill=(186, 146, 80))
            draw.line(
                s(gx, gy, gx + math.cos(a - side * 0.3) * 60, gy + math.sin(a - side * 0.3) * 60),
                fill=(210, 182, 124),
                width=SCALE,
            )


def rye_loaves(out: Path) -> None:
    """Three dark rye tin loaves and a floury round rye with a crackled top."""
    rng = random.Random(7)
    img = canvas(1200, 900, (232, 224, 210), (206, 194, 176))
    rye_ear(img, (80, 250), -0.35, 420)
    rye_ear(img, (120, 300), -0.2, 440)
    rye_ear(img, (1120, 240), 3.5, 400)
    wood_board(img, (50, 330, 1150, 860), rng)
    for i, x in enumerate((100, 320, 540)):
        soft_shadow(img, (x, 700, x + 200, 800), strength=70)
        draw = ImageDraw.Draw(img)
        body = mix((66, 38, 22), (98, 58, 34), i / 2)
        draw.rounded_rectangle(s(x, 420, x + 200, 770), radius=22 * SCALE, fill=body)
        draw.ellipse(s(x, 380, x + 200, 470), fill=mix(body, (140, 90, 52), 0.5))
        for _ in range(7):
            px = rng.uniform(x + 30, x + 170)
            draw.line(s(px, 392, px + rng.uniform(-24, 24), 452), fill=(164, 112, 70), width=3 * SCALE)
        sprinkle(img, rng, 40, (x + 20, 480, x + 180, 740), (48, 30, 18), (2, 3))
    # Round Roggenbrot: dark crust showing through a cracked layer of flour.
    cx, cy, rx, ry = 930, 590, 190, 170
    soft_shadow(img, (cx - rx, cy + 70, cx + rx, cy + ry + 40))
    draw = ImageDraw.Draw(img)
    draw.ellipse(s(cx - rx, cy - ry, cx + rx, cy + ry), fill=(96, 56, 32))
    cell = 34
    for row, gy in enumerate(range(int(cy - ry), int(cy + ry), cell)):
        for gx in range(int(cx - rx) + (cell // 2 if row % 2 else 0), int(cx + rx), cell):
            mx, my = gx + rng.uniform(-6, 6), gy + rng.uniform(-6, 6)
            if ((mx - cx) / rx) ** 2 + ((my - cy) / ry) ** 2 > 0.74:
                continue
            corners = [
                (
                    mx + math.cos(a) * cell * rng.uniform(0.46, 0.6),
                    my + math.sin(a) * cell * rng.uniform(0.46, 0.6),
                )
                for a in (k * math.pi / 3 + rng.uniform(-0.3, 0.3) for k in range(6))
            ]
            shade = mix((206, 188, 164), (236, 226, 210), rng.random())
            draw.polygon(s(*[c for p in corners for c in p]), fill=shade)
    sprinkle(img, rng, 160, (100, 790, 1100, 850), (92, 70, 40), (2, 3))
    caption(img, "Rye week · 5 to 10 January", dark=True)
    save(img, out)


IMAGES: dict[str, Callable[[Path], None]] = {
    "stollen.jpg": stollen,
    "spelt-walnut-loaf.jpg": spelt_loaf,
    "spelt-walnut-crumb.jpg": spelt_crumb,
    "stollen-workshop.png": workshop,
    "shop-front-christmas.jpg": shop_front,
    "new-year-pretzel.jpg": pretzel,
    "rye-loaves.jpg": rye_loaves,
}


def main(argv: Sequence[str] | None = None) -> None:
    """Write every example image into the output folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "content" / "media")
    args = parser.parse_args(argv)
    for name, draw in IMAGES.items():
        path = args.out / name
        draw(path)
        print(f"{path}  {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
